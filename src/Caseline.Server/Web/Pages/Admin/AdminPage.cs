using Microsoft.AspNetCore.Http.HttpResults;

namespace Caseline.Server.Web.Pages.Admin;

/// <summary>An administration page: it calls the admin API's own operations and shows their refusals as the API words them.</summary>
internal abstract class AdminPage : WebPage
{
    public Dictionary<string, string[]> Errors { get; } = new(StringComparer.Ordinal);

    /// <summary>A secret or password shown in this one response, never stored for a later one.</summary>
    public (string Label, string Value)? ShownOnce { get; protected set; }

    /// <summary>Takes a refusal's messages; true when the operation succeeded.</summary>
    protected bool Succeeded(IResult result)
    {
        switch (result)
        {
            case ValidationProblem invalid:
                foreach (var (key, messages) in invalid.ProblemDetails.Errors)
                {
                    Errors[key] = messages;
                }

                return false;
            case ProblemHttpResult problem:
                Errors[""] = [problem.ProblemDetails.Title ?? "The request was refused."];
                return false;
            default:
                return true;
        }
    }
}
