using Caseline.Server.Audit;
using Caseline.Server.Identity;
using Microsoft.AspNetCore.Http.HttpResults;
using static Caseline.Server.Identity.AdminResult;

namespace Caseline.Server.Web.Pages.Admin;

/// <summary>An administration page: it calls the same operations as the API and shows their refusals in the page's words.</summary>
internal abstract class AdminPage : WebPage
{
    public Dictionary<string, string[]> Errors { get; } = new(StringComparer.Ordinal);

    /// <summary>A secret or password shown in this one response, never stored for a later one.</summary>
    public (string Label, string Value)? ShownOnce { get; protected set; }

    /// <summary>The page's label of each field an operation names in its messages ("Login" is "Email address" here).</summary>
    protected virtual IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>();

    /// <summary>Takes an administrative operation's refusal, in the page's words; true when the operation succeeded.</summary>
    protected bool Succeeded(AdminResult result)
    {
        switch (result)
        {
            case Invalid invalid:
                ShowInvalid(invalid.Errors);
                return false;
            case Refused refused:
                Errors[""] = [refused.Message];
                return false;
            default:
                return true;
        }
    }

    /// <summary>The status the API answers an administrative operation's result with: the outcome its audit record keeps.</summary>
    protected static int Outcome(AdminResult result) => result switch
    {
        Invalid => StatusCodes.Status400BadRequest,
        Refused { Reason: Refusal.NotFound } => StatusCodes.Status404NotFound,
        Refused { Reason: Refusal.Conflict } => StatusCodes.Status409Conflict,
        Refused => StatusCodes.Status403Forbidden,
        AgencyCreated or UserCreated or ClientCreated => StatusCodes.Status201Created,
        _ => StatusCodes.Status200OK,
    };

    /// <summary>Shows each field's messages, a field's name in them replaced by the page's label of it.</summary>
    protected void ShowInvalid(IReadOnlyDictionary<string, string[]> errors)
    {
        foreach (var (key, messages) in errors)
        {
            Errors[key] = Labels.TryGetValue(key, out var label)
                ? [.. messages.Select(m => m.StartsWith(key + " ", StringComparison.Ordinal) ? label + m[key.Length..] : m)]
                : messages;
        }
    }

    /// <summary>
    /// Takes a refusal an API handler answered, in the page's words; true when it succeeded. Only for the pages whose
    /// features have no operations class yet (Lookups, Deliveries): they call their API's handlers still.
    /// </summary>
    protected bool Succeeded(IResult result)
    {
        switch (result)
        {
            case ValidationProblem invalid:
                ShowInvalid(invalid.ProblemDetails.Errors.AsReadOnly());
                return false;
            case ProblemHttpResult problem:
                Errors[""] = [problem.ProblemDetails.Title ?? "The request was refused."];
                return false;
            default:
                return true;
        }
    }

    /// <summary>The status an API handler answered, for the audit record of what it did (the pages of <see cref="Succeeded(IResult)"/>).</summary>
    protected static int Outcome(IResult result) => result is IStatusCodeHttpResult { StatusCode: { } status } ? status : StatusCodes.Status200OK;

    /// <summary>Puts an administrative action of the signed-in administrator on the agency's audit trail.</summary>
    protected Task AuditAsync(string action, int outcome = StatusCodes.Status200OK) => AuditAsync(Caller.AgencyId, action, outcome);

    /// <summary>Puts an administrative action on <paramref name="agencyId"/>'s audit trail (the platform administrator acts on an agency).</summary>
    protected Task AuditAsync(long agencyId, string action, int outcome) =>
        HttpContext.RequestServices.GetRequiredService<AuditTrail>()
            .RecordAsync(HttpContext, agencyId, User.Identity?.Name ?? "", action, null, outcome, HttpContext.RequestAborted);
}
