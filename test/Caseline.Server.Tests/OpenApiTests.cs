using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Caseline.Server.Tests;

public sealed class OpenApiTests(CaselineServer server) : IClassFixture<CaselineServer>
{
    [Fact]
    public async Task Every_api_route_is_in_the_openapi_document()
    {
        using var http = server.CreateClient();
        var document = (await (await http.Get("/openapi/v1.json")).ReadObject())["paths"]!.AsObject();

        var routes = server.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true)
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => (Path: Normalize(e.RoutePattern.RawText!), Method: m.ToLowerInvariant())))
            .ToList();

        Assert.True(routes.Count >= 30, $"only {routes.Count} API routes found");
        foreach (var (path, method) in routes)
        {
            Assert.True(document[path]?[method] is JsonObject, $"{method.ToUpperInvariant()} {path} is missing from the OpenAPI document");
        }
    }

    [Fact]
    public async Task The_document_has_a_title_an_introduction_and_the_token_endpoint_as_an_oauth_scheme()
    {
        using var http = server.CreateClient();
        var document = await (await http.Get("/openapi/v1.json")).ReadObject();

        Assert.Equal("Caseline API", (string?)document["info"]!["title"]);
        Assert.Contains("/identity/connect/token", (string?)document["info"]!["description"], StringComparison.Ordinal);
        var schemes = document["components"]!["securitySchemes"]!;
        Assert.Equal("oauth2", (string?)schemes["OAuth2"]!["type"]);
        foreach (var flow in new[] { "password", "clientCredentials" })
        {
            Assert.Equal(new Uri(server.Url, "/identity/connect/token"), new Uri((string)schemes["OAuth2"]!["flows"]![flow]!["tokenUrl"]!));
            Assert.NotNull(schemes["OAuth2"]!["flows"]![flow]!["scopes"]!["caseIntegrationApi"]);
        }

        Assert.Equal("http", (string?)schemes["Bearer"]!["type"]);
        Assert.Equal("bearer", (string?)schemes["Bearer"]!["scheme"]);
    }

    [Fact]
    public async Task Every_api_operation_requires_a_token_with_the_api_scope_and_says_whose()
    {
        using var http = server.CreateClient();
        var paths = (await (await http.Get("/openapi/v1.json")).ReadObject())["paths"]!.AsObject();

        var operations = paths.Where(p => p.Key.StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(p => p.Value!.AsObject().Select(o => (Name: $"{o.Key} {p.Key}", Operation: o.Value!))).ToList();
        Assert.True(operations.Count >= 30, $"only {operations.Count} API operations");
        foreach (var (name, operation) in operations)
        {
            var requirements = operation["security"]?.AsArray().Select(r => r!.ToJsonString()).ToList() ?? [];
            Assert.True(
                requirements.Contains("""{"OAuth2":["caseIntegrationApi"]}""") && requirements.Contains("""{"Bearer":[]}"""),
                $"{name}: security {string.Join(", ", requirements)}");
            Assert.Contains("Needs a token of ", (string?)operation["description"], StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_documents_password_flow_gives_a_token_its_operations_take()
    {
        using var http = server.CreateClient();
        var document = await (await http.Get("/openapi/v1.json")).ReadObject();
        var tokenUrl = (string)document["components"]!["securitySchemes"]!["OAuth2"]!["flows"]!["password"]!["tokenUrl"]!;

        // As the API reference page sends it: the first-party client, no secret, the scope the document names.
        var token = await http.PostAsync(tokenUrl, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["client_id"] = "caseline",
            ["scope"] = "caseIntegrationApi",
            ["username"] = CaselineServer.PlatformAdmin,
            ["password"] = CaselineServer.Password,
        }), TestContext.Current.CancellationToken);
        http.DefaultRequestHeaders.Authorization = new("Bearer", (string)(await token.ReadObject())["access_token"]!);

        Assert.True((await http.Get("/api/v1/admin/agencies")).IsSuccessStatusCode);
    }

    [Fact]
    public async Task The_interactive_api_page_is_served()
    {
        using var http = server.CreateClient();

        var page = await http.Get("/scalar/");

        Assert.True(page.IsSuccessStatusCode);
        Assert.Contains("<html", await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.OrdinalIgnoreCase);
    }

    // The document names parameters without their route constraints ({id:long} is {id}).
    private static string Normalize(string pattern) =>
        System.Text.RegularExpressions.Regex.Replace(pattern.Length > 1 ? pattern.TrimEnd('/') : pattern, @"\{(\w+):[^}]+\}", "{$1}");
}
