using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Caseline.Server.Web.Pages;

/// <summary>The UI's own page for an error status (the response keeps its status code).</summary>
[IgnoreAntiforgeryToken]
internal sealed class StatusModel : PageModel
{
    public string Title { get; private set; } = "";

    public string Explanation { get; private set; } = "";

    public void OnGet(int code) => (Title, Explanation) = code switch
    {
        400 => ("The request could not be accepted", "The form may have expired or come from elsewhere. Go back, reload the page and try again."),
        403 => ("You cannot open this page", "Your role does not allow it."),
        404 => ("Page not found", "There is nothing here, or it is not of your agency."),
        503 => ("Caseline is unavailable", "Its database cannot be reached just now. Try again in a moment."),
        _ => ("Something went wrong", "The problem has been logged. Try again."),
    };

    // The status page answers whatever method the failed request used (a refused form is a POST).
    public void OnPost(int code) => OnGet(code);
}
