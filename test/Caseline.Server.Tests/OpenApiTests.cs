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
