using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace Caseline.Server.Tests;

/// <summary>Tokens from the real token endpoint, roles, lockout, rate limits and the audit trail.</summary>
public sealed class IdentityTests(CaselineServer server) : IClassFixture<CaselineServer>
{
    private static async Task<HttpResponseMessage> TokenRequest(HttpClient http, string form, string? clientId = null, string? secret = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/identity/connect/token")
        {
            Content = new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        if (clientId is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:{secret}")));
        }

        return await http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static HttpClient Bearer(CaselineServer server, string token)
    {
        var http = server.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private static async Task<JsonObject> NewApiClient(HttpClient admin, string name)
    {
        var response = await admin.PostAsJsonAsync("/api/v1/admin/clients", new { Name = name }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.ReadObject();
    }

    [Fact]
    public async Task The_integration_guides_flow_works_as_written()
    {
        var agency = CaselineServer.NewAgency();
        using var admin = await server.ForAsync(agency);
        var client = await NewApiClient(admin, "County CMS");
        using var anonymous = server.CreateClient();

        var response = await TokenRequest(
            anonymous, $"grant_type=password&scope=openid caseIntegrationApi&username={CaselineServer.Login(agency)}&password={CaselineServer.Password}",
            (string)client["ClientId"]!, (string)client["Secret"]!);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var token = await response.ReadObject();
        Assert.Equal("Bearer", (string?)token["token_type"]);
        Assert.InRange((int)token["expires_in"]!, 3000, 3600);
        using var http = Bearer(server, (string)token["access_token"]!);
        Assert.Equal(HttpStatusCode.Created, (await http.Put("/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee"}""")).StatusCode);
        Assert.Equal(CaselineServer.Login(agency), server.Log(agency).Single().Message.Action.UpdatedBy);
    }

    [Fact]
    public async Task A_machine_client_gets_a_token_by_client_credentials_and_writes_as_itself()
    {
        var agency = CaselineServer.NewAgency();
        using var admin = await server.ForAsync(agency);
        var client = await NewApiClient(admin, "County CMS");
        using var anonymous = server.CreateClient();

        var token = await (await TokenRequest(anonymous, "grant_type=client_credentials&scope=caseIntegrationApi", (string)client["ClientId"]!, (string)client["Secret"]!)).ReadObject();
        using var http = Bearer(server, (string)token["access_token"]!);
        await http.Put("/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee"}""");

        Assert.Equal("County CMS", server.Log(agency).Single().Message.Action.UpdatedBy);
        var wrong = await TokenRequest(anonymous, "grant_type=client_credentials&scope=caseIntegrationApi", (string)client["ClientId"]!, "not-the-secret");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal("invalid_client", (string?)(await wrong.ReadObject())["error"]);
    }

    [Fact]
    public async Task Missing_malformed_and_foreign_tokens_get_401_problems()
    {
        using var none = server.CreateClient();
        using var malformed = Bearer(server, "not-a-token");

        await (await none.Get("/api/v1/clients")).Problem(401);
        await (await malformed.Get("/api/v1/clients")).Problem(401);
        await (await malformed.Get("/api/v1/transmit/messages")).Problem(401);
    }

    [Fact]
    public async Task Tokens_without_the_scope_or_the_role_get_403_problems()
    {
        var agency = CaselineServer.NewAgency();
        using var admin = await server.ForAsync(agency);
        using var openIdOnly = await server.ForAsync(agency, scope: "openid");
        await admin.PostAsJsonAsync("/api/v1/admin/users", new { Login = CaselineServer.Login(agency, "plain"), Role = "Officer", Password = CaselineServer.Password }, TestContext.Current.CancellationToken);
        using var officer = Bearer(server, await server.PasswordToken(CaselineServer.Login(agency, "plain")));
        using var platform = Bearer(server, await server.PasswordToken(CaselineServer.PlatformAdmin));

        await (await openIdOnly.Get("/api/v1/clients")).Problem(403);
        await (await officer.Get("/api/v1/transmit/webhooks")).Problem(403);
        await (await officer.Get("/api/v1/admin/audit")).Problem(403);
        await (await platform.Get("/api/v1/clients")).Problem(403);
        await (await admin.Get("/api/v1/admin/agencies")).Problem(403);
        Assert.Equal(HttpStatusCode.OK, (await officer.Get("/api/v1/clients")).StatusCode);
    }

    [Fact]
    public async Task An_expired_token_gets_a_401_problem()
    {
        // Long enough for the setup's own tokens on a loaded machine, short enough to wait out.
        await using var shortLived = CaselineServer.With(new Dictionary<string, string> { ["Caseline:Identity:AccessTokenLifetime"] = "00:00:05" });
        using var http = await shortLived.ForAsync(CaselineServer.NewAgency());
        var issuedBefore = DateTime.UtcNow; // the token came from the endpoint before this instant
        Assert.Equal(HttpStatusCode.OK, (await http.Get("/api/v1/clients")).StatusCode);

        // Never a negative wait: Task.Delay throws below -2 ms, and waits forever between -1 and -2 ms.
        var wait = issuedBefore.AddSeconds(6) - DateTime.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, TestContext.Current.CancellationToken);
        }

        await (await http.Get("/api/v1/clients")).Problem(401);
    }

    [Fact]
    public void Remembered_tokens_are_bounded_and_never_outlive_their_expiry()
    {
        var tokens = new Identity.ValidatedTokens();
        var principal = new System.Security.Claims.ClaimsPrincipal();
        tokens.Remember("expired", principal, DateTimeOffset.UtcNow.AddSeconds(-1));
        Assert.Null(tokens.Find("expired"));

        for (var i = 0; i < Identity.ValidatedTokens.Capacity + 10; i++)
        {
            tokens.Remember($"token-{i}", principal, DateTimeOffset.UtcNow.AddHours(1));
        }

        Assert.Equal(Identity.ValidatedTokens.Capacity, tokens.Count);
        Assert.Same(principal, tokens.Find("token-0"));
        Assert.Null(tokens.Find($"token-{Identity.ValidatedTokens.Capacity}"));
        Assert.NotEqual(Identity.ValidatedTokens.Key("abc"), Identity.ValidatedTokens.Key("abd"));
    }

    [Fact]
    public async Task Five_failed_logons_in_fifteen_minutes_lock_the_account_and_every_attempt_is_audited()
    {
        // The growing per-account delays would answer the third try 429; this test is about the lockout behind them.
        await using var unthrottled = CaselineServer.With(new Dictionary<string, string> { ["Caseline:Identity:AccountFreeFailures"] = "5" });
        var agency = CaselineServer.NewAgency();
        using var admin = await unthrottled.ForAsync(agency);
        var login = CaselineServer.Login(agency, "target");
        await admin.PostAsJsonAsync("/api/v1/admin/users", new { Login = login, Role = "Officer", Password = CaselineServer.Password }, TestContext.Current.CancellationToken);
        using var anonymous = unthrottled.CreateClient();

        for (var i = 0; i < 5; i++)
        {
            var failed = await TokenRequest(anonymous, $"grant_type=password&client_id=caseline&scope=caseIntegrationApi&username={login}&password=wrong-{i}");
            Assert.Equal("invalid_grant", (string?)(await failed.ReadObject())["error"]);
        }

        var locked = await (await TokenRequest(anonymous, $"grant_type=password&client_id=caseline&scope=caseIntegrationApi&username={login}&password={CaselineServer.Password}")).ReadObject();

        Assert.Equal("invalid_grant", (string?)locked["error"]);
        Assert.Contains("locked", (string?)locked["error_description"], StringComparison.Ordinal);
        var audit = await (await admin.Get($"/api/v1/admin/audit?actor={Uri.EscapeDataString(login)}")).ReadObject();
        Assert.Equal([400, 400, 400, 400, 400, 423], audit["Records"]!.AsArray().Select(r => (int)r!["Outcome"]!));
        Assert.All(audit["Records"]!.AsArray(), r => Assert.Equal("logon", (string?)r!["Action"]));
    }

    [Fact]
    public async Task Requests_over_a_callers_rate_get_429_with_retry_after()
    {
        await using var limited = CaselineServer.With(new Dictionary<string, string> { ["Caseline:Identity:RateLimitPermits"] = "5" });
        using var http = await limited.ForAsync(CaselineServer.NewAgency());
        using var other = await limited.ForAsync(CaselineServer.NewAgency());

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await http.Get("/api/v1/clients")).StatusCode);
        }

        var refused = await http.Get("/api/v1/clients");

        await refused.Problem(429);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal(HttpStatusCode.OK, (await other.Get("/api/v1/clients")).StatusCode); // each caller has its own budget
    }

