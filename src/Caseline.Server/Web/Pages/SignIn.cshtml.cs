using Caseline.Server.Audit;
using Caseline.Server.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Caseline.Server.Web.Pages;

/// <summary>Signing in with the token endpoint's users, passwords and lockout; each attempt is audited as a logon.</summary>
internal sealed class SignInModel(IdentityStore identity, AuditTrail audit) : PageModel
{
    public string? Login { get; private set; }

    public string? ReturnUrl { get; private set; }

    public string? Error { get; private set; }

    public bool NeedsCode { get; private set; }

    public string? ChallengeToken { get; private set; }

    public IActionResult OnGet(string? returnUrl)
    {
        ReturnUrl = returnUrl;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string? login, string? password, string? returnUrl, CancellationToken ct)
    {
        (Login, ReturnUrl) = (login?.Trim(), returnUrl);
        if (string.IsNullOrWhiteSpace(login) || string.IsNullOrEmpty(password))
        {
            Error = "Enter your email address and password.";
            return Page();
        }

        var user = identity.FindUser(login);
        if (identity.IsLockedOut(login))
        {
            await audit.RecordAsync(HttpContext, user?.AgencyId, login, "logon", null, StatusCodes.Status423Locked, ct);
            Error = "The account is locked after too many failed sign-ins; try again later.";
            return Page();
        }

        if (user is not { Disabled: false } || !PasswordHashing.Verify(password, user.PasswordHash))
        {
            await identity.RecordFailureAsync(login, ct);
            await audit.RecordAsync(HttpContext, user?.AgencyId, login, "logon", null, StatusCodes.Status400BadRequest, ct);
            Error = "The email address or password is incorrect.";
            return Page();
        }

        await identity.ClearFailuresAsync(login, ct);
        await audit.RecordAsync(HttpContext, user.AgencyId, user.Login, "logon", null, StatusCodes.Status200OK, ct);
        await HttpContext.SignInAsync(WebUi.Scheme, WebUi.Principal(user, user.AgencyId is { } agency ? identity.AgencyName(agency) : null),
            new AuthenticationProperties { IsPersistent = false });
        return LocalRedirect(Url.IsLocalUrl(returnUrl) && returnUrl.StartsWith(WebUi.Root, StringComparison.Ordinal) ? returnUrl : WebUi.Home(user.Role));
    }
}
