using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Caseline.Server.Identity;

/// <summary>
/// Time-based one-time passwords (RFC 6238 on RFC 4226): HMAC-SHA1, 30-second steps, six digits, as every
/// authenticator app reads them from an <c>otpauth://</c> address. A code of the step before or after is
/// accepted too, for clocks a little apart.
/// </summary>
internal static class Totp
{
    private const int Step = 30;
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    public static byte[] NewSecret() => RandomNumberGenerator.GetBytes(20);

    /// <summary>Whether <paramref name="code"/> is the code of the step at <paramref name="now"/> or next to it.</summary>
    public static bool Verify(byte[] secret, string? code, DateTimeOffset now) => Match(secret, code, now) is not null;

    /// <summary>
    /// The time step whose code <paramref name="code"/> is (the step at <paramref name="now"/> or next to it), or null.
    /// The caller that accepts it records the step, so that no code of that step or an earlier one is accepted again.
    /// </summary>
    public static long? Match(byte[] secret, string? code, DateTimeOffset now)
    {
        var digits = code?.Replace(" ", "", StringComparison.Ordinal).Trim();
        if (digits is not { Length: 6 } || !digits.All(char.IsAsciiDigit))
        {
            return null;
        }

        var step = now.ToUnixTimeSeconds() / Step;
        long? match = null;
        for (var offset = -1; offset <= 1; offset++)
        {
            // Compare every candidate in constant time, and all three, so timing tells nothing.
            if (CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Code(secret, step + offset)), Encoding.ASCII.GetBytes(digits)))
            {
                match ??= step + offset;
            }
        }

        return match;
    }

    /// <summary>The code of one time step.</summary>
    public static string Code(byte[] secret, long step)
    {
        Span<byte> counter = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(counter, step);
        Span<byte> hash = stackalloc byte[20];
#pragma warning disable CA5350 // RFC 6238's default, which every authenticator app computes; HMAC-SHA1 has no known weakness as a PRF
        HMACSHA1.HashData(secret, counter, hash);
#pragma warning restore CA5350
        var offset = hash[^1] & 0x0f;
        var value = (BinaryPrimitives.ReadInt32BigEndian(hash[offset..]) & 0x7fffffff) % 1_000_000;
        return value.ToString("D6", CultureInfo.InvariantCulture);
    }

    /// <summary>The secret as authenticator apps take it typed in: base32, without padding.</summary>
    public static string Base32(byte[] secret)
    {
        var text = new StringBuilder((secret.Length * 8 / 5) + 1);
        int buffer = 0, bits = 0;
        foreach (var b in secret)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                text.Append(Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }

        if (bits > 0)
        {
            text.Append(Alphabet[(buffer << (5 - bits)) & 31]);
        }

        return text.ToString();
    }

    /// <summary>The address an authenticator app reads from the QR code.</summary>
    public static string Uri(string issuer, string account, byte[] secret) =>
        $"otpauth://totp/{System.Uri.EscapeDataString(issuer)}:{System.Uri.EscapeDataString(account)}?secret={Base32(secret)}&issuer={System.Uri.EscapeDataString(issuer)}&algorithm=SHA1&digits=6&period={Step}";
}
