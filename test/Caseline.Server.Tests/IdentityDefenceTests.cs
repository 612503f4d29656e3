using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Caseline.Server.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Caseline.Server.Tests;

/// <summary>
/// The attacks an agency's penetration tester tried, each answered: revoked tokens, the second factor on every channel,
/// throttling beside the lockout, bounded failure records, and names that reveal no other agency.
/// </summary>
public sealed class IdentityDefenceTests(CaselineServer server) : IClassFixture<CaselineServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<HttpResponseMessage> TokenRequest(HttpClient http, string form, string? clientId = null, string? secret = null, string path = "/identity/connect/token")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded") };
        if (clientId is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:{secret}")));
        }

        return await http.SendAsync(request, Ct);
    }

    private static string PasswordForm(string login, string password = CaselineServer.Password, string? otp = null) =>
        $"grant_type=password&client_id=caseline&scope=openid caseIntegrationApi&username={Uri.EscapeDataString(login)}&password={Uri.EscapeDataString(password)}"
        + (otp is null ? "" : $"&otp={otp}");

    private HttpClient Bearer(string token, CaselineServer? on = null)
    {
        var http = (on ?? server).CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private static async Task<string> UserId(HttpClient admin, string login) =>
        (string)(await (await admin.Get("/api/v1/admin/users")).Content.ReadFromJsonAsync<JsonArray>(Ct))!
            .Single(u => (string?)u!["Login"] == login)!["Id"]!;

    private static async Task<string> AddUser(HttpClient admin, string login, string role = "Officer")
    {
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/admin/users", new { Login = login, Role = role, Password = CaselineServer.Password }, Ct)).StatusCode);
        return await UserId(admin, login);
    }

    /// <summary>Gives a user an authenticator, as the web UI's enrolment stores it; returns its secret.</summary>
    private static async Task<byte[]> EnrolAsync(CaselineServer on, string userId)
    {
        var secret = Totp.NewSecret();
        await on.Services.GetRequiredService<IdentityStore>().EnrolTotpAsync(userId, on.Services.GetRequiredService<SecondFactor>().Protect(secret), [], Ct);
        return secret;
    }

    private static string CodeNow(byte[] secret, int offset = 0) => Totp.Code(secret, (DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 30) + offset);

    [Fact]
    public async Task A_disabled_and_demoted_administrators_token_stops_at_once_and_nobody_changes_their_own_role_or_flag()
    {
        var agency = CaselineServer.NewAgency();
        using var first = await server.ForAsync(agency);
        var login = CaselineServer.Login(agency, "rogue");
        var id = await AddUser(first, login, "AgencyAdministrator");
        using var rogue = Bearer(await server.PasswordToken(login));
        Assert.Equal(HttpStatusCode.OK, (await rogue.Get("/api/v1/clients")).StatusCode);

        var self = await rogue.PutAsJsonAsync($"/api/v1/admin/users/{id}", new { Role = "Officer" }, Ct);
        Assert.Contains("own role", (string?)(await self.Problem(403))["title"], StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await first.PutAsJsonAsync($"/api/v1/admin/users/{id}", new { Role = "Officer", Disabled = true }, Ct)).StatusCode);

        var refused = await rogue.Get("/api/v1/clients");
        Assert.Contains("revoked", (string?)(await refused.Problem(401))["detail"], StringComparison.Ordinal);
        Assert.Contains("invalid_token", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        (await rogue.PutAsJsonAsync($"/api/v1/admin/users/{id}", new { Disabled = false }, Ct)).EnsureStatus(401);
        (await rogue.PostAsJsonAsync("/api/v1/admin/users", new { Login = CaselineServer.Login(agency, "mole"), Role = "AgencyAdministrator" }, Ct)).EnsureStatus(401);
        Assert.Equal("1", Convert.ToString(server.Execute($"SELECT disabled FROM users WHERE id = '{id}'", readOnly: true), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_disabled_api_clients_token_and_one_whose_secret_was_rotated_stop_working()
    {
        var agency = CaselineServer.NewAgency();
        using var admin = await server.ForAsync(agency);
        var created = await (await admin.PostAsJsonAsync("/api/v1/admin/clients", new { Name = "CMS" }, Ct)).ReadObject();
        var (clientId, secret) = ((string)created["ClientId"]!, (string)created["Secret"]!);
        async Task<HttpClient> ClientToken(string withSecret)
        {
            var token = await (await TokenRequest(server.CreateClient(), "grant_type=client_credentials&scope=caseIntegrationApi", clientId, withSecret)).ReadObject();
            return Bearer((string)token["access_token"]!);
        }

        using var before = await ClientToken(secret);
        using var passwordToken = Bearer(await server.PasswordToken(CaselineServer.Login(agency), clientId: clientId, clientSecret: secret));
        Assert.Equal(HttpStatusCode.OK, (await before.Get("/api/v1/transmit/webhooks")).StatusCode);
        var rotated = await (await admin.Post($"/api/v1/admin/clients/{clientId}/rotate-secret", "{}")).ReadObject();

        (await before.Get("/api/v1/clients")).EnsureStatus(401);
        (await passwordToken.Get("/api/v1/clients")).EnsureStatus(401); // a user's token through that client ends with it
        using var after = await ClientToken((string)rotated["Secret"]!);
        Assert.Equal(HttpStatusCode.OK, (await after.Get("/api/v1/clients")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/v1/admin/clients/{clientId}", new { Disabled = true }, Ct)).StatusCode);
        (await after.Get("/api/v1/transmit/webhooks")).EnsureStatus(401);
    }

    [Fact]
    public async Task Revoking_a_token_or_changing_the_password_ends_it_and_the_revocation_endpoint_answers_as_RFC_7009_says()
    {
        var agency = CaselineServer.NewAgency();
        using var admin = await server.ForAsync(agency);
        var login = CaselineServer.Login(agency, "revoked");
        var id = await AddUser(admin, login);
        var token = await server.PasswordToken(login);
        var other = await server.PasswordToken(login);
        using var http = Bearer(token);
        Assert.Equal(HttpStatusCode.OK, (await http.Get("/api/v1/clients")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await TokenRequest(server.CreateClient(), $"client_id=caseline&token={token}&token_type_hint=access_token", path: TokenEndpoint.RevocationPath)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await TokenRequest(server.CreateClient(), "client_id=caseline&token=not-a-token", path: TokenEndpoint.RevocationPath)).StatusCode);

        (await http.Get("/api/v1/clients")).EnsureStatus(401);
        using var second = Bearer(other);
        Assert.Equal(HttpStatusCode.OK, (await second.Get("/api/v1/clients")).StatusCode); // only the revoked one ended
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/v1/admin/users/{id}", new { Password = "a-new-password-1" }, Ct)).StatusCode);
        (await second.Get("/api/v1/clients")).EnsureStatus(401);
    }

    [Fact]
    public async Task A_person_with_a_second_factor_gets_no_token_with_a_password_alone_and_each_code_is_good_once()
    {
        var agency = CaselineServer.NewAgency();
        using var admin = await server.ForAsync(agency);
        var login = CaselineServer.Login(agency, "mfa");
        var secret = await EnrolAsync(server, await AddUser(admin, login));
        using var anonymous = server.CreateClient();

        var alone = await (await TokenRequest(anonymous, PasswordForm(login))).ReadObject();
        Assert.Equal("invalid_grant", (string?)alone["error"]);
        Assert.Contains("second factor", (string?)alone["error_description"], StringComparison.Ordinal);

        var code = CodeNow(secret);
        Assert.Equal(HttpStatusCode.OK, (await TokenRequest(anonymous, PasswordForm(login, otp: code))).StatusCode);
        var replayed = await (await TokenRequest(anonymous, PasswordForm(login, otp: code))).ReadObject();
        Assert.Equal("invalid_grant", (string?)replayed["error"]);
    }

    [Fact]
    public async Task A_one_time_password_an_administrator_set_gives_no_token_until_it_is_replaced()
    {
        var agency = CaselineServer.NewAgency();
        using var admin = await server.ForAsync(agency);
        var login = CaselineServer.Login(agency, "invited");
        var id = await AddUser(admin, login);
        await server.Services.GetRequiredService<IdentityStore>().RequirePasswordChangeAsync(id, Ct);

        var refused = await (await TokenRequest(server.CreateClient(), PasswordForm(login))).ReadObject();

        Assert.Equal("invalid_grant", (string?)refused["error"]);
        Assert.Contains("replace it", (string?)refused["error_description"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Second_factor_failures_lock_on_their_own_and_no_password_success_clears_them()
    {
        var agency = CaselineServer.NewAgency();
        using var admin = await server.ForAsync(agency);
        var login = CaselineServer.Login(agency, "guessed");
        var secret = await EnrolAsync(server, await AddUser(admin, login));
        using var anonymous = server.CreateClient();
        var right = CodeNow(secret);
        var wrong = Enumerable.Range(0, 1_000_000).Select(n => n.ToString("D6", System.Globalization.CultureInfo.InvariantCulture))
            .Where(c => c != right && c != CodeNow(secret, -1) && c != CodeNow(secret, 1)).Take(5).ToList();

        foreach (var guess in wrong)
        {
            // Each try has the right password: its success must not clear the code failures before it.
            Assert.Equal("invalid_grant", (string?)(await (await TokenRequest(anonymous, PasswordForm(login, otp: guess))).ReadObject())["error"]);
        }

        var locked = await (await TokenRequest(anonymous, PasswordForm(login, otp: right))).ReadObject();
        Assert.Contains("locked", (string?)locked["error_description"], StringComparison.Ordinal);

        var users = await (await admin.Get("/api/v1/admin/users")).Content.ReadFromJsonAsync<JsonArray>(Ct);
        Assert.True((bool)users!.Single(u => (string?)u!["Login"] == login)!["Locked"]!);
        var id = await UserId(admin, login);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.Post($"/api/v1/admin/users/{id}/unlock", "{}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await TokenRequest(anonymous, PasswordForm(login, otp: right))).StatusCode);
    }

    [Fact]
    public async Task An_agency_that_requires_a_second_factor_gives_password_tokens_only_to_service_accounts_and_audits_each_use()
    {
        var agency = CaselineServer.NewAgency();
        using var admin = await server.ForAsync(agency);
        var person = CaselineServer.Login(agency, "person");
        var service = CaselineServer.Login(agency, "integration");
        await AddUser(admin, person);
        var serviceId = await AddUser(admin, service);
        var agencyId = Convert.ToInt64(server.Execute($"SELECT id FROM agencies WHERE name = '{agency}'", readOnly: true), System.Globalization.CultureInfo.InvariantCulture);
        await server.Services.GetRequiredService<IdentityStore>().SetAgencyRequiresMfaAsync(agencyId, true, Ct);
        using var anonymous = server.CreateClient();

        var refused = await (await TokenRequest(anonymous, PasswordForm(person))).ReadObject();
        Assert.Contains("requires a second factor", (string?)refused["error_description"], StringComparison.Ordinal);

        var marked = await (await admin.PutAsJsonAsync($"/api/v1/admin/users/{serviceId}", new { ServiceAccount = true }, Ct)).ReadObject();
        Assert.True((bool)marked["ServiceAccount"]!);
        Assert.Equal(HttpStatusCode.OK, (await TokenRequest(anonymous, PasswordForm(service))).StatusCode);

        var audit = await (await admin.Get($"/api/v1/admin/audit?actor={Uri.EscapeDataString(service)}")).ReadObject();
        Assert.Contains(audit["Records"]!.AsArray(), r => (string?)r!["Action"] == "service-logon" && (int)r["Outcome"]! == 200);
    }

    [Fact]
    public async Task Failed_logons_from_one_source_are_throttled_with_retry_after_and_a_client_keeps_working_from_its_own()
    {
        // The clock stands still, so the delays cannot run out between two requests of a slow test.
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var throttled = CaselineServer.With(
            new Dictionary<string, string> { ["Caseline:Identity:SourceFreeFailures"] = "3" }, s => s.AddSingleton<TimeProvider>(clock));
        var agency = CaselineServer.NewAgency();
        using var admin = await throttled.ForAsync(agency);
        var created = await (await admin.PostAsJsonAsync("/api/v1/admin/clients", new { Name = "CMS" }, Ct)).ReadObject();
        var (clientId, secret) = ((string)created["ClientId"]!, (string)created["Secret"]!);
        using var attacker = FromSource(throttled, "127.0.0.2");

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await TokenRequest(attacker, "grant_type=client_credentials&scope=caseIntegrationApi", clientId, $"guess-{i}")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await TokenRequest(attacker, "grant_type=client_credentials&scope=caseIntegrationApi", clientId, "guess-3")).StatusCode);
        var slowed = await TokenRequest(attacker, "grant_type=client_credentials&scope=caseIntegrationApi", clientId, secret);
        Assert.Equal(HttpStatusCode.TooManyRequests, slowed.StatusCode);
        Assert.True(slowed.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal("slow_down", (string?)(await slowed.ReadObject())["error"]);
        var person = await TokenRequest(attacker, PasswordForm(CaselineServer.Login(agency)));
        Assert.Equal(HttpStatusCode.TooManyRequests, person.StatusCode); // every logon from that source waits

        using var own = FromSource(throttled, "127.0.0.3");
        Assert.Equal(HttpStatusCode.OK, (await TokenRequest(own, "grant_type=client_credentials&scope=caseIntegrationApi", clientId, secret)).StatusCode);
    }

    [Fact]
    public async Task A_persons_failures_slow_their_next_tries_before_the_lockout()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var timed = CaselineServer.With(services: s => s.AddSingleton<TimeProvider>(clock));
        var agency = CaselineServer.NewAgency();
        using var admin = await timed.ForAsync(agency);
        var login = CaselineServer.Login(agency, "slowed");
        await AddUser(admin, login);
        using var source = FromSource(timed, "127.0.0.4");

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await TokenRequest(source, PasswordForm(login, $"wrong-{i}"))).StatusCode);
        }

        var waiting = await TokenRequest(source, PasswordForm(login));
        Assert.Equal(HttpStatusCode.TooManyRequests, waiting.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), waiting.Headers.RetryAfter?.Delta);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await TokenRequest(source, PasswordForm(login))).StatusCode);
    }

    [Fact]
    public async Task Failure_records_keep_a_bounded_hash_of_what_was_typed_and_retention_prunes_them()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var timed = CaselineServer.With(services: s => s.AddSingleton<TimeProvider>(clock));
        using var source = FromSource(timed, "127.0.0.5");
        var typed = "attacker-" + new string('x', 8_000) + "@example.test";

        Assert.Equal(HttpStatusCode.BadRequest, (await TokenRequest(source, PasswordForm(typed, "wrong"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await TokenRequest(source, PasswordForm("nobody@example.test", "wrong"))).StatusCode);

        Assert.Equal(0, timed.Count("SELECT COUNT(*) FROM logon_failures WHERE login_key LIKE '%example%' OR LENGTH(login_key) > 64"));
        Assert.Equal(0, timed.Count("SELECT COUNT(*) FROM audit WHERE LENGTH(actor) > 254"));
        Assert.Equal(1, timed.Count("SELECT COUNT(*) FROM logon_failures"));

        clock.Advance(TimeSpan.FromMinutes(16));
        var swept = await timed.Services.GetRequiredService<Operations.RetentionSweeper>().SweepAsync(Ct);
        Assert.Equal(1, swept.LogonRecords);
        Assert.Equal(0, timed.Count("SELECT COUNT(*) FROM logon_failures"));
    }

    [Fact]
    public async Task A_login_or_client_id_another_agency_holds_is_refused_without_naming_it()
    {
        var mine = CaselineServer.NewAgency();
        var theirs = CaselineServer.NewAgency();
        using var admin = await server.ForAsync(mine);
        using var other = await server.ForAsync(theirs);
        var created = await (await other.PostAsJsonAsync("/api/v1/admin/clients", new { Name = "Theirs", ClientId = theirs + "-cms" }, Ct)).ReadObject();

        var user = await (await admin.PostAsJsonAsync("/api/v1/admin/users", new { Login = CaselineServer.Login(theirs), Role = "Officer" }, Ct)).Problem(409);
        var ownUser = await (await admin.PostAsJsonAsync("/api/v1/admin/users", new { Login = CaselineServer.Login(mine), Role = "Officer" }, Ct)).Problem(409);
        var client = await (await admin.PostAsJsonAsync("/api/v1/admin/clients", new { Name = "Mine", ClientId = (string)created["ClientId"]! }, Ct)).Problem(409);

        Assert.Equal((string?)ownUser["title"], (string?)user["title"]); // the same answer as for a login of one's own agency
        Assert.DoesNotContain(theirs, user.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain(theirs, client.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refusals_are_problem_documents_that_say_why()
    {
        var agency = CaselineServer.NewAgency();
        using var anonymous = server.CreateClient();
        var none = await (await anonymous.Get("/api/v1/clients")).Problem(401);
        Assert.Contains("No access token", (string?)none["detail"], StringComparison.Ordinal);
        using var forged = Bearer("not-a-token");
        Assert.Contains("not valid or has expired", (string?)(await (await forged.Get("/api/v1/clients")).Problem(401))["detail"], StringComparison.Ordinal);

        using var noScope = await server.ForAsync(agency, scope: "openid");
        Assert.Contains("caseIntegrationApi", (string?)(await (await noScope.Get("/api/v1/clients")).Problem(403))["detail"], StringComparison.Ordinal);
        using var admin = await server.ForAsync(agency);
        var officer = CaselineServer.Login(agency, "plain");
        await AddUser(admin, officer);
        using var plain = Bearer(await server.PasswordToken(officer));
        var role = await (await plain.Get("/api/v1/admin/users")).Problem(403);
        Assert.Contains("AgencyAdministrator", (string?)role["detail"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_administrator_resets_a_second_factor_through_the_api_and_nobody_of_another_role_or_agency_can()
    {
        var agency = CaselineServer.NewAgency();
        using var admin = await server.ForAsync(agency);
        using var stranger = await server.ForAsync(CaselineServer.NewAgency());
        var login = CaselineServer.Login(agency, "lost-phone");
        var id = await AddUser(admin, login);
        await EnrolAsync(server, id);
        var officer = CaselineServer.Login(agency, "colleague");
        await AddUser(admin, officer);
        using var plain = Bearer(await server.PasswordToken(officer));
        using var platform = Bearer(await server.PasswordToken(CaselineServer.PlatformAdmin));
        using var anonymous = server.CreateClient();
        Assert.Equal("invalid_grant", (string?)(await (await TokenRequest(anonymous, PasswordForm(login))).ReadObject())["error"]);

        await (await plain.Delete($"/api/v1/admin/users/{id}/second-factor")).Problem(403);
        await (await platform.Delete($"/api/v1/admin/users/{id}/second-factor")).Problem(403);
        await (await stranger.Delete($"/api/v1/admin/users/{id}/second-factor")).Problem(404);
        Assert.Equal("invalid_grant", (string?)(await (await TokenRequest(anonymous, PasswordForm(login))).ReadObject())["error"]);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.Delete($"/api/v1/admin/users/{id}/second-factor")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await TokenRequest(anonymous, PasswordForm(login))).StatusCode);
        await (await admin.Delete("/api/v1/admin/users/no-such-user/second-factor")).Problem(404);
        var audit = await (await admin.Get($"/api/v1/admin/audit?actor={Uri.EscapeDataString(CaselineServer.Login(agency))}")).ReadObject();
        Assert.Contains(audit["Records"]!.AsArray(), r => (string?)r!["Action"] == "DELETE /api/v1/admin/users/{id}/second-factor" && (int)r["Outcome"]! == 204);
    }

    [Fact]
    public async Task The_agencys_second_factor_rule_is_read_and_set_through_the_api_by_its_own_administrators_only()
    {
        var agency = CaselineServer.NewAgency();
        var other = CaselineServer.NewAgency();
        using var admin = await server.ForAsync(agency);
        using var stranger = await server.ForAsync(other);
        var person = CaselineServer.Login(agency, "person");
        await AddUser(admin, person);
        using var plain = Bearer(await server.PasswordToken(person));
        using var platform = Bearer(await server.PasswordToken(CaselineServer.PlatformAdmin));
        using var anonymous = server.CreateClient();
        Assert.False((bool)(await (await admin.Get("/api/v1/admin/agency/second-factor")).ReadObject())["Required"]!);

        await (await plain.PutAsJsonAsync("/api/v1/admin/agency/second-factor", new { Required = true }, Ct)).Problem(403);
        await (await platform.PutAsJsonAsync("/api/v1/admin/agency/second-factor", new { Required = true }, Ct)).Problem(403);
        var invalid = await (await admin.PutAsJsonAsync("/api/v1/admin/agency/second-factor", new { }, Ct)).Problem(400);
        Assert.NotNull(invalid["errors"]!["Required"]);
        Assert.Equal(HttpStatusCode.OK, (await TokenRequest(anonymous, PasswordForm(person))).StatusCode);

        var set = await (await admin.PutAsJsonAsync("/api/v1/admin/agency/second-factor", new { Required = true }, Ct)).ReadObject();
        Assert.True((bool)set["Required"]!);
        Assert.True((bool)(await (await admin.Get("/api/v1/admin/agency/second-factor")).ReadObject())["Required"]!);
        Assert.False((bool)(await (await stranger.Get("/api/v1/admin/agency/second-factor")).ReadObject())["Required"]!);
        var refused = await (await TokenRequest(anonymous, PasswordForm(person))).ReadObject();
        Assert.Contains("requires a second factor", (string?)refused["error_description"], StringComparison.Ordinal);

        Assert.False((bool)(await (await admin.PutAsJsonAsync("/api/v1/admin/agency/second-factor", new { Required = false }, Ct)).ReadObject())["Required"]!);
        Assert.Equal(HttpStatusCode.OK, (await TokenRequest(anonymous, PasswordForm(person))).StatusCode);
        var audit = await (await admin.Get($"/api/v1/admin/audit?actor={Uri.EscapeDataString(CaselineServer.Login(agency))}")).ReadObject();
        Assert.Equal(2, audit["Records"]!.AsArray().Count(r => (string?)r!["Action"] == "PUT /api/v1/admin/agency/second-factor" && (int)r["Outcome"]! == 200));
    }

    [Fact]
    public async Task A_platform_administrator_adds_an_administrator_to_an_agency_through_the_api_and_nobody_else_can()
    {
        var agency = CaselineServer.NewAgency();
        using var admin = await server.ForAsync(agency);
        var officer = CaselineServer.Login(agency, "plain");
        await AddUser(admin, officer);
        using var plain = Bearer(await server.PasswordToken(officer));
        using var platform = Bearer(await server.PasswordToken(CaselineServer.PlatformAdmin));
        var agencies = await (await platform.Get("/api/v1/admin/agencies")).Content.ReadFromJsonAsync<JsonArray>(Ct);
        var agencyId = (long)agencies!.Single(a => (string?)a!["Name"] == agency)!["Id"]!;
        var path = $"/api/v1/admin/agencies/{agencyId}/administrators";
        var login = CaselineServer.Login(agency, "second-admin");

        await (await admin.PostAsJsonAsync(path, new { Login = login }, Ct)).Problem(403);
        await (await plain.PostAsJsonAsync(path, new { Login = login }, Ct)).Problem(403);
        var invalid = await (await platform.PostAsJsonAsync(path, new { Login = "not an address" }, Ct)).Problem(400);
        Assert.NotNull(invalid["errors"]!["Login"]);
        await (await platform.PostAsJsonAsync($"/api/v1/admin/agencies/{agencyId + 1_000_000}/administrators", new { Login = login }, Ct)).Problem(404);

        var created = await platform.PostAsJsonAsync(path, new { Login = login }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var user = await created.ReadObject();
        Assert.Equal("AgencyAdministrator", (string?)user["Role"]);
        await (await platform.PostAsJsonAsync(path, new { Login = login }, Ct)).Problem(409);

        using var added = Bearer(await server.PasswordToken(login, (string)user["Password"]!));
        var users = await (await added.Get("/api/v1/admin/users")).Content.ReadFromJsonAsync<JsonArray>(Ct);
        Assert.Contains(users!, u => (string?)u!["Login"] == login && (string?)u["Role"] == "AgencyAdministrator");
        var audit = await (await added.Get($"/api/v1/admin/audit?actor={Uri.EscapeDataString(CaselineServer.PlatformAdmin)}")).ReadObject();
        Assert.Contains(audit["Records"]!.AsArray(), r => (string?)r!["Action"] == $"user invited: {login} as AgencyAdministrator" && (int)r["Outcome"]! == 201);
    }

    /// <summary>An HTTP client whose connections come from another loopback address: another source, as the server sees it.</summary>
    internal static HttpClient FromSource(CaselineServer on, string address)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = on.Url };
    }
}

internal static class StatusAssertions
{
    public static void EnsureStatus(this HttpResponseMessage response, int status) => Assert.Equal(status, (int)response.StatusCode);
}
