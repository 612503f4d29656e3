using System.Security.Claims;
using Caseline.Server.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Caseline.Server.Web.Pages.Account;

/// <summary>
/// A person's own second factor: enrolment with a QR code, confirmed by a code before anything is stored; recovery codes
/// shown once. Replacing or removing one asks for the password and a current code again (a session alone is not enough),
/// and ends the person's other sessions and tokens.
/// </summary>
internal sealed class AccountModel(IdentityStore identity, Logons logons, SecondFactor mfa, TimeProvider clock) : PageModel
{
    public bool HasSecondFactor { get; private set; }

    /// <summary>Whether the agency requires a second factor (then it can be replaced, not removed).</summary>
    public bool Required { get; private set; }

    public bool MustEnrol => User.HasClaim(c => c.Type == SecondFactor.EnrolClaim);

    public string? Enrolment { get; private set; }

    public string? QrSvg { get; private set; }

    public string? Key { get; private set; }

    public string? Error { get; private set; }

    public IReadOnlyList<string>? RecoveryCodes { get; private set; }

    private string UserId => User.FindFirstValue(Claims.Subject)!;

    public void OnGet()
    {
        HasSecondFactor = identity.ProtectedTotpSecret(UserId) is not null;
        Required = User.FindFirstValue(TokenEndpoint.AgencyIdClaim) is { } agency && identity.AgencyRequiresMfa(long.Parse(agency, System.Globalization.CultureInfo.InvariantCulture));
    }

    public async Task<IActionResult> OnPostStartAsync(string? password, string? code, CancellationToken ct)
    {
        if (identity.ProtectedTotpSecret(UserId) is not null && !await ProvedAsync(password, code, ct))
        {
            return Page();
        }

        Show(Totp.NewSecret());
        return Page();
    }

    public async Task<IActionResult> OnPostRemoveAsync(string? password, string? code, CancellationToken ct)
    {
        OnGet();
        if (Required)
        {
            Error = "Your agency requires a second factor: replace it instead.";
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        if (!HasSecondFactor || !await ProvedAsync(password, code, ct))
        {
            return Page();
        }

        await WebUi.KeepSessionAsync(HttpContext, await identity.RemoveTotpAsync(UserId, ct), User.Claims);
        TempData["Notice"] = "The authenticator app is removed: you sign in with your password alone. Your other sessions have ended.";
        return RedirectToPage();
    }

    /// <summary>The password and a current code, checked under the sign-in's own throttling and lockout.</summary>
    private async Task<bool> ProvedAsync(string? password, string? code, CancellationToken ct)
    {
        var outcome = await logons.PasswordAsync(HttpContext, User.Identity!.Name, password, user => user.Id == UserId, ct);
        if (outcome.Result == LogonResult.Succeeded)
        {
            outcome = await logons.CodeAsync(HttpContext, outcome.User!, code, recoveryCodes: false, ct);
        }

        if (outcome.Result == LogonResult.Succeeded)
        {
            return true;
        }

        OnGet();
        Error = outcome.Result switch
        {
            LogonResult.Throttled => $"Too many failed attempts: try again in {LogonThrottle.Phrase(outcome.RetryAfter)}.",
            LogonResult.LockedOut => "Your account is locked after too many failed attempts; try again later.",
            _ => "The password or the code is not right. Enter your password and the code your authenticator app shows now.",
        };
        Response.StatusCode = outcome.Result == LogonResult.Throttled ? StatusCodes.Status429TooManyRequests : StatusCodes.Status400BadRequest;
        return false;
    }

    public async Task<IActionResult> OnPostConfirmAsync(string? enrolment, string? code, CancellationToken ct)
    {
        if (mfa.EnrolmentSecret(enrolment, UserId) is not { } secret)
        {
            Error = "The set-up took too long; start again.";
            OnGet();
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        if (!Totp.Verify(secret, code, clock.GetUtcNow()))
        {
            Error = "The code is not right. Enter the six-digit code the app shows now.";
            Show(secret, enrolment);
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        var codes = SecondFactor.RecoveryCodes();
        var stamp = await identity.EnrolTotpAsync(UserId, mfa.Protect(secret), codes, ct);
        RecoveryCodes = codes;
        // The same session, under the stamp a replacement drew, and free to open every page its role allows.
        await WebUi.KeepSessionAsync(HttpContext, stamp, User.Claims.Where(c => c.Type != SecondFactor.EnrolClaim));

        return Page();
    }

    private void Show(byte[] secret, string? enrolment = null)
    {
        var login = User.Identity!.Name!;
        Enrolment = enrolment ?? mfa.Enrolment(UserId, secret);
        Key = string.Join(' ', Totp.Base32(secret).Chunk(4).Select(c => new string(c)));
        QrSvg = SecondFactor.QrSvg(Totp.Uri("Caseline", login, secret), "QR code for your authenticator app");
    }
}
