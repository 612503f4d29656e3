using System.Net;
using System.Text;

namespace Caseline.Server.Tests;

/// <summary>No cache keeps an API or token response: each says <c>Cache-Control: no-store</c>, refusals included.</summary>
public sealed class NoStoreTests(CaselineServer server) : IClassFixture<CaselineServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_api_response_with_client_data_or_a_refusal_says_no_store()
    {
        using var http = await server.ForAsync(CaselineServer.NewAgency());
        using var anonymous = server.CreateClient();

        var responses = new Dictionary<string, HttpResponseMessage>
        {
            ["created"] = await http.Put("/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee"}"""),
            ["profile"] = await http.Get("/api/v1/clients/EX1"),
            ["timeline"] = await http.Get("/api/v1/clients/EX1/messages"),
            ["feed"] = await http.Get("/api/v1/transmit/messages"),
            ["audit"] = await http.Get("/api/v1/admin/audit"),
            ["not found"] = await http.Get("/api/v1/clients/EX404"),
            ["invalid"] = await http.Put("/api/v1/clients/EX1", """{"FirstName":""}"""),
            ["no route"] = await http.Get("/api/v1/nothing-here"),
            ["no token"] = await anonymous.Get("/api/v1/clients/EX1"),
        };

        foreach (var (what, response) in responses)
        {
            Assert.True(response.Headers.CacheControl?.NoStore == true, $"{what} ({(int)response.StatusCode}): Cache-Control {response.Headers.CacheControl}");
        }
    }

    [Fact]
    public async Task The_token_endpoints_answers_say_no_store_as_oauth_requires()
    {
        using var http = server.CreateClient();
        static StringContent Form(string login) => new(
            $"grant_type=password&client_id=caseline&scope=openid caseIntegrationApi&username={login}&password={CaselineServer.Password}", Encoding.UTF8, "application/x-www-form-urlencoded");

        var issued = await http.PostAsync("/identity/connect/token", Form(CaselineServer.PlatformAdmin), Ct);
        var refused = await http.PostAsync("/identity/connect/token", Form("nobody@nowhere.test"), Ct);

        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.All([issued, refused], response => Assert.True(response.Headers.CacheControl?.NoStore));
    }
}
