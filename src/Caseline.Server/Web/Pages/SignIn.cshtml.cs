using Caseline.Server.Audit;
using Caseline.Server.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Caseline.Server.Web.Pages;

/// <summary>Signing in with the token endpoint's users, passwords and lockout; each attempt is audited as a logon.</summary>
internal sealed class SignInModel(IdentityStore identity, AuditTrail audit, SecondFactor mfa, TimeProvider clock) : PageModel
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

        if (identity.ProtectedTotpSecret(user.Id) is not null)
        {
            // The password was right; the code comes on the next form, with this proof of the password (5 minutes).
            (NeedsCode, ChallengeToken) = (true, mfa.Challenge(user.Id));
            return Page();
        }

        return await CompleteAsync(user, ct);
    }

    /// <summary>The second step: the authenticator's code, or one recovery code.</summary>
    public async Task<IActionResult> OnPostCodeAsync(string? challenge, string? code, string? returnUrl, CancellationToken ct)
    {
        ReturnUrl = returnUrl;
        var user = mfa.ChallengedUser(challenge) is { } userId ? identity.FindUserById(userId) : null;
        if (user is not { Disabled: false })
        {
            Error = "The sign-in took too long or was not finished; sign in again.";
            return Page();
        }

        Login = user.Login;
        if (identity.IsLockedOut(user.Login))
        {
            await audit.RecordAsync(HttpContext, user.AgencyId, user.Login, "logon", null, StatusCodes.Status423Locked, ct);
            Error = "The account is locked after too many failed sign-ins; try again later.";
            return Page();
        }

        var stored = identity.ProtectedTotpSecret(user.Id);
        var valid = stored is not null
            && (Totp.Verify(mfa.Unprotect(stored), code, clock.GetUtcNow())
                || (code is { Length: > 6 } && await identity.UseRecoveryCodeAsync(user.Id, code, ct)));
        if (!valid)
        {
            await identity.RecordFailureAsync(user.Login, ct);
            await audit.RecordAsync(HttpContext, user.AgencyId, user.Login, "logon", null, StatusCodes.Status400BadRequest, ct);
            (NeedsCode, ChallengeToken, Error) = (true, challenge, "The code is not right. Enter the code your authenticator app shows now.");
            return Page();
        }

        return await CompleteAsync(user, ct);
    }

    private async Task<IActionResult> CompleteAsync(UserAccount user, CancellationToken ct)
    {
        await identity.ClearFailuresAsync(user.Login, ct);
        await audit.RecordAsync(HttpContext, user.AgencyId, user.Login, "logon", null, StatusCodes.Status200OK, ct);
        var principal = WebUi.Principal(user, user.AgencyId is { } agency ? identity.AgencyName(agency) : null);
        var mustEnrol = user.AgencyId is { } of && identity.AgencyRequiresMfa(of) && identity.ProtectedTotpSecret(user.Id) is null;
        if (mustEnrol)
        {
            ((System.Security.Claims.ClaimsIdentity)principal.Identity!).AddClaim(new System.Security.Claims.Claim(SecondFactor.EnrolClaim, "1"));
        }

        await HttpContext.SignInAsync(WebUi.Scheme, principal, new AuthenticationProperties { IsPersistent = false });
        if (mustEnrol)
        {
            return LocalRedirect(WebUi.Root + "/account");
        }

        var returnUrl = ReturnUrl;
        return LocalRedirect(Url.IsLocalUrl(returnUrl) && returnUrl.StartsWith(WebUi.Root, StringComparison.Ordinal) ? returnUrl : WebUi.Home(user.Role));
    }
}
