using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace Caseline.Server.Webhooks;

/// <summary>
/// Signing secrets: made as <c>whsec_</c> + base64 of 32 random bytes, kept encrypted at rest with
/// ASP.NET Core Data Protection, and handed as keys to
/// <see cref="Messages.WebhookSignature"/>, which signs as Standard Webhooks says.
/// </summary>
internal sealed class WebhookSecrets(IDataProtectionProvider protection)
{
    public const string Prefix = "whsec_";

    private readonly IDataProtector _protector = protection.CreateProtector("Caseline.Webhooks.SigningSecret.v1");
    private readonly ConcurrentDictionary<string, byte[]> _keys = new(StringComparer.Ordinal);

    public static string NewSecret() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public string Protect(string secret) => _protector.Protect(secret);

    /// <summary>The HMAC key behind a protected secret (cached: the dispatcher signs with it constantly).</summary>
    public byte[] Key(string protectedSecret) =>
        _keys.GetOrAdd(protectedSecret, p => Convert.FromBase64String(_protector.Unprotect(p)[Prefix.Length..]));
}
