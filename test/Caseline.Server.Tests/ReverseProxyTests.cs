using System.Net;
using System.Text.RegularExpressions;

namespace Caseline.Server.Tests;

/// <summary>
/// A request that says it came through a TLS-terminating proxy for a client at 203.0.113.7: believed only when it
/// comes from a configured proxy (the tests' requests come from 127.0.0.1), and then the session cookie is
/// <c>Secure</c> and the audit trail records the client's address.
/// </summary>
public sealed partial class ReverseProxyTests
{
    private const string Client = "203.0.113.7";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("KnownProxies", "127.0.0.1")]
    [InlineData("KnownNetworks", "127.0.0.0/8")]
    public async Task From_a_configured_proxy_the_request_is_https_from_the_clients_address(string setting, string value)
    {
        await using var server = CaselineServer.With(new Dictionary<string, string> { [$"Caseline:ReverseProxy:{setting}:0"] = value });

        var (cookies, login) = await SignInThroughProxyAsync(server);

        Assert.All(cookies, cookie => Assert.Contains("; secure", cookie, StringComparison.OrdinalIgnoreCase));
        // The administrator's own token came straight from the test, the UI sign-in through the proxy.
        Assert.Equal(["127.0.0.1", Client], await LogonAddressesAsync(server, login));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("10.9.8.7")]
    public async Task From_anyone_but_a_configured_proxy_the_forwarded_headers_are_ignored(string? proxy)
    {
        await using var server = CaselineServer.With(proxy is null ? null : new Dictionary<string, string> { ["Caseline:ReverseProxy:KnownProxies:0"] = proxy });

        var (cookies, login) = await SignInThroughProxyAsync(server);

        Assert.All(cookies, cookie => Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase));
        Assert.Equal(["127.0.0.1", "127.0.0.1"], await LogonAddressesAsync(server, login));
    }

    [Fact]
    public async Task A_proxy_setting_that_is_not_an_address_stops_the_start()
    {
        var start = Assert.ThrowsAny<Exception>(() => CaselineServer.With(new Dictionary<string, string> { ["Caseline:ReverseProxy:KnownNetworks:0"] = "10.0.0.0/99" }));

        Assert.Contains("KnownNetworks", start.ToString(), StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    /// <summary>Where the successful logons of <paramref name="login"/> came from, as the audit trail has them.</summary>
    private static async Task<List<string>> LogonAddressesAsync(CaselineServer server, string login)
    {
        using var admin = await server.ForAsync(login.Split('@')[1].Replace(".test", "", StringComparison.Ordinal));
        var page = await (await admin.Get($"/api/v1/admin/audit?actor={Uri.EscapeDataString(login)}")).ReadObject();
        return [.. page["Records"]!.AsArray().Where(r => (string?)r!["Action"] == "logon" && (int)r!["Outcome"]! == 200).Select(r => (string)r!["Remote"]!).Order(StringComparer.Ordinal)];
    }

    /// <summary>Signs an agency's administrator in to the UI with forwarded headers; answers every cookie it set (not those it deleted) and the login.</summary>
    private static async Task<(List<string> Cookies, string Login)> SignInThroughProxyAsync(CaselineServer server)
    {
        var agency = CaselineServer.NewAgency();
        (await server.ForAsync(agency)).Dispose(); // creates the agency and its administrator
        var login = CaselineServer.Login(agency);
        // Cookies by hand: a Secure cookie is one the client must not send over what it sees as plain http.
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = server.Url };
        http.DefaultRequestHeaders.Add("X-Forwarded-For", Client);
        http.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");

        var form = await http.GetAsync("/ui/signin", Ct);
        var cookies = form.Headers.GetValues("Set-Cookie").ToList();
        var token = AntiforgeryField().Match(await form.Content.ReadAsStringAsync(Ct)).Groups[1].Value;
        using var post = new HttpRequestMessage(HttpMethod.Post, "/ui/signin")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["__antiforgery"] = token, ["login"] = login, ["password"] = CaselineServer.Password }),
        };
        post.Headers.Add("Cookie", string.Join("; ", cookies.Select(c => c.Split(';')[0])));
        var signedIn = await http.SendAsync(post, Ct);

        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        cookies.AddRange(signedIn.Headers.GetValues("Set-Cookie"));
        Assert.Contains(cookies, c => c.StartsWith("caseline.session=", StringComparison.Ordinal));
        // A cookie being deleted (expired at once) carries nothing to protect.
        return ([.. cookies.Where(c => !c.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase))], login);
    }

    [GeneratedRegex("name=\"__antiforgery\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
