using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Npgsql;

namespace Caseline.Bench;

/// <summary>
/// The same workload on SQLite (1 process), PostgreSQL (1 process) and PostgreSQL (2 processes), in the same run:
/// durable updates over HTTP from 64 connections spread over the processes, then the backlog they wrote delivered to a
/// receiver in a process of its own. Every server is its own process (the build's Caseline.Server.dll), so CPU is
/// counted alike: the servers' processes, plus PostgreSQL's when it is the store. Commits come from the servers' own
/// <c>caseline.write.batch_size</c> histogram (one count per transaction), scraped from each process.
/// </summary>
public static partial class ScaleOutScenario
{
    private const int Connections = 64;
    private const int Clients = 1_000;
    private const string AdminPassword = "bench-admin-password";
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);

    public static async Task<IReadOnlyList<Row>> RunAsync(BenchSettings settings)
    {
        await BenchStore.EnsureServerAsync();
        await using var receiver = await ReceiverProcess.StartAsync();
        using var counter = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{receiver.Port}") };
        var results = new List<Result>();
        foreach (var (name, postgres, processes) in new[] { ("SQLite, 1 process", false, 1), ("PostgreSQL, 1 process", true, 1), ("PostgreSQL, 2 processes", true, 2) })
        {
            var result = await MeasureAsync(name, postgres, processes, settings, receiver, counter);
            Console.WriteLine(
                $"   {name}: {result.Ingest:#,0} updates/s, {result.CommitsPerUpdate:0.000} commits per update, {result.CpuPerUpdate:0} µs CPU per update; "
                + $"delivered {result.Backlog:#,0} at {result.Delivery:#,0} msg/s, {result.CpuPerMessage:0} µs CPU per message");
            results.Add(result);
        }

        var sqlite = results[0];
        var rows = new List<Row>();
        foreach (var result in results)
        {
            var baseline = result == sqlite ? (double?)null : sqlite.Ingest;
            rows.Add(new Row("scaleout", $"ingest, {result.Name} (vs SQLite, 1 process)", result.Ingest, "updates/s", baseline,
                result.Postgres ? "ratio ≥ 0.5" : null, result.Postgres ? result.Ingest / sqlite.Ingest >= 0.5 : null));
            rows.Add(new Row("scaleout", $"commits per update, {result.Name}", result.CommitsPerUpdate, ""));
            rows.Add(new Row("scaleout", $"CPU per update, {result.Name} (servers + database)", result.CpuPerUpdate, "µs", result == sqlite ? null : sqlite.CpuPerUpdate));
            rows.Add(new Row("scaleout", $"delivery, {result.Name} (vs SQLite, 1 process)", result.Delivery, "msg/s", result == sqlite ? null : sqlite.Delivery));
            rows.Add(new Row("scaleout", $"CPU per delivered message, {result.Name} (servers + database)", result.CpuPerMessage, "µs", result == sqlite ? null : sqlite.CpuPerMessage));
        }

        // The broker an agency might pick instead, on the same messages, against the two-process delivery rate.
        var scaled = results[^1];
        rows.AddRange(await BrokerPeer.RunAsync(scaled.Messages, scaled.Delivery, TimeSpan.FromMinutes(3)));
        return rows;
    }

    private sealed record Result(string Name, bool Postgres, double Ingest, double CommitsPerUpdate, double CpuPerUpdate, long Backlog, double Delivery, double CpuPerMessage)
    {
        public IReadOnlyList<(string ClientId, string ActivityId, byte[] Body)> Messages { get; init; } = [];
    }

    private static async Task<Result> MeasureAsync(string name, bool postgres, int count, BenchSettings settings, PeerProcess receiver, HttpClient counter)
    {
        var connectionString = postgres ? BenchStore.NewDatabase() : null;
        var servers = new List<Server>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                servers.Add(await Server.StartAsync(connectionString));
            }

            var token = await AgencyTokenAsync(servers[0], "bench");
            var clients = servers.Select(s => s.Client(token, Connections)).ToList();
            var endpoint = await (await clients[0].PostAsJsonAsync("/api/v1/transmit/webhooks", new { Url = $"http://127.0.0.1:{receiver.Port}/hook" })).Content.ReadFromJsonAsync<JsonObject>();
            var hook = $"/api/v1/transmit/webhooks/{endpoint!["Id"]}";
            (await clients[0].PutAsJsonAsync(hook, new { Url = $"http://127.0.0.1:{receiver.Port}/hook", Enabled = false })).EnsureSuccessStatusCode();
            for (var c = 0; c < Clients; c++)
            {
                (await clients[c % count].PutAsync($"/api/v1/clients/C{c}", Json("""{"FirstName":"Ann","LastName":"Lee"}"""))).EnsureSuccessStatusCode();
            }

            // Each connection keeps to one process, as a load balancer's connection affinity would, and writes its own
            // clients one update at a time: addresses count up in commit order, so the broker peer's consumer can check
            // each client's order as the delivery scenario's does.
            long sequence = 0;
            async Task<bool> Update(int worker, long i)
            {
                using var response = await clients[worker % count].PutAsync(
                    $"/api/v1/clients/C{(worker + (Connections * (i % (Clients / Connections)))) % Clients}/addresses/H",
                    Json($$"""{"AddressType":"Home","Address":"{{Interlocked.Increment(ref sequence)}} Main St"}"""));
                return response.IsSuccessStatusCode;
            }

            await Load.RunAsync(Connections, WarmUp, Update);
            var (batches, units) = await WriteCountersAsync(servers);
            var cpu = Cpu(servers, postgres);
            var database = DatabaseCpu(postgres);
            var ingest = await Load.RunAsync(Connections, TimeSpan.FromSeconds(settings.Seconds), Update);
            var ingestCpu = Cpu(servers, postgres) - cpu;
            var ingestDatabaseCpu = DatabaseCpu(postgres) - database;
            var (batchesAfter, unitsAfter) = await WriteCountersAsync(servers);
            if (ingest.Failed > 0)
            {
                Console.WriteLine($"   {name}: {ingest.Failed} updates failed");
            }

            // The backlog is everything written so far; the endpoint was paused throughout.
            var backlog = (long)(await clients[0].GetFromJsonAsync<JsonObject>("/api/v1/transmit/head"))!["Position"]!;
            var before = long.Parse(await counter.GetStringAsync("/count"), CultureInfo.InvariantCulture);
            cpu = Cpu(servers, postgres);
            var stopwatch = Stopwatch.StartNew();
            (await clients[0].PutAsJsonAsync(hook, new { Url = $"http://127.0.0.1:{receiver.Port}/hook", Enabled = true })).EnsureSuccessStatusCode();
            while (long.Parse(await counter.GetStringAsync("/count"), CultureInfo.InvariantCulture) - before < backlog && stopwatch.Elapsed < TimeSpan.FromMinutes(5))
            {
                await Task.Delay(20);
            }

            var delivered = stopwatch.Elapsed;
            var deliveryCpu = Cpu(servers, postgres) - cpu;
            clients.ForEach(c => c.Dispose());
            if (postgres)
            {
                Console.WriteLine($"   {name}: of the CPU per update, PostgreSQL's processes used {ingestDatabaseCpu.TotalMicroseconds / Math.Max(1, ingest.Succeeded):0} µs");
            }

            return new Result(
                name, postgres, ingest.Succeeded / ingest.Elapsed.TotalSeconds, (batchesAfter - batches) / Math.Max(1, unitsAfter - units),
                ingestCpu.TotalMicroseconds / Math.Max(1, ingest.Succeeded), backlog, backlog / delivered.TotalSeconds, deliveryCpu.TotalMicroseconds / Math.Max(1, backlog))
            {
                Messages = postgres && count > 1 ? StoredMessages(connectionString!) : [],
            };
        }
        finally
        {
            foreach (var server in Enumerable.Reverse(servers))
            {
                await server.Process.DisposeAsync();
            }
        }
    }

    private static TimeSpan DatabaseCpu(bool postgres) => postgres && BenchStore.Cluster is { } cluster ? cluster.Cpu() : TimeSpan.Zero;

    private static TimeSpan Cpu(List<Server> servers, bool postgres) =>
        servers.Aggregate(TimeSpan.Zero, (sum, s) => sum + s.Process.Cpu) + (postgres && BenchStore.Cluster is { } cluster ? cluster.Cpu() : TimeSpan.Zero);

    /// <summary>Transactions the servers' writers committed and the units of work they carried, summed over the processes.</summary>
    private static async Task<(double Batches, double Units)> WriteCountersAsync(List<Server> servers)
    {
        double batches = 0, units = 0;
        foreach (var server in servers)
        {
            using var http = server.Client(null, 1);
            var scrape = await http.GetStringAsync("/metrics");
            batches += Sum(BatchCount(), scrape);
            units += Sum(BatchSum(), scrape);
        }

        return (batches, units);
    }

    private static double Sum(Regex metric, string scrape) =>
        metric.Matches(scrape).Sum(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^caseline_write_batch_size_count(?:\{[^}]*\})? (\S+)", RegexOptions.Multiline)]
    private static partial Regex BatchCount();

    [GeneratedRegex(@"^caseline_write_batch_size_sum(?:\{[^}]*\})? (\S+)", RegexOptions.Multiline)]
    private static partial Regex BatchSum();

    private static List<(string ClientId, string ActivityId, byte[] Body)> StoredMessages(string connectionString)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new NpgsqlCommand("SELECT client_id, activity_id, body FROM messages ORDER BY agency_id, position", connection);
        using var reader = command.ExecuteReader();
        var messages = new List<(string, string, byte[])>();
        while (reader.Read())
        {
            messages.Add((reader.GetString(0), reader.GetString(1), (byte[])reader.GetValue(2)));
        }

        return messages;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<string> AgencyTokenAsync(Server server, string agency)
    {
        using var admin = server.Client(await server.TokenAsync("admin@caseline.local"), 1);
        (await admin.PostAsJsonAsync("/api/v1/admin/agencies", new { Name = agency, AdminEmail = $"admin@{agency}.bench", AdminPassword })).EnsureSuccessStatusCode();
        return await server.TokenAsync($"admin@{agency}.bench");
    }

    /// <summary>A Caseline server process on a free loopback port, on SQLite in its data folder or on the given PostgreSQL database.</summary>
    private sealed record Server(PeerProcess Process, string Url)
    {
        public static async Task<Server> StartAsync(string? postgres)
        {
            var port = PeerProcess.FreePort();
            var folder = Directory.CreateTempSubdirectory("caseline-bench-scaleout").FullName;
            var environment = new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["Caseline__DataDirectory"] = folder,
                ["Caseline__Bootstrap__AdminPassword"] = AdminPassword,
                ["Caseline__Identity__RateLimitPermits"] = int.MaxValue.ToString(CultureInfo.InvariantCulture),
                ["Caseline__Webhooks__AllowPrivateNetworks"] = "true",
                ["Caseline__Telemetry__Prometheus"] = "true",
                ["Logging__LogLevel__Default"] = "Warning",
            };
            if (postgres is not null)
            {
                environment["Caseline__Storage__Provider"] = "postgres";
                environment["Caseline__Storage__ConnectionString"] = postgres;
            }

            var url = $"http://127.0.0.1:{port}";
            var process = await PeerProcess.StartAsync(
                "dotnet", [Path.Combine(AppContext.BaseDirectory, "Caseline.Server.dll"), "--urls", url], folder, port, environment);
            return new Server(process, url);
        }

        public HttpClient Client(string? token, int connections)
        {
            var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections }) { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromMinutes(2) };
            if (token is not null)
            {
                http.DefaultRequestHeaders.Authorization = new("Bearer", token);
            }

            return http;
        }

        public async Task<string> TokenAsync(string login)
        {
            using var http = Client(null, 1);
            var response = await http.PostAsync("/identity/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "password", ["client_id"] = "caseline", ["scope"] = "openid caseIntegrationApi", ["username"] = login, ["password"] = AdminPassword,
            }));
            response.EnsureSuccessStatusCode();
            return (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!;
        }
    }
}
