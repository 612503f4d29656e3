using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Caseline.Messages;
using Caseline.Server.Storage;
using Caseline.Server.Storage.Sqlite;
using Caseline.Server.Sync;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Caseline.Bench;

/// <param name="Seconds">How long each load loop runs.</param>
/// <param name="Messages">How many messages the feed and bulk scenarios store (delivery caps it at 100,000).</param>
/// <param name="Log">How long the feed scenario grows the log for its last head-page latency.</param>
public sealed record BenchSettings(int Seconds, int Messages, long Log);

/// <summary>One line of the results table. Machine-dependent figures carry the baseline measured in the same run.</summary>
public sealed record Row(string Scenario, string Metric, double Value, string Unit, double? Baseline = null, string? Target = null, bool? Met = null)
{
    public double? Ratio => Baseline is > 0 ? Value / Baseline : null;

    public static string Markdown(IEnumerable<Row> rows)
    {
        var table = new StringBuilder()
            .AppendLine("| scenario | metric | value | baseline (same run) | ratio | target | met |")
            .AppendLine("|---|---|---:|---:|---:|---|---|");
        foreach (var row in rows)
        {
            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Scenario} | {row.Metric} | {row.Value:#,0.##} {row.Unit} | {(row.Baseline is { } b ? b.ToString("#,0.##", CultureInfo.InvariantCulture) : "")} | {(row.Ratio is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) : "")} | {row.Target} | {(row.Met is { } met ? (met ? "yes" : "**no**") : "")} |");
        }

        return table.ToString();
    }

    public static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Caseline.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? Directory.GetCurrentDirectory();
    }
}

/// <summary>The real server on Kestrel (loopback, a free port) over a fresh SQLite file or PostgreSQL database (<see cref="BenchStore"/>), for one scenario.</summary>
public sealed class BenchServer : WebApplicationFactory<Program>
{
    public const string AdminPassword = "bench-admin-password";

    private readonly IReadOnlyDictionary<string, string> _settings;

    /// <param name="settings">Configuration laid over the bench's own (the telemetry scenario turns exporters on).</param>
    public BenchServer(IReadOnlyDictionary<string, string>? settings = null)
    {
        var all = BenchStore.Settings();
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }

