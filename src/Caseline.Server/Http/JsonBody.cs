using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Caseline.Server.Http;

/// <summary>
/// Reads a JSON request body as a document, answering the problems a client can cause: wrong content
/// type (415), malformed JSON (400) and a body over the size limit (413). Endpoints parse bodies
/// themselves so that every field error can be reported in the original system's wording.
/// </summary>
internal static class JsonBody
{
    public static async Task<(JsonDocument? Document, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.HasJsonContentType())
        {
            return (null, TypedResults.Problem(
                statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "The body must be JSON.",
                detail: "Send the body with Content-Type: application/json."));
        }

        try
        {
            // Read whole (the size limit bounds it) so that the bytes can be checked: the JSON parser checks the
            // UTF-8 of a string or a property name only when it is read, and would throw then, not here.
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, cancellationToken).ConfigureAwait(false);
            var bytes = body.GetBuffer().AsMemory(0, (int)body.Length);
            if (!Utf8.IsValid(bytes.Span))
            {
                return (null, Problems.BadRequest("The body is not valid UTF-8.", "Send the body encoded as UTF-8."));
            }

            return (JsonDocument.Parse(bytes), null);
        }
        catch (JsonException e)
        {
            return (null, Problems.BadRequest(
                "The body is not valid JSON.",
                $"Parsing stopped at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}."));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge());
        }
    }

    public static ProblemHttpResult TooLarge() => TypedResults.Problem(
        statusCode: StatusCodes.Status413PayloadTooLarge,
        title: "The body is too large.");
}
