using System.Collections.Concurrent;
using System.Net;
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
using Microsoft.Extensions.Logging;

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

    private CaselineServer(string? dataDirectory, IReadOnlyDictionary<string, string>? settings, Action<IServiceCollection>? services, int port = 0)
    {
        DataDirectory = dataDirectory ?? Path.Combine(Path.GetTempPath(), "caseline-tests", Guid.NewGuid().ToString("N"));
        var all = TestStore.Settings(DataDirectory);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }

        _settings = all;
        _services = services;
        UseKestrel(port);
        StartServer();
    }

    /// <summary>A server with extra settings or services (a fake clock, say).</summary>
    public static CaselineServer With(IReadOnlyDictionary<string, string>? settings = null, Action<IServiceCollection>? services = null) =>
        new(null, settings, services);

    public string DataDirectory { get; }

    /// <summary>A server on existing data, as after a restart; on <paramref name="port"/> to be found where the last one was.</summary>
    public static CaselineServer OnData(string dataDirectory, int port = 0) => new(dataDirectory, null, null, port);

    /// <summary>Where the server listens (loopback, the port Kestrel was given or chose).</summary>
    public Uri Url => new(Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
        .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First());

    /// <summary>Whether disposing deletes the data; a test that restarts on the same data turns it off.</summary>
    public bool DeleteDataOnDispose { get; set; } = true;

    public string DatabasePath => Path.Combine(DataDirectory, "caseline.db");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(_settings.GetValueOrDefault("Environment", "Testing"));
        builder.UseSetting("Caseline:DataDirectory", DataDirectory);
        builder.UseSetting("Caseline:Bootstrap:AdminEmail", PlatformAdmin);
        builder.UseSetting("Caseline:Bootstrap:AdminPassword", Password);
        builder.UseSetting("Caseline:Identity:PasswordHashIterations", "1000"); // the cost is in the hash; tests need many
        builder.ConfigureLogging(logging => logging.AddProvider(new CapturingLoggerProvider(Logs)));
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

    public const string PlatformAdmin = "platform@caseline.test";
    public const string Password = "correct-horse-battery";

    private readonly ConcurrentDictionary<string, Task<string>> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<string>> _agencies = new(StringComparer.Ordinal);

    /// <summary>Everything the server logged, formatted, exceptions included.</summary>
    public ConcurrentQueue<string> Logs { get; } = new();

    /// <summary>The login a test user of an agency has: <c>officer@&lt;agency&gt;.test</c> for <c>officer</c>.</summary>
    public static string Login(string agency, string user = "officer") => user.Contains('@', StringComparison.Ordinal) ? user : $"{user}@{agency}.test";

    /// <summary>
    /// An HTTP client with a real bearer token for <paramref name="user"/>, an administrator of
    /// <paramref name="agency"/>. The agency and the user are created through the admin API on first use,
    /// and the token comes from the token endpoint (password grant, first-party client).
    /// </summary>
    public async Task<HttpClient> ForAsync(string agency, string user = "officer", string scope = "openid caseIntegrationApi")
    {
        var login = Login(agency, user);
        var token = await _tokens.GetOrAdd($"{login} {scope}", _ => TokenFor(agency, login, scope));
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A token from the password grant, with the first-party public client.</summary>
    public async Task<string> PasswordToken(string login, string password = Password, string scope = "openid caseIntegrationApi", string? clientId = "caseline", string? clientSecret = null)
    {
        using var http = CreateClient();
        var form = new Dictionary<string, string> { ["grant_type"] = "password", ["scope"] = scope, ["username"] = login, ["password"] = password };
        if (clientSecret is null && clientId is not null)
        {
            form["client_id"] = clientId;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/identity/connect/token") { Content = new FormUrlEncodedContent(form) };
        if (clientSecret is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:{clientSecret}")));
        }

        var response = await http.SendAsync(request);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.True(response.IsSuccessStatusCode, $"token request failed: {body}");
        return (string)body!["access_token"]!;
    }

    private async Task<string> TokenFor(string agency, string login, string scope)
    {
        var admin = await _agencies.GetOrAdd(agency, async name =>
        {
            using var platform = CreateClient();
            platform.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await PasswordToken(PlatformAdmin));
            var created = await platform.PostAsJsonAsync("/api/v1/admin/agencies", new { Name = name, AdminEmail = login, AdminPassword = Password });
            // 409: it exists already, as after a restart on the same data.
            Assert.True(created.IsSuccessStatusCode || created.StatusCode == HttpStatusCode.Conflict, $"creating the agency failed: {(int)created.StatusCode}");
            return login;
        });
        if (admin != login)
        {
            using var agencyAdmin = CreateClient();
            agencyAdmin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await PasswordToken(admin));
            var created = await agencyAdmin.PostAsJsonAsync("/api/v1/admin/users", new { Login = login, Role = "AgencyAdministrator", Password });
            Assert.True(created.IsSuccessStatusCode || created.StatusCode == HttpStatusCode.Conflict, $"creating the user failed: {(int)created.StatusCode}");
        }

        return await PasswordToken(login, scope: scope);
    }

    /// <summary>Every message of the agency in log order, straight from the database.</summary>
    public List<(long Position, string ClientId, ClientMessage Message, byte[] Body)> Log(string agency)
    {
        using var connection = TestStore.Open(DataDirectory, readOnly: true);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT m.position, m.client_id, m.body FROM messages m JOIN agencies a ON a.id = m.agency_id WHERE a.name = @agency ORDER BY m.position";
        var name = command.CreateParameter();
        (name.ParameterName, name.Value) = ("@agency", agency);
        command.Parameters.Add(name);
        using var reader = command.ExecuteReader();
        var log = new List<(long, string, ClientMessage, byte[])>();
        while (reader.Read())
        {
            var body = (byte[])reader.GetValue(2);
            log.Add((reader.GetInt64(0), reader.GetString(1), MessageReader.Read(body), body));
        }

        return log;
    }

    /// <summary>A count straight from the database.</summary>
    public long Count(string sql) => Convert.ToInt64(Execute(sql, readOnly: true), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Every row of a query, straight from the database, each as its values joined by commas (bytes in hex).</summary>
    public List<string> Rows(string sql)
    {
        using var connection = TestStore.Open(DataDirectory, readOnly: true);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            rows.Add(string.Join(",", Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetValue(i) switch
            {
                byte[] bytes => Convert.ToHexString(bytes),
                var value => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture),
            })));
        }

        return rows;
    }

    /// <summary>Runs SQL straight against the database, as an operator's tool would.</summary>
    public object? Execute(string sql, bool readOnly = false)
    {
        using var connection = TestStore.Open(DataDirectory, readOnly);
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

        TestStore.Forget(DataDirectory);

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

/// <summary>Keeps every log line a server writes, so tests can check what the logs would show.</summary>
internal sealed class CapturingLoggerProvider(ConcurrentQueue<string> sink) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, sink);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> sink) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}