    [Fact]
    public async Task Reading_a_profile_leaves_one_audit_record_that_only_the_agency_can_query()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await http.Put("/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee"}""");

        await http.Get("/api/v1/clients/EX1");

        var records = (await (await http.Get("/api/v1/admin/audit?clientId=EX1")).ReadObject())["Records"]!.AsArray();
        var read = Assert.Single(records, r => (string?)r!["Action"] == "GET /api/v1/clients/{clientId}")!;
        Assert.Equal(CaselineServer.Login(agency), (string?)read["Actor"]);
        Assert.Equal(200, (int)read["Outcome"]!);
        Assert.Equal("127.0.0.1", (string?)read["Remote"]);
        Assert.True(DateTimeOffset.UtcNow - (DateTimeOffset)read["At"]! < TimeSpan.FromMinutes(1));
        Assert.Single(records, r => (string?)r!["Action"] == "PUT /api/v1/clients/{clientId}");
        using var other = await server.ForAsync(CaselineServer.NewAgency());
        Assert.Empty((await (await other.Get("/api/v1/admin/audit?clientId=EX1")).ReadObject())["Records"]!.AsArray());
    }

    [Fact]
    public async Task A_read_is_answered_without_waiting_for_its_audit_record_to_commit()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await http.Put("/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee"}""");
        using var release = new ManualResetEventSlim();
        var held = server.Services.GetRequiredService<Storage.WriteQueue>().RunAsync(_ => release.Wait(TimeSpan.FromSeconds(30)), TestContext.Current.CancellationToken);
        try
        {
            // The writer is held, so the read's record stays queued: the answer must not wait for it.
            var read = await http.Get("/api/v1/clients/EX1").WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }
        finally
        {
            release.Set();
        }

        await held;
        var records = (await (await http.Get("/api/v1/admin/audit?clientId=EX1")).ReadObject())["Records"]!.AsArray();
        Assert.Single(records, r => (string?)r!["Action"] == "GET /api/v1/clients/{clientId}");
    }

    [Fact]
    public async Task Every_change_is_audited_once_with_the_status_it_answered_and_commits_with_its_record()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        var answered = new List<int>
        {
            (int)(await http.Post("/api/v1/clients", """{"IntegrationId":"AU1","FirstName":"Ann","LastName":"Lee"}""")).StatusCode,
            (int)(await http.Post("/api/v1/clients", """{"IntegrationId":"AU1","FirstName":"Ann","LastName":"Lee"}""")).StatusCode,
            (int)(await http.Put("/api/v1/clients/AU1", """{"Email":"ann@example.test"}""")).StatusCode,
            (int)(await http.Put("/api/v1/clients/AU1/contacts/P1", """{"ContactType":"MobilePhone","Contact":"555-0100"}""")).StatusCode,
            (int)(await http.Put("/api/v1/clients/AU1/contacts/P1", """{"ContactType":"MobilePhone","Contact":"555-0101"}""")).StatusCode,
            (int)(await http.Put("/api/v1/clients/AU1/contacts/P2", """{"ContactType":"MobilePhone"}""")).StatusCode,
            (int)(await http.Put("/api/v1/clients/NOBODY/contacts/P1", """{"ContactType":"MobilePhone","Contact":"555-0100"}""")).StatusCode,
            (int)(await http.Delete("/api/v1/clients/AU1/contacts/P1")).StatusCode,
            (int)(await http.Delete("/api/v1/clients/AU1/contacts/P1")).StatusCode,
        };
        Assert.Equal([201, 409, 200, 201, 200, 400, 404, 204, 404], answered);

        var records = (await (await http.Get("/api/v1/admin/audit?actor=" + Uri.EscapeDataString(CaselineServer.Login(agency)))).ReadObject())["Records"]!.AsArray()
            .Where(r => ((string)r!["Action"]!).Contains("/api/v1/clients", StringComparison.Ordinal) && !((string)r["Action"]!).StartsWith("GET", StringComparison.Ordinal)).ToList();
        Assert.Equal(answered, records.Select(r => (int)r!["Outcome"]!));

        // A change and its record are written by one unit, so they carry the same commit time.
        var timeline = (await (await http.Get("/api/v1/clients/AU1/messages")).ReadObject())["Messages"]!.AsArray();
        var changeTimes = timeline.Select(m => (DateTimeOffset)m!["Message"]!["Action"]!["OccurredOn"]!).Distinct().ToList();
        var recordTimes = records.Where(r => (int)r!["Outcome"]! is 200 or 201 or 204 && (string?)r["ClientId"] == "AU1")
            .Select(r => (DateTimeOffset)r!["At"]!).ToList();
        Assert.Equal(changeTimes, recordTimes);
    }

    [Fact]
    public async Task Administering_users_and_api_clients_through_the_api_is_on_the_audit_trail()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        var created = await http.Post("/api/v1/admin/users", $$"""{"Login":"{{CaselineServer.Login(agency, "audited")}}","Role":"Officer"}""");
        Assert.Equal(201, (int)created.StatusCode);
        Assert.Equal(201, (int)(await http.Post("/api/v1/admin/clients", """{"Name":"Audited job"}""")).StatusCode);

        var actions = (await (await http.Get("/api/v1/admin/audit?actor=" + Uri.EscapeDataString(CaselineServer.Login(agency)))).ReadObject())["Records"]!.AsArray()
            .Select(r => $"{(string?)r!["Action"]} {(int)r["Outcome"]!}").ToList();
        Assert.Contains("POST /api/v1/admin/users/ 201", actions);
        Assert.Contains("POST /api/v1/admin/clients/ 201", actions);
    }

    [Fact]
    public async Task A_password_set_through_the_api_replaces_the_old_one_for_tokens()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        var login = CaselineServer.Login(agency, "service");
        var user = await (await http.Post("/api/v1/admin/users", $$"""{"Login":"{{login}}","Role":"Officer","Password":"{{CaselineServer.Password}}"}""")).ReadObject();
        Assert.Equal(200, (int)(await http.Put($"/api/v1/admin/users/{(string?)user["Id"]}", """{"Password":"a-service-password-2"}""")).StatusCode);

        using var anonymous = server.CreateClient();
        var form = $"grant_type=password&client_id=caseline&scope=caseIntegrationApi&username={Uri.EscapeDataString(login)}&password=";
        Assert.Equal("invalid_grant", (string?)(await (await TokenRequest(anonymous, form + CaselineServer.Password)).ReadObject())["error"]);
        Assert.NotNull((string?)(await (await TokenRequest(anonymous, form + "a-service-password-2")).ReadObject())["access_token"]);
    }

    [Fact]
    public void No_route_can_change_the_audit_trail()
    {
        var routes = server.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>().Endpoints
            .OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.Contains("audit", StringComparison.OrdinalIgnoreCase) == true)
            .ToList();
        Assert.Equal(["GET"], routes.SelectMany(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? []));

        // The web UI's audit page is a Razor page (its methods are its handlers'): it has none but GET.
        var page = Assert.Single(routes, e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>() is null);
        Assert.Equal("ui/admin/audit", page.RoutePattern.RawText?.TrimStart('/'));
        Assert.All(
            typeof(Caseline.Server.Web.Pages.Admin.AuditModel).GetMethods().Where(m => m.DeclaringType == typeof(Caseline.Server.Web.Pages.Admin.AuditModel) && m.Name.StartsWith("On", StringComparison.Ordinal)),
            handler => Assert.StartsWith("OnGet", handler.Name, StringComparison.Ordinal));
    }
}

