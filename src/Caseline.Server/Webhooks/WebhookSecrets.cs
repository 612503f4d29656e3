using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;

namespace Caseline.Server.Webhooks;

/// <summary>
/// Signing secrets: made as <c>whsec_</c> + base64 of 32 random bytes, kept encrypted at rest with
/// ASP.NET Core Data Protection, and used to sign as Standard Webhooks says:
/// <c>v1,</c> + base64(HMAC-SHA256(key, <c>id.timestamp.body</c>)).
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

    /// <summary>The <c>webhook-signature</c> value: one <c>v1,…</c> per key, space-separated.</summary>
    public static string Sign(string messageId, long timestamp, ReadOnlySpan<byte> body, params ReadOnlySpan<byte[]> keys)
    {
        var prefix = $"{messageId}.{timestamp.ToString(CultureInfo.InvariantCulture)}.";
        var length = Encoding.UTF8.GetByteCount(prefix) + body.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = Encoding.UTF8.GetBytes(prefix, buffer);
            body.CopyTo(buffer.AsSpan(written));
            var signed = buffer.AsSpan(0, length);
            var signatures = new StringBuilder();
            Span<byte> hash = stackalloc byte[32];
            foreach (var key in keys)
            {
                HMACSHA256.HashData(key, signed, hash);
                signatures.Append(signatures.Length == 0 ? "v1," : " v1,").Append(Convert.ToBase64String(hash));
            }

            return signatures.ToString();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
