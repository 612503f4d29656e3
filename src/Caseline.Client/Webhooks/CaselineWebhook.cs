using System.Globalization;
using System.Security.Cryptography;
using Caseline.Messages;
using Caseline.Messages.Json;

namespace Caseline.Client.Webhooks;

/// <summary>Why a delivery failed verification.</summary>
public enum WebhookFailure
{
    /// <summary>A <c>webhook-id</c>, <c>webhook-timestamp</c> or <c>webhook-signature</c> header is missing.</summary>
    MissingHeaders = 1,

    /// <summary>The timestamp is not a number of seconds.</summary>
    InvalidTimestamp,

    /// <summary>The timestamp is further than the tolerance from now (a replay, or a clock far off).</summary>
    TimestampOutOfTolerance,

    /// <summary>No signature in the header matches any of the secrets.</summary>
    NoMatchingSignature,
}

/// <summary>A delivery that failed verification; answer it 401 (see <see cref="WebhookEndpointExtensions.MapCaselineWebhook"/>).</summary>
public sealed class WebhookVerificationException(WebhookFailure failure, string message) : Exception(message)
{
    /// <summary>What failed.</summary>
    public WebhookFailure Failure { get; } = failure;
}

/// <summary>A verified webhook delivery: its id (the message's <c>Activity.Identifier</c>), when it was signed, and the message.</summary>
public sealed class WebhookMessage
{
    private ClientMessage? _message;

    internal WebhookMessage(string id, DateTimeOffset timestamp, ReadOnlyMemory<byte> body)
    {
        Id = id;
        Timestamp = timestamp;
        Body = body;
    }

    /// <summary>The <c>webhook-id</c>: the message's identity, to de-duplicate on.</summary>
    public string Id { get; }

    /// <summary>When this attempt was signed.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>The body exactly as delivered (the same bytes as in the feed).</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The message, parsed from <see cref="Body"/> on first use.</summary>
    /// <exception cref="MessageFormatException">The body is not a Caseline message.</exception>
    public ClientMessage Message => _message ??= MessageReader.Read(Body.Span);
}

/// <summary>
/// Standard Webhooks verification and signing, as Caseline signs its deliveries:
/// <c>webhook-signature: v1,&lt;base64 HMAC-SHA256(secret, id.timestamp.body)&gt;</c>, one per secret during a rotation.
/// </summary>
public static class CaselineWebhook
{
    /// <summary>How far a delivery's timestamp may be from now: 5 minutes.</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    private const string SecretPrefix = "whsec_";

    /// <summary>
    /// Verifies a delivery against the endpoint's secrets (give both the old and the new one while rotating)
    /// and returns it. Signatures are compared in constant time; the timestamp must be within
    /// <paramref name="tolerance"/> of <paramref name="now"/>.
    /// </summary>
    /// <exception cref="WebhookVerificationException">The delivery is not authentic or too old.</exception>
    public static WebhookMessage Verify(
        IEnumerable<string> secrets, string? id, string? timestamp, string? signature, ReadOnlyMemory<byte> body,
        DateTimeOffset? now = null, TimeSpan? tolerance = null)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signature))
        {
            throw new WebhookVerificationException(WebhookFailure.MissingHeaders, "The webhook-id, webhook-timestamp and webhook-signature headers are required.");
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            throw new WebhookVerificationException(WebhookFailure.InvalidTimestamp, "The webhook-timestamp is not a number of seconds.");
        }

        var signedAt = DateTimeOffset.FromUnixTimeSeconds(seconds);
        if ((signedAt - (now ?? DateTimeOffset.UtcNow)).Duration() > (tolerance ?? DefaultTolerance))
        {
            throw new WebhookVerificationException(WebhookFailure.TimestampOutOfTolerance, "The webhook-timestamp is too far from now.");
        }

        var given = Signatures(signature);
        Span<byte> expected = stackalloc byte[32];
        var matched = false;
        foreach (var secret in secrets)
        {
            WebhookSignature.Hash(Key(secret), id, seconds, body.Span, expected);
            foreach (var candidate in given)
            {
                // Every pair is compared, so the time taken says nothing about which one matched.
                matched |= CryptographicOperations.FixedTimeEquals(candidate, expected);
            }
        }

        return matched
            ? new WebhookMessage(id, signedAt, body)
            : throw new WebhookVerificationException(WebhookFailure.NoMatchingSignature, "No signature matches the endpoint's secrets.");
    }

    /// <summary>The <c>webhook-signature</c> value for a body: one <c>v1,…</c> per secret, space-separated.</summary>
    public static string Sign(IEnumerable<string> secrets, string id, long timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        ArgumentException.ThrowIfNullOrEmpty(id);
        return WebhookSignature.Sign(id, timestamp, body, [.. secrets.Select(Key)]);
    }

    /// <summary>A new signing secret in the <c>whsec_</c> form (32 random bytes), as Caseline makes them.</summary>
    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private static byte[] Key(string secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        var encoded = secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret;
        try
        {
            return Convert.FromBase64String(encoded);
        }
        catch (FormatException)
        {
            throw new ArgumentException("A webhook secret is whsec_ followed by base64.", nameof(secret));
        }
    }

    /// <summary>The <c>v1</c> signatures of the header, decoded; others (other versions, bad base64) are ignored.</summary>
    private static List<byte[]> Signatures(string header)
    {
        var signatures = new List<byte[]>();
        foreach (var part in header.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith("v1,", StringComparison.Ordinal))
            {
                var decoded = new byte[32];
                if (Convert.TryFromBase64String(part[3..], decoded, out var count) && count == 32)
                {
                    signatures.Add(decoded);
                }
            }
        }

        return signatures;
    }
}
