using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Caseline.Server.Web.Pages;

/// <summary>Signing out is a POST (a link could be followed by anything); the page after it says so.</summary>
[AllowAnonymous]
internal sealed class SignOutModel : PageModel
{
    public IActionResult OnGet() => User.Identity?.IsAuthenticated == true ? Redirect(WebUi.Root) : Page();

    public async Task<IActionResult> OnPostAsync()
    {
        await WebUi.SignOutAsync(HttpContext);
        return RedirectToPage();
    }
}
