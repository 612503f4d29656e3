using Caseline.Server.Identity;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Caseline.Server.Web.Pages;

/// <summary>What every page of an agency knows: who is calling, as the API's handlers get it.</summary>
public abstract class WebPage : PageModel
{
    /// <summary>The signed-in person, of an agency (the pages' policies make sure of it).</summary>
    internal Caller Caller => Caller.TryFrom(User) ?? throw new InvalidOperationException("The page's policy admits only people of an agency.");

    /// <summary>Shown once on the next page, after a redirect.</summary>
    protected void Notify(string notice) => TempData["Notice"] = notice;
}
