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

    /// <summary>Why the URL may not be used, or null when it may.</summary>
    public static async Task<string?> CheckAsync(string? url, bool allowPrivate, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return "Url is required";
        }

        if (url.Length > MaxUrlLength || !Uri.TryCreate(url, UriKind.Absolute, out var uri)
            || !(uri.Scheme == Uri.UriSchemeHttps || (allowPrivate && uri.Scheme == Uri.UriSchemeHttp))
            || !string.IsNullOrEmpty(uri.UserInfo) || !string.IsNullOrEmpty(uri.Fragment))
        {
            return "Url is invalid";
        }

        if (allowPrivate)
        {
            return null;
        }

        try
        {
            var addresses = await ResolveAsync(uri.IdnHost, ct).ConfigureAwait(false);
            return addresses.Length == 0 || addresses.Any(IsPrivate) ? "Url is invalid" : null;
        }
        catch (SocketException)
        {
            return "Url is invalid";
        }
    }

    /// <summary>Connects to a public address of the host, or throws when it has none (unless private networks are allowed).</summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, bool allowPrivate, CancellationToken ct)
    {
        var addresses = await ResolveAsync(context.DnsEndPoint.Host, ct).ConfigureAwait(false);
        if (!allowPrivate && addresses.Any(IsPrivate))
        {
            throw new HttpRequestException("Refused: the host resolves to a private, loopback or link-local address.");
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

    public static bool IsPrivate(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6None))
        {
            return true;
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var first = address.GetAddressBytes()[0];
            return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || (first & 0xFE) == 0xFC; // fc00::/7 unique local
        }

        var b = address.GetAddressBytes();
        return b[0] switch
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
    }

    private static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct) =>
        IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
}
