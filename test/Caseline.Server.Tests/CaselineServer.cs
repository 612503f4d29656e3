using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Caseline.Messages;
using Caseline.Messages.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;

namespace Caseline.Server.Tests;

/// <summary>
/// The real app on Kestrel (loopback, a free port) over a real SQLite file in a fresh folder,
/// deleted when the fixture goes. Tests isolate themselves by agency, as tenants do.
/// </summary>
public sealed class CaselineServer : WebApplicationFactory<Program>
{
    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly Action<IServiceCollection>? _services;

    public CaselineServer()
        : this(null, null, null)
    {
    }

    private CaselineServer(string? dataDirectory, IReadOnlyDictionary<string, string>? settings, Action<IServiceCollection>? services)
    {
        DataDirectory = dataDirectory ?? Path.Combine(Path.GetTempPath(), "caseline-tests", Guid.NewGuid().ToString("N"));
        _settings = settings ?? new Dictionary<string, string>();
        _services = services;
        UseKestrel(0);
        StartServer();
    }

    /// <summary>A server with extra settings or services (a fake clock, say).</summary>
    public static CaselineServer With(IReadOnlyDictionary<string, string>? settings = null, Action<IServiceCollection>? services = null) =>
        new(null, settings, services);

    public string DataDirectory { get; }

    /// <summary>A server on existing data, as after a restart.</summary>
    public static CaselineServer OnData(string dataDirectory) => new(dataDirectory, null, null);

    /// <summary>Whether disposing deletes the data; a test that restarts on the same data turns it off.</summary>
    public bool DeleteDataOnDispose { get; set; } = true;

    public string DatabasePath => Path.Combine(DataDirectory, "caseline.db");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Caseline:DataDirectory", DataDirectory);
        builder.UseSetting("Caseline:DevelopmentAuthentication", "true");
        builder.UseSetting("Caseline:MaxRequestBodyBytes", (64 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Caseline:Webhooks:AllowPrivateNetworks", "true"); // the test receivers listen on loopback
        builder.UseSetting("Caseline:Webhooks:PollInterval", "00:00:00.050");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        if (_services is not null)
        {
            builder.ConfigureTestServices(_services);
        }
    }

    /// <summary>An HTTP client speaking for <paramref name="agency"/> as <paramref name="user"/>.</summary>
    public HttpClient For(string agency, string user = "officer@county.org")
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("Caseline-Agency", agency);
        client.DefaultRequestHeaders.Add("Caseline-User", user);
        return client;
    }

    /// <summary>Every message of the agency in log order, straight from the database file.</summary>
    public List<(long Position, string ClientId, ClientMessage Message, byte[] Body)> Log(string agency)
    {
        using var connection = new SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT m.position, m.client_id, m.body FROM messages m JOIN agencies a ON a.id = m.agency_id WHERE a.name = @agency ORDER BY m.position";
        command.Parameters.AddWithValue("@agency", agency);
        using var reader = command.ExecuteReader();
        var log = new List<(long, string, ClientMessage, byte[])>();
        while (reader.Read())
        {
            var body = (byte[])reader.GetValue(2);
            log.Add((reader.GetInt64(0), reader.GetString(1), MessageReader.Read(body), body));
        }

        return log;
    }

    /// <summary>A count straight from the database file.</summary>
    public long Count(string sql) => (long)Execute(sql, readOnly: true)!;

    /// <summary>Runs SQL straight against the database file, as an operator's tool would.</summary>
    public object? Execute(string sql, bool readOnly = false)
    {
        using var connection = new SqliteConnection($"Data Source={DatabasePath};Mode={(readOnly ? "ReadOnly" : "ReadWrite")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        if (!DeleteDataOnDispose)
        {
            return;
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static string NewAgency() => "agency-" + Guid.NewGuid().ToString("N")[..12];
}

internal static class Http
{
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static StringContent Json(JsonNode json) => Json(json.ToJsonString());

    public static async Task<JsonObject> ReadObject(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonNode>(TestContext.Current.CancellationToken))!.AsObject();

    public static async Task<HttpResponseMessage> Put(this HttpClient client, string path, string json) =>
        await client.PutAsync(path, Json(json), TestContext.Current.CancellationToken);

    public static async Task<HttpResponseMessage> Post(this HttpClient client, string path, string json) =>
        await client.PostAsync(path, Json(json), TestContext.Current.CancellationToken);

    public static async Task<HttpResponseMessage> Get(this HttpClient client, string path) =>
        await client.GetAsync(path, TestContext.Current.CancellationToken);

    public static async Task<HttpResponseMessage> Delete(this HttpClient client, string path) =>
        await client.DeleteAsync(path, TestContext.Current.CancellationToken);

    public static async Task<JsonObject> Problem(this HttpResponseMessage response, int status)
    {
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.ReadObject();
        Assert.Equal(status, (int)problem["status"]!);
        return problem;
    }

    public static MediaTypeHeaderValue NdJson => new("application/x-ndjson");
}
