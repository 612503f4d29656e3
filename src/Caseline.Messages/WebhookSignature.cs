using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Caseline.Messages;

/// <summary>
/// The Standard Webhooks signature Caseline puts on each delivery: <c>v1,</c> + base64(HMAC-SHA256(key,
/// <c>id.timestamp.body</c>)), one per key, space-separated. The server signs with it and the SDK verifies with it.
/// </summary>
public static class WebhookSignature
{
    /// <summary>The <c>webhook-signature</c> value: one <c>v1,…</c> per key, space-separated.</summary>
    public static string Sign(string messageId, long timestamp, ReadOnlySpan<byte> body, params ReadOnlySpan<byte[]> keys)
    {
        var signatures = new StringBuilder();
        Span<byte> hash = stackalloc byte[32];
        foreach (var key in keys)
        {
            Hash(key, messageId, timestamp, body, hash);
            signatures.Append(signatures.Length == 0 ? "v1," : " v1,").Append(Convert.ToBase64String(hash));
        }

        return signatures.ToString();
    }

    /// <summary>Writes HMAC-SHA256(<paramref name="key"/>, <c>id.timestamp.body</c>) into <paramref name="hash"/> (32 bytes).</summary>
    public static void Hash(ReadOnlySpan<byte> key, string messageId, long timestamp, ReadOnlySpan<byte> body, Span<byte> hash)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        var prefix = $"{messageId}.{timestamp.ToString(CultureInfo.InvariantCulture)}.";
        var length = Encoding.UTF8.GetByteCount(prefix) + body.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = Encoding.UTF8.GetBytes(prefix, buffer);
            body.CopyTo(buffer.AsSpan(written));
            HMACSHA256.HashData(key, buffer.AsSpan(0, length), hash);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
