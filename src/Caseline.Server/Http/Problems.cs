using Microsoft.AspNetCore.Http.HttpResults;

namespace Caseline.Server.Http;

/// <summary>The problem documents (RFC 9457) the API answers with. None quotes request values: they may be personal data.</summary>
internal static class Problems
{
    public static ProblemHttpResult NotFound(string title) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: title);

    public static ProblemHttpResult Forbidden(string title) =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: title);

    public static ProblemHttpResult Conflict(string title) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: title);

    public static ProblemHttpResult BadRequest(string title, string? detail = null) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: title, detail: detail);

    public static ValidationProblem Invalid(IEnumerable<KeyValuePair<string, string[]>> errors) =>
        TypedResults.ValidationProblem(errors, title: "The request is invalid.");

    public static ValidationProblem Invalid(string field, string message) => Invalid([new(field, [message])]);
}
