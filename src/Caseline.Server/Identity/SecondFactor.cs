using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using QRCoder;

namespace Caseline.Server.Identity;

/// <summary>
/// The web UI's optional second factor: TOTP secrets kept encrypted with Data Protection, the short-lived tokens
/// that carry a half-finished sign-in or enrolment between two forms (so nothing is stored before it is confirmed),
/// the enrolment's QR code drawn as SVG on the server, and recovery codes.
/// </summary>
internal sealed class SecondFactor(IDataProtectionProvider protection)
{
    /// <summary>The claim of a session that must enrol before it may open anything else (the agency requires a second factor).</summary>
    public const string EnrolClaim = "caseline:mfa_enrol";

    private static readonly TimeSpan ChallengeLifetime = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan EnrolmentLifetime = TimeSpan.FromMinutes(15);
    private const string CodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    private readonly IDataProtector _secrets = protection.CreateProtector("Caseline.Web.Totp.Secret.v1");
    private readonly ITimeLimitedDataProtector _challenges = protection.CreateProtector("Caseline.Web.Totp.Challenge.v1").ToTimeLimitedDataProtector();
    private readonly ITimeLimitedDataProtector _enrolments = protection.CreateProtector("Caseline.Web.Totp.Enrolment.v1").ToTimeLimitedDataProtector();

    public string Protect(byte[] secret) => _secrets.Protect(Convert.ToBase64String(secret));

    public byte[] Unprotect(string stored) => Convert.FromBase64String(_secrets.Unprotect(stored));

    /// <summary>A sign-in whose password was right, waiting for its code.</summary>
    public string Challenge(string userId) => _challenges.Protect(userId, ChallengeLifetime);

    public string? ChallengedUser(string? challenge) => Open(_challenges, challenge);

    /// <summary>An enrolment's new secret, for the user it was made for, until its code confirms it.</summary>
    public string Enrolment(string userId, byte[] secret) => _enrolments.Protect(userId + " " + Convert.ToBase64String(secret), EnrolmentLifetime);

    public byte[]? EnrolmentSecret(string? enrolment, string userId) =>
        Open(_enrolments, enrolment) is { } opened && opened.Split(' ') is [var user, var secret] && user == userId ? Convert.FromBase64String(secret) : null;

    /// <summary>Ten recovery codes, each used once instead of a code.</summary>
    public static IReadOnlyList<string> RecoveryCodes() =>
        [.. Enumerable.Range(0, 10).Select(_ =>
        {
            var code = RandomNumberGenerator.GetString(CodeAlphabet, 10);
            return $"{code[..5]}-{code[5..]}";
        })];

    /// <summary>The QR code of <paramref name="text"/> as SVG: one path of the dark modules, drawn with attributes only (no style).</summary>
    public static string QrSvg(string text, string title)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        var modules = data.ModuleMatrix;
        var size = modules.Count;
        var path = new StringBuilder();
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                if (modules[y][x])
                {
                    path.Append('M').Append(x).Append(' ').Append(y).Append("h1v1h-1z");
                }
            }
        }

        return $"<svg class=\"qr\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" role=\"img\" aria-label=\"{System.Net.WebUtility.HtmlEncode(title)}\" shape-rendering=\"crispEdges\"><rect width=\"{size}\" height=\"{size}\" fill=\"#ffffff\"/><path d=\"{path}\" fill=\"#000000\"/></svg>";
    }

    private static string? Open(ITimeLimitedDataProtector protector, string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        try
        {
            return protector.Unprotect(token);
        }
        catch (CryptographicException)
        {
            return null; // expired, tampered with, or from elsewhere
        }
    }
}