/// <summary>What the logs of a whole working session hold: no secret, password, token or client personal data.</summary>
public sealed class LogHygieneTests
{
    [Fact]
    public async Task A_full_session_logs_no_secret_token_password_or_personal_data()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = CaselineServer.With();
        await using var receiver = await WebhookReceiver.StartAsync();
        var agency = CaselineServer.NewAgency();
        using var admin = await server.ForAsync(agency);
        var client = await (await admin.PostAsJsonAsync("/api/v1/admin/clients", new { Name = "County CMS" }, ct)).ReadObject();
        var clientSecret = (string)client["Secret"]!;
        var userPassword = "Officer-Password-" + Guid.NewGuid().ToString("N")[..8];
        await admin.PostAsJsonAsync("/api/v1/admin/users", new { Login = CaselineServer.Login(agency, "jf"), Role = "Officer", Password = userPassword }, ct);
        var token = await server.PasswordToken(CaselineServer.Login(agency, "jf"), userPassword, clientId: (string)client["ClientId"]!, clientSecret: clientSecret);
        using var http = server.CreateClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var hook = await (await admin.PostAsJsonAsync("/api/v1/transmit/webhooks", new { Url = receiver.Url + "?token=receiver-own-token-xyz" }, ct)).ReadObject();
        var rotated = await (await admin.PostAsync($"/api/v1/transmit/webhooks/{hook["Id"]}/rotate-secret", null, ct)).ReadObject();