        _settings = all;
        DataDirectory = Path.Combine(Path.GetTempPath(), "caseline-bench", Guid.NewGuid().ToString("N"));
        UseKestrel(0);
        StartServer();
    }

    public string DataDirectory { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseSetting("Caseline:DataDirectory", DataDirectory);
        builder.UseSetting("Caseline:Bootstrap:AdminPassword", AdminPassword);
        builder.UseSetting("Caseline:Identity:RateLimitPermits", int.MaxValue.ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Caseline:Webhooks:AllowPrivateNetworks", "true");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.ClearProviders());
    }

    /// <summary>
    /// Writes <paramref name="messages"/> address updates round-robin over <paramref name="clients"/> clients of the
    /// agency through the same group-commit writer as the API, 2,000 per unit and up to 16 units in flight. The
    /// <c>n</c>th is numbered <paramref name="first"/> + n, so each client's addresses count up across calls; the
    /// clients are created by the call that reaches them first.
    /// </summary>
    public async Task SeedAsync(string agency, int messages, int clients, int first = 0)
    {
        long agencyId;
        using (var connection = Services.GetRequiredService<Database>().OpenReader())
        {
            agencyId = connection.Scalar<long>("SELECT id FROM agencies WHERE name = @name", null, ("@name", agency));
        }

        const int perUnit = 2_000;
        var writes = Services.GetRequiredService<WriteQueue>();
        var units = new List<Task<int>>();
        var end = first + messages;
        for (var start = first; start < end; start += perUnit)
        {
            var from = start;
            units.Add(writes.RunAsync(scope =>
            {
                var writer = new ProfileWriter(scope, agencyId, "seed@bench", "bench seed");
                for (var i = from; i < Math.Min(from + perUnit, end); i++)
                {
                    if (i < clients)
                    {
                        writer.CreateClient($"C{i}");
                    }

                    writer.Put($"C{i % clients}", new AddressDetails("H", "Home", $"{i} Main St"));
                }

                return writer.MessagesWritten;
            }));
            if (units.Count >= 16)
            {
                await Task.WhenAll(units);
                units.Clear();
            }
        }

        await Task.WhenAll(units);
    }

    /// <summary>
    /// Grows the agency's log to <paramref name="length"/> messages by copying its stored messages to new
    /// positions, 50,000 a unit: much faster than writing profiles, for figures that depend only on the
    /// log's length (a page at its head).
    /// </summary>
    public async Task GrowLogAsync(string agency, long length)
    {
        const int perUnit = 50_000;
        var writes = Services.GetRequiredService<WriteQueue>();
        long last;
        do
        {
            last = await writes.RunAsync(scope =>
            {
                var (id, current) = (scope.Scalar<long>("SELECT id FROM agencies WHERE name = @name", ("@name", agency)),
                    scope.Scalar<long>("SELECT last_position FROM agencies WHERE name = @name", ("@name", agency)));
                var copy = Math.Min(Math.Min(perUnit, current), length - current);
                scope.Execute(
                    """
                    INSERT INTO messages (agency_id, position, client_id, sub_type, activity_id, occurred_on, body)
                    SELECT agency_id, position + @shift, client_id, sub_type, activity_id, occurred_on, body
                    FROM messages WHERE agency_id = @agency AND position > @from AND position <= @to
                    """, ("@agency", id), ("@shift", current), ("@from", 0L), ("@to", copy));
                return scope.Scalar<long>("UPDATE agencies SET last_position = last_position + @copied WHERE id = @agency RETURNING last_position", ("@copied", copy), ("@agency", id));
            });
        }
        while (last < length);
    }

    /// <summary>
    /// Brings the store to the state a long-running server keeps it in: the WAL written by a bulk seed
    /// copied into the database file, so a latency figure does not measure the checkpoint of the seed.
    /// </summary>
    public void Settle() => Services.GetService<SqliteDatabase>()?.Checkpoint(truncateAbove: 0);

    /// <summary>Every stored message of the agency in log order, as the peers are given them: the same bytes Caseline sends.</summary>
    public IEnumerable<(string ClientId, string ActivityId, byte[] Body)> StoredMessages(string agency)
    {
        using var connection = Services.GetRequiredService<Database>().OpenReader();
        using var command = connection.Command(
            "SELECT m.client_id, m.activity_id, m.body FROM messages m JOIN agencies a ON a.id = m.agency_id WHERE a.name = @name ORDER BY m.position",
            null, ("@name", agency));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return (reader.GetString(0), reader.GetString(1), reader.Bytes(2));
        }
    }

    /// <summary>A client with a token for the administrator of a new agency (created through the admin API).</summary>
    public async Task<HttpClient> AgencyClientAsync(string agency, int connections)
    {
        var platform = await TokenAsync("admin@caseline.local", AdminPassword);
        using var admin = Client(platform, 1);
        (await admin.PostAsJsonAsync("/api/v1/admin/agencies", new { Name = agency, AdminEmail = $"admin@{agency}.bench", AdminPassword })).EnsureSuccessStatusCode();
        return Client(await TokenAsync($"admin@{agency}.bench", AdminPassword), connections);
    }

    /// <summary>Where the server listens.</summary>
    public Uri Url => new(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public HttpClient Client(string? token, int connections)
    {
        var address = Url.AbsoluteUri;
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections })
        {
            BaseAddress = new Uri(address),
            Timeout = TimeSpan.FromMinutes(2),
        };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return http;
    }

    private async Task<string> TokenAsync(string login, string password)
    {
        using var http = Client(null, 1);
        var response = await http.PostAsync("/identity/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["client_id"] = "caseline", ["scope"] = "openid caseIntegrationApi", ["username"] = login, ["password"] = password,
        }));
        response.EnsureSuccessStatusCode();
        return (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A small Kestrel app on a free loopback port: the bare baseline, or a webhook receiver.</summary>
public static class Loopback
{
    public static async Task<(WebApplication App, string Address)> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return (app, app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }
}

/// <summary>A closed-loop load: a number of callers, each sending as soon as its last answer came, for a bounded time.</summary>
public static class Load
{
    /// <summary>
    /// Runs <paramref name="connections"/> closed loops for <paramref name="duration"/>. <c>Cpu</c> is the CPU time
    /// the whole process used meanwhile (server, load and receivers alike): on a shared machine it varies
    /// far less from run to run than the rate does.
    /// </summary>
    public static async Task<(long Succeeded, long Failed, TimeSpan Elapsed, TimeSpan Cpu)> RunAsync(
        int connections, TimeSpan duration, Func<int, long, Task<bool>> send)
    {
        long succeeded = 0, failed = 0;
        var cpu = ProcessCpu();
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(worker => Task.Run(async () =>
        {
            for (long i = 0; stopwatch.Elapsed < duration; i++)
            {
                if (await send(worker, i))
                {
                    Interlocked.Increment(ref succeeded);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                }
            }
        })));
        return (succeeded, failed, stopwatch.Elapsed, ProcessCpu() - cpu);
    }

    /// <summary>The CPU time this process has used so far, over all its threads.</summary>
    public static TimeSpan ProcessCpu()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }
}
