using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using IPNetwork = System.Net.IPNetwork;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Http;

/// <summary>
/// The <c>Caseline:ReverseProxy</c> section: the proxies (addresses, or networks in CIDR notation) whose
/// <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> are believed. None by default: anyone can send those headers.
/// </summary>
internal sealed class ReverseProxyOptions
{
    public const string Section = "Caseline:ReverseProxy";

    /// <summary>Proxy addresses, e.g. <c>10.0.0.5</c>.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Proxy networks, e.g. <c>10.0.0.0/24</c>.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    public bool Any => KnownProxies.Count > 0 || KnownNetworks.Count > 0;

    public bool IsValid => KnownProxies.All(p => IPAddress.TryParse(p, out _)) && KnownNetworks.All(n => IPNetwork.TryParse(n, out _));
}

/// <summary>
/// Behind a TLS-terminating proxy the request is what the proxy says it was: https (so cookies are <c>Secure</c>)
/// from the client's address (so the audit trail records the client, not the proxy). Only a request that comes
/// from a configured proxy is believed; from anywhere else the headers are ignored.
/// </summary>
internal static class ReverseProxy
{
    public static IServiceCollection AddReverseProxy(this IServiceCollection services)
    {
        services.AddOptions<ReverseProxyOptions>().BindConfiguration(ReverseProxyOptions.Section)
            .Validate(proxy => proxy.IsValid, "Caseline:ReverseProxy:KnownProxies must be IP addresses and KnownNetworks CIDR networks (10.0.0.0/24).")
            .ValidateOnStart();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ReverseProxyOptions>>((forwarded, proxy) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // The framework trusts loopback by default; here nothing is trusted unless configured.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            // Every hop that is a configured proxy is unwrapped, and the first address that is not one is the client.
            forwarded.ForwardLimit = null;
            foreach (var address in proxy.Value.KnownProxies)
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(address));
            }

            foreach (var network in proxy.Value.KnownNetworks)
            {
                forwarded.KnownIPNetworks.Add(IPNetwork.Parse(network));
            }
        });
        return services;
    }

    public static IApplicationBuilder UseReverseProxy(this IApplicationBuilder app) =>
        app.ApplicationServices.GetRequiredService<IOptions<ReverseProxyOptions>>().Value.Any ? app.UseForwardedHeaders() : app;
}
