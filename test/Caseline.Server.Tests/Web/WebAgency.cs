using System.Net.Http.Json;

namespace Caseline.Server.Tests.Web;

/// <summary>An agency for a browser test: its administrator's API client, an officer who signs in to the UI, and clients made through the API.</summary>
public sealed class WebAgency(CaselineServer server, string name, HttpClient admin, string officer) : IDisposable
{
    public string Name => name;

    /// <summary>The agency administrator's API client (a real bearer token).</summary>
    public HttpClient Api => admin;

    /// <summary>The administrator's login, which also signs in to the UI.</summary>
    public string Administrator => CaselineServer.Login(name);

    /// <summary>An officer's login (role Officer).</summary>
    public string Officer => officer;

    public static async Task<WebAgency> CreateAsync(CaselineServer server)
    {
        var name = CaselineServer.NewAgency();
        var admin = await server.ForAsync(name);
        var officer = CaselineServer.Login(name, "field-officer");
        var created = await admin.PostAsJsonAsync("/api/v1/admin/users", new { Login = officer, Role = "Officer", Password = CaselineServer.Password }, TestContext.Current.CancellationToken);
        Assert.True(created.IsSuccessStatusCode, $"creating the officer failed: {(int)created.StatusCode}");
        return new WebAgency(server, name, admin, officer);
    }

    /// <summary>Creates or changes a client through the Sync API.</summary>
    public async Task PutClientAsync(string clientId, string json)
    {
        var response = await admin.Put($"/api/v1/clients/{clientId}", json);
        Assert.True(response.IsSuccessStatusCode, $"PUT client failed: {(int)response.StatusCode}");
    }

    public async Task PutItemAsync(string clientId, string collection, string itemId, string json)
    {
        var response = await admin.Put($"/api/v1/clients/{clientId}/{collection}/{itemId}", json);
        Assert.True(response.IsSuccessStatusCode, $"PUT item failed: {(int)response.StatusCode}");
    }

    /// <summary>The agency's log, oldest first.</summary>
    public List<(long Position, string ClientId, Caseline.Messages.ClientMessage Message, byte[] Body)> Log() => server.Log(name);

    public void Dispose() => admin.Dispose();
}
