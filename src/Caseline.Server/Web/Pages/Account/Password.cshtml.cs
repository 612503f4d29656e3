using Caseline.Server.Audit;
using Caseline.Server.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Caseline.Server.Web.Pages.Account;

/// <summary>
/// Changing one's own password, with the current one: anyone signed in (the platform administrator too), and the only page
/// open to someone whose password was set by another (an invitation's or a reset's one-time password) until they change it.
/// The current password is checked as a sign-in's is (throttling, lockout, the audit trail). A new password ends the
/// user's other sessions and tokens; this one is signed in again under the new stamp.
/// </summary>
internal sealed class PasswordModel(IdentityStore identity, Logons logons, AuditTrail audit) : PageModel
{
    /// <summary>The shortest password a person may choose, as the administration API takes.</summary>
    public const int MinLength = 12;

    private const int MaxLength = 200;

    public Dictionary<string, string[]> Errors { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether the password was set by someone else and must be replaced before anything else.</summary>
    public bool MustChange { get; private set; }

    public IActionResult OnGet()
    {
        if (SignedInUser() is not { } user)
        {
            return Challenge(WebUi.Scheme);
        }

        MustChange = identity.MustChangePassword(user.Id);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string? current, string? password, string? confirm, CancellationToken ct)
    {
        if (SignedInUser() is not { } user)
        {
            return Challenge(WebUi.Scheme);
        }

        MustChange = identity.MustChangePassword(user.Id);
        if (string.IsNullOrEmpty(current))
        {
            Errors["current"] = ["Enter your current password"];
        }
        else
        {
            var outcome = await logons.PasswordAsync(HttpContext, user.Login, current, account => account.Id == user.Id, ct);
            switch (outcome.Result)
            {
                case LogonResult.Throttled:
                    Errors["current"] = [$"Too many wrong passwords: try again in {LogonThrottle.Phrase(outcome.RetryAfter)}"];
                    break;
                case LogonResult.LockedOut:
                    Errors["current"] = ["The account is locked after too many wrong passwords; try again later."];
                    break;
                case LogonResult.Invalid:
                    Errors["current"] = ["The current password is not right"];
                    break;
            }
        }

        if (string.IsNullOrEmpty(password) || password.Length < MinLength || password.Length > MaxLength)
        {
            Errors["password"] = [$"Enter a new password of {MinLength} to {MaxLength} characters"];
        }
        else if (password == current)
        {
            Errors["password"] = ["The new password must differ from the current one"];
        }
        else if (password != confirm)
        {
            Errors["confirm"] = ["The two new passwords are not the same"];
        }

        if (Errors.Count > 0)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        var stamp = await identity.SetPasswordAsync(user.Id, identity.Hash(password!), mustChange: false, ct);
        await WebUi.KeepSessionAsync(HttpContext, stamp!, User.Claims);
        await audit.RecordAsync(HttpContext, user.AgencyId, user.Login, "password changed", null, StatusCodes.Status200OK, ct);
        TempData["Notice"] = "Your password is changed.";
        return Redirect(WebUi.Home(user.Role));
    }

    private UserAccount? SignedInUser() =>
        User.FindFirst(Claims.Subject)?.Value is { } id && identity.FindUserById(id) is { Disabled: false } user ? user : null;
}
