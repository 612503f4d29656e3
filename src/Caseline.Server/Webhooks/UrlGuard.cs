using System.Net;
using System.Net.Sockets;

namespace Caseline.Server.Webhooks;

/// <summary>
/// Server-side request forgery guard: webhook targets must be public addresses. Checked when an
/// endpoint is saved and again at every connection (after DNS resolution), so a name that later
/// resolves to a private address is still refused.
/// </summary>
internal static class UrlGuard
{
    public const int MaxUrlLength = 2048;

    private const string Allowing = WebhookOptions.Section + ":" + nameof(WebhookOptions.AllowPrivateNetworks);

    /// <summary>
    /// Why the URL may not be used, or null when it may. The reason never quotes the URL: it may carry the
    /// receiver's own token.
    /// </summary>
    public static async Task<string?> CheckAsync(string? url, bool allowPrivate, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return "Url is required";
        }

        if (url.Length > MaxUrlLength || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || !(uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
        {
            return $"Url must be an absolute https URL of at most {MaxUrlLength} characters";
        }

        if (!string.IsNullOrEmpty(uri.UserInfo) || !string.IsNullOrEmpty(uri.Fragment))
        {
            return "Url must not carry a user name, a password or a fragment (#…)";
        }

        if (allowPrivate)
        {
            return null;
        }

        if (uri.Scheme != Uri.UriSchemeHttps)
        {
            return $"Url must use https; plain http is allowed only for local receivers, with {Allowing}=true";
        }

        try
        {
            var addresses = await ResolveAsync(uri.IdnHost, ct).ConfigureAwait(false);
            return addresses.Length == 0 ? "Url's host does not resolve to any address"
                : addresses.Any(IsPrivate) ? $"Url's host is (or resolves to) a private, loopback or link-local address; such targets are allowed only with {Allowing}=true"
                : null;
        }
        catch (SocketException)
        {
            return "Url's host does not resolve to any address";
        }
    }

    /// <summary>Connects to a public address of the host, or throws when it has none (unless private networks are allowed).</summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, bool allowPrivate, CancellationToken ct)
    {
        var addresses = await ResolveAsync(context.DnsEndPoint.Host, ct).ConfigureAwait(false);
        if (!allowPrivate && addresses.Any(IsPrivate))
        {
            throw new HttpRequestException($"Refused: the host resolves to a private, loopback or link-local address (allowed only with {Allowing}=true).");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether the address is not a public one: private, loopback, link-local, unique-local, multicast, reserved,
    /// or an IPv6 address that carries such an IPv4 address (mapped, compatible, translated, NAT64, 6to4, Teredo),
    /// since a translator or a tunnel delivers to the IPv4 address it carries.
    /// </summary>
    public static bool IsPrivate(IPAddress address)
    {
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out var length);
        if (length == 4)
        {
            return IsPrivateIPv4(b[..4]);
        }

        if (b[..10].IndexOfAnyExcept((byte)0) < 0 && b[10] == b[11] && b[10] is 0 or 0xFF)
        {
            return IsPrivateIPv4(b[12..]); // IPv4-compatible ::a.b.c.d (with :: and ::1) and IPv4-mapped ::ffff:a.b.c.d
        }

        if (b[..8].IndexOfAnyExcept((byte)0) < 0 && b[8] == 0xFF && b[9] == 0xFF && b[10] == 0 && b[11] == 0)
        {
            return IsPrivateIPv4(b[12..]); // IPv4-translated ::ffff:0:a.b.c.d
        }

        if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B)
        {
            // NAT64: the well-known prefix 64:ff9b::/96 carries the address; the rest of 64:ff9b::/32 (the
            // local-use 64:ff9b:1::/48 included) is the network's own translation, never a public address.
            return b[4..12].IndexOfAnyExcept((byte)0) >= 0 || IsPrivateIPv4(b[12..]);
        }

        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return IsPrivateIPv4(b[2..6]); // 6to4 2002:aabb:ccdd::/48
        }

        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)
        {
            // Teredo 2001::/32: the server's address, and the client's with every bit inverted.
            Span<byte> client = [(byte)~b[12], (byte)~b[13], (byte)~b[14], (byte)~b[15]];
            return IsPrivateIPv4(b[4..8]) || IsPrivateIPv4(client);
        }

        return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || (b[0] & 0xFE) == 0xFC; // fc00::/7 unique local
    }

    private static bool IsPrivateIPv4(ReadOnlySpan<byte> b) => b[0] switch
    {
        0 or 10 or 127 => true,
        100 => b[1] is >= 64 and <= 127,      // carrier-grade NAT
        169 => b[1] == 254,                    // link-local, cloud metadata
        172 => b[1] is >= 16 and <= 31,
        192 => b[1] == 168 || (b[1] == 0 && b[2] is 0 or 2), // private, IETF, documentation
        198 => b[1] is 18 or 19,               // benchmarking
        >= 224 => true,                        // multicast, reserved, broadcast
        _ => false,
    };

    private static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct) =>
        IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
}
