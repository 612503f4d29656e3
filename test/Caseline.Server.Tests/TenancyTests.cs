using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Caseline.Server.Tests;

/// <summary>
/// Agencies are tenants. Every API route is called by a second agency with the first agency's
/// identifiers in it: nothing of the first agency is seen or changed. The routes come from the
/// route table, so a new route is covered without touching this test.
/// </summary>
public sealed class TenancyTests(CaselineServer server) : IClassFixture<CaselineServer>
{
    private const string Marker = "ZZ-A-SECRET";

    [Fact]
    public async Task A_second_agency_sees_and_changes_nothing_of_the_first_on_any_route()
    {
        var ct = TestContext.Current.CancellationToken;
        var first = CaselineServer.NewAgency();
        using var a = await server.ForAsync(first);
        await a.Put("/api/v1/clients/EX1", $$"""{"FirstName":"{{Marker}}","LastName":"Lee","Email":"a@example.org"}""");
        var items = new Dictionary<string, string>
        {
            ["addresses"] = $$"""{"AddressType":"Home","Address":"{{Marker}} street"}""",
            ["contacts"] = $$"""{"ContactType":"HomePhone","Contact":"{{Marker}}"}""",
            ["vehicles"] = $$"""{"Make":"{{Marker}}"}""",
            ["employers"] = $$"""{"Employer":"{{Marker}}"}""",
            ["cases"] = $$"""{"CaseNumber":"{{Marker}}"}""",
            ["protectiveOrders"] = $$"""{"OrderType":"{{Marker}}"}""",
        };
        foreach (var (collection, body) in items)
        {
            Assert.Equal(HttpStatusCode.Created, (await a.Put($"/api/v1/clients/EX1/{collection}/I1", body)).StatusCode);
        }

        var webhook = await (await a.PostAsJsonAsync("/api/v1/transmit/webhooks", new { Url = "http://127.0.0.1:9/" + Marker }, ct)).ReadObject();
        var job = await StartJob(a, $$"""{"IntegrationId":"EX2","FirstName":"{{Marker}}","LastName":"Job"}""");
        var apiClient = await (await a.PostAsJsonAsync("/api/v1/admin/clients", new { Name = Marker }, ct)).ReadObject();
        var user = (await (await a.Get("/api/v1/admin/users")).Content.ReadFromJsonAsync<JsonArray>(ct))![0]!;
        await a.Put("/api/v1/lookups/genders", $$"""{"Values":["{{Marker}}"]}""");
        long deliveryId = 0;
        await WebhookTests.Until(() =>
        {
            var deliveries = a.Get($"/api/v1/transmit/webhooks/{webhook["Id"]}/deliveries").Result.ReadObject().Result["Deliveries"]!.AsArray();
            deliveryId = deliveries.Count > 0 ? (long)deliveries[0]!["Id"]! : 0;
            return deliveryId > 0;
        }, "a delivery of the first agency");

        var ids = new Dictionary<string, string>
        {
            ["clientId"] = "EX1",
            ["itemId"] = "I1",
            ["deliveryId"] = deliveryId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["kind"] = "genders",
        };
        var before = Snapshot(first);
        var secrets = new[] { Marker, (string)webhook["Id"]!, (string)job["Id"]!, (string)apiClient["ClientId"]!, (string)user["Id"]! };
        var agencyId = server.Rows($"SELECT id FROM agencies WHERE name = '{first}'").Single();

        using var b = await server.ForAsync(CaselineServer.NewAgency());
        var routes = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1/", StringComparison.Ordinal) == true)
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => (Method: m, Pattern: e.RoutePattern.RawText!)))
            .OrderBy(r => r.Method == "GET" ? 0 : 1) // reads first: later writes make the second agency its own EX1
            .ToList();
        Assert.True(routes.Count > 40, $"only {routes.Count} routes");

        foreach (var (method, pattern) in routes)
        {
            var path = Fill(pattern, ids, webhook: (string)webhook["Id"]!, job: (string)job["Id"]!, apiClient: (string)apiClient["ClientId"]!, user: (string)user["Id"]!, agency: agencyId);
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = Body(method, pattern) };
            var response = await b.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);

            Assert.True((int)response.StatusCode < 500, $"{method} {pattern}: {(int)response.StatusCode}");
            Assert.DoesNotContain(secrets, s => text.Contains(s, StringComparison.Ordinal));
            if (method == "GET" && pattern.Contains('{', StringComparison.Ordinal) && !pattern.EndsWith("{kind}", StringComparison.Ordinal))
            {
                Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden, $"{method} {pattern} answered {(int)response.StatusCode}");
            }
        }

        Assert.Equal(before, Snapshot(first));
    }

    private static async Task<JsonObject> StartJob(HttpClient http, string line)
    {
        var content = new StringContent(line, Encoding.UTF8);
        content.Headers.ContentType = Http.NdJson;
        return await (await http.PostAsync("/api/v1/sync/clients", content, TestContext.Current.CancellationToken)).ReadObject();
    }

    private static string Fill(string pattern, Dictionary<string, string> ids, string webhook, string job, string apiClient, string user, string agency)
    {
        var path = pattern;
        path = path.Replace("/transmit/webhooks/{id}", $"/transmit/webhooks/{webhook}", StringComparison.Ordinal)
            .Replace("/sync/jobs/{id}", $"/sync/jobs/{job}", StringComparison.Ordinal)
            .Replace("/admin/users/{id}", $"/admin/users/{user}", StringComparison.Ordinal)
            .Replace("/admin/clients/{clientId}", $"/admin/clients/{apiClient}", StringComparison.Ordinal)
            .Replace("/admin/agencies/{id:long}", $"/admin/agencies/{agency}", StringComparison.Ordinal);
        foreach (var (name, value) in ids)
        {
            path = System.Text.RegularExpressions.Regex.Replace(path, $@"\{{{name}(:[^}}]+)?\}}", value);
        }

        Assert.DoesNotContain("{", path, StringComparison.Ordinal);
        return path;
    }

    private static StringContent? Body(string method, string pattern)
    {
        if (method is "GET" or "DELETE")
        {
            return null;
        }

        if (pattern.EndsWith("/sync/clients", StringComparison.Ordinal))
        {
            var ndjson = new StringContent("""{"IntegrationId":"EX1","FirstName":"Bee","LastName":"Bee"}""", Encoding.UTF8);
            ndjson.Headers.ContentType = Http.NdJson;
            return ndjson;
        }

        var json = pattern switch
        {
            _ when pattern.EndsWith("/clients", StringComparison.Ordinal) && pattern.Contains("/admin/", StringComparison.Ordinal) => """{"Name":"B client"}""",
            _ when pattern.Contains("/admin/clients/", StringComparison.Ordinal) => """{"Name":"B client"}""",
            _ when pattern.Contains("/admin/users", StringComparison.Ordinal) => """{"Login":"b-user@b.test","Role":"Officer"}""",
            _ when pattern.EndsWith("/administrators", StringComparison.Ordinal) => """{"Login":"b-admin@b.test"}""",
            _ when pattern.Contains("/admin/agencies", StringComparison.Ordinal) => """{"Name":"b-made","AdminEmail":"b-made@b.test"}""",
            _ when pattern.EndsWith("/admin/agency/second-factor", StringComparison.Ordinal) => """{"Required":false}""",
            _ when pattern.EndsWith("/recover", StringComparison.Ordinal) => """{"Since":"2000-01-01T00:00:00Z"}""",
            _ when pattern.Contains("/transmit/webhooks", StringComparison.Ordinal) => """{"Url":"http://127.0.0.1:9/b"}""",
            _ when pattern.Contains("/lookups/", StringComparison.Ordinal) => """{"Values":["B"]}""",
            _ when pattern.Contains("/addresses/", StringComparison.Ordinal) => """{"AddressType":"Work","Address":"B"}""",
            _ when pattern.Contains("/contacts/", StringComparison.Ordinal) => """{"ContactType":"OtherPhone","Contact":"B"}""",
            _ when pattern.Contains("/vehicles/", StringComparison.Ordinal) => """{"Make":"B"}""",
            _ when pattern.Contains("/employers/", StringComparison.Ordinal) => """{"Employer":"B"}""",
            _ when pattern.Contains("/cases/", StringComparison.Ordinal) => """{"CaseNumber":"B"}""",
            _ when pattern.Contains("/protectiveOrders/", StringComparison.Ordinal) => """{"OrderType":"B"}""",
            _ => """{"IntegrationId":"EX1","FirstName":"Bee","LastName":"Bee"}""",
        };
        return Http.Json(json);
    }

    /// <summary>Everything of an agency, straight from the database.</summary>
    private string Snapshot(string agency)
    {
        var tables = new[]
        {
            "SELECT c.client_id, c.first_name FROM clients c JOIN agencies a ON a.id = c.agency_id WHERE a.name = '{0}' ORDER BY c.client_id",
            "SELECT s.details FROM sections s JOIN agencies a ON a.id = s.agency_id WHERE a.name = '{0}' ORDER BY s.client_id, s.section, s.item_id",
            "SELECT COUNT(*) FROM messages m JOIN agencies a ON a.id = m.agency_id WHERE a.name = '{0}'",
            "SELECT w.url, w.enabled, w.secret FROM webhook_endpoints w JOIN agencies a ON a.id = w.agency_id WHERE a.name = '{0}' ORDER BY w.id",
            "SELECT d.id, d.attempt_base FROM deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id JOIN agencies a ON a.id = w.agency_id WHERE a.name = '{0}' ORDER BY d.id",
            "SELECT u.login, u.role, u.disabled, u.password_hash FROM users u JOIN agencies a ON a.id = u.agency_id WHERE a.name = '{0}' ORDER BY u.login",
            "SELECT c.client_id, c.name, c.disabled, c.secret_hash FROM api_clients c JOIN agencies a ON a.id = c.agency_id WHERE a.name = '{0}' ORDER BY c.client_id",
            "SELECT l.value FROM lookups l JOIN agencies a ON a.id = l.agency_id WHERE a.name = '{0}' ORDER BY l.kind, l.sort",
            "SELECT s.id, s.state FROM sync_jobs s JOIN agencies a ON a.id = s.agency_id WHERE a.name = '{0}' AND s.state = 'Completed' ORDER BY s.id",
        };
        return string.Join("\n", tables.Select(sql => string.Join("|", server.Rows(string.Format(System.Globalization.CultureInfo.InvariantCulture, sql, agency)))));
    }
}
