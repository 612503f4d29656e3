using Caseline.Server.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Caseline.Server.Web.Pages;

/// <summary>Signing in with the token endpoint's users, passwords and lockout; each attempt is audited as a logon.</summary>
internal sealed class SignInModel(IdentityStore identity, Logons logons, SecondFactor mfa) : PageModel
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
        (Login, ReturnUrl) = (login?.Trim() is { Length: <= Logons.MaxLogin } shown ? shown : null, returnUrl);
        if (string.IsNullOrWhiteSpace(login) || string.IsNullOrEmpty(password))
        {
            Error = "Enter your email address and password.";
            return Page();
        }

        var outcome = await logons.PasswordAsync(HttpContext, login, password, _ => true, ct);
        if (outcome.Result != LogonResult.Succeeded)
        {
            return Refused(outcome, "The email address or password is incorrect.");
        }

        var user = outcome.User!;
        if (user.ServiceAccount)
        {
            Error = "This is a service account: it logs on to the API only, never to the web UI.";
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

    /// <summary>The second step: the authenticator's code (good once), or one recovery code.</summary>
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
        var outcome = await logons.CodeAsync(HttpContext, user, code, recoveryCodes: true, ct);
        if (outcome.Result == LogonResult.Invalid)
        {
            (NeedsCode, ChallengeToken) = (true, challenge);
        }

        return outcome.Result == LogonResult.Succeeded
            ? await CompleteAsync(user, ct)
            : Refused(outcome, "The code is not right, or was used already. Enter the code your authenticator app shows now.");
    }

    private PageResult Refused(LogonOutcome outcome, string invalid)
    {
        switch (outcome.Result)
        {
            case LogonResult.Throttled:
                var seconds = LogonThrottle.Seconds(outcome.RetryAfter);
                Error = $"Too many failed sign-ins from your network or for this account: try again in {LogonThrottle.Phrase(outcome.RetryAfter)}.";
                Response.StatusCode = StatusCodes.Status429TooManyRequests;
                Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                break;
            case LogonResult.LockedOut:
                Error = "The account is locked after too many failed sign-ins; try again later, or ask an administrator to unlock it.";
                break;
            default:
                Error = invalid;
                break;
        }

        return Page();
    }

    private async Task<IActionResult> CompleteAsync(UserAccount user, CancellationToken ct)
    {
        await logons.CompletedAsync(HttpContext, user, ct);
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
