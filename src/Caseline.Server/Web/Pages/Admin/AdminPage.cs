using Caseline.Server.Audit;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Caseline.Server.Web.Pages.Admin;

/// <summary>An administration page: it calls the admin API's own operations and shows their refusals as the API words them.</summary>
internal abstract class AdminPage : WebPage
{
    public Dictionary<string, string[]> Errors { get; } = new(StringComparer.Ordinal);

    /// <summary>A secret or password shown in this one response, never stored for a later one.</summary>
    public (string Label, string Value)? ShownOnce { get; protected set; }

    /// <summary>The page's label of each field an operation names in its messages ("Login" is "Email address" here).</summary>
    protected virtual IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>();

    /// <summary>Takes a refusal's messages, in the page's words; true when the operation succeeded.</summary>
    protected bool Succeeded(IResult result)
    {
        switch (result)
        {
            case ValidationProblem invalid:
                Refused(invalid.ProblemDetails.Errors);
                return false;
            case ProblemHttpResult problem:
                Errors[""] = [problem.ProblemDetails.Title ?? "The request was refused."];
                return false;
            default:
                return true;
        }
    }

    /// <summary>Takes an operation's validation errors, in the page's words.</summary>
    protected void Refused(IDictionary<string, string[]> errors)
    {
        foreach (var (key, messages) in errors)
        {
            Errors[key] = Labels.TryGetValue(key, out var label)
                ? [.. messages.Select(m => m.StartsWith(key + " ", StringComparison.Ordinal) ? label + m[key.Length..] : m)]
                : messages;
        }
    }

    /// <summary>Puts an administrative action of the signed-in administrator on the agency's audit trail.</summary>
    protected Task AuditAsync(string action, int outcome = StatusCodes.Status200OK) => AuditAsync(Caller.AgencyId, action, outcome);

    /// <summary>Puts an administrative action on <paramref name="agencyId"/>'s audit trail (the platform administrator acts on an agency).</summary>
    protected Task AuditAsync(long agencyId, string action, int outcome) =>
        HttpContext.RequestServices.GetRequiredService<AuditTrail>()
            .RecordAsync(HttpContext, agencyId, User.Identity?.Name ?? "", action, null, outcome, HttpContext.RequestAborted);

    /// <summary>The status an operation answered, for the audit record of what it did.</summary>
    protected static int Outcome(IResult result) => result is IStatusCodeHttpResult { StatusCode: { } status } ? status : StatusCodes.Status200OK;
}