        await http.Put("/api/v1/clients/EX1", """{"FirstName":"Johnathan","LastName":"Farmer","DateOfBirth":"1980-05-28","Email":"j.farmer@example.org"}""");
        await http.Put("/api/v1/clients/EX1/addresses/H", """{"AddressType":"Home","Address":"4417 Juniper Lane"}""");
        await http.Put("/api/v1/clients/EX1/addresses/H", """{"AddressType":"Boat","Address":"4417 Juniper Lane <b>"}""");
        await http.Put("/api/v1/clients/EX1", """{"FirstName":"Johnathan","LastName":"Farmer","DateOfBirth":"1980-02-31"}""");
        await http.Get("/api/v1/clients/EX1");
        await http.Get("/api/v1/transmit/messages");
        using var anonymous = server.CreateClient();
        await anonymous.PostAsync("/identity/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["client_id"] = "caseline", ["username"] = CaselineServer.Login(agency, "jf"), ["password"] = "Wrong-Password-Guess-77",
        }), ct);
        await WebhookTests.Until(() => receiver.Requests.Count >= 3, "deliveries");

        var logs = string.Join("\n", server.Logs);
        Assert.NotEmpty(server.Logs);
        foreach (var secret in new[]
        {
            clientSecret, userPassword, CaselineServer.Password, token, (string)hook["Secret"]!, (string)rotated["Secret"]!, "receiver-own-token-xyz",
            "Wrong-Password-Guess-77", "Johnathan", "Farmer", "1980-05-28", "j.farmer@example.org", "Juniper",
        })
        {
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
        }
    }
}

/// <summary>A first start in Development makes the demo agency with the configured client and officer.</summary>
public sealed class BootstrapTests
{
    [Fact]
    public async Task A_first_start_in_development_creates_the_demo_agency_its_client_and_officer()
    {
        await using var server = CaselineServer.With(new Dictionary<string, string>
        {
            ["Environment"] = "Development",
            ["Caseline:Bootstrap:DemoAgency"] = "demo",
            ["Caseline:Bootstrap:DemoClientId"] = "demo-cms",
            ["Caseline:Bootstrap:DemoClientSecret"] = "demo-client-secret-123",
            ["Caseline:Bootstrap:DemoUserEmail"] = "officer@demo.test",
            ["Caseline:Bootstrap:DemoUserPassword"] = "demo-officer-password",
        });

        var token = await server.PasswordToken("officer@demo.test", "demo-officer-password", clientId: "demo-cms", clientSecret: "demo-client-secret-123");
        using var http = server.CreateClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        await http.Put("/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee"}""");

        var message = Assert.Single(server.Log("demo")).Message;
        Assert.Equal("officer@demo.test", message.Action.UpdatedBy);
        Assert.DoesNotContain("demo-officer-password", string.Join("\n", server.Logs), StringComparison.Ordinal);
    }
}
