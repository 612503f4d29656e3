using System.Security.Claims;
using Caseline.Server.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Caseline.Server.Web.Pages.Account;

/// <summary>A person's own second factor: enrolment with a QR code, confirmed by a code before anything is stored; recovery codes shown once.</summary>
internal sealed class AccountModel(IdentityStore identity, SecondFactor mfa, TimeProvider clock) : PageModel
{
    public bool HasSecondFactor { get; private set; }

    public bool MustEnrol => User.HasClaim(c => c.Type == SecondFactor.EnrolClaim);

    public string? Enrolment { get; private set; }

    public string? QrSvg { get; private set; }

    public string? Key { get; private set; }

    public string? Error { get; private set; }

    public IReadOnlyList<string>? RecoveryCodes { get; private set; }

    private string UserId => User.FindFirstValue(Claims.Subject)!;

    public void OnGet() => HasSecondFactor = identity.ProtectedTotpSecret(UserId) is not null;

    public IActionResult OnPostStart()
    {
        Show(Totp.NewSecret());
        return Page();
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
        await identity.EnrolTotpAsync(UserId, mfa.Protect(secret), codes, ct);
        RecoveryCodes = codes;
        if (MustEnrol)
        {
            // The same session, now free to open every page its role allows.
            var claims = new ClaimsIdentity(User.Claims.Where(c => c.Type != SecondFactor.EnrolClaim), WebUi.Scheme, Claims.Name, Claims.Role);
            await HttpContext.SignInAsync(WebUi.Scheme, new ClaimsPrincipal(claims), new AuthenticationProperties { IsPersistent = false });
        }

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
