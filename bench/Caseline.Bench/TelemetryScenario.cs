using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Caseline.Bench;

/// <summary>
/// What metrics and traces cost: the same ingest load and the same delivery backlog on a server with no
/// exporter, on one exporting as configured by default (a Prometheus scrape every second, metrics and 5% of
/// traces over OTLP to a collector on loopback), and on one with metrics only; in turn, three times each.
/// The webhook receiver runs in a process of its own, so that the CPU measured is the server's (and the load's).
/// </summary>
public static class TelemetryScenario
{
    private const int Connections = 64;
    private const int Clients = 1_000;
    private const int Backlog = 30_000;

    public static async Task<IReadOnlyList<Row>> RunAsync(BenchSettings settings)
    {
        long exported = 0;
        var (collector, address) = await Loopback.StartAsync(app => app.MapPost("/{**signal}", async (HttpRequest request) =>
        {
            using var sink = new MemoryStream();
            await request.Body.CopyToAsync(sink);
            Interlocked.Add(ref exported, sink.Length);
            return Results.Ok();
        }));
        await using var otlp = collector;
        await using var receiver = await ReceiverProcess.StartAsync();
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
        var on = new Dictionary<string, string> { ["Caseline:Telemetry:Prometheus"] = "true", ["Caseline:Telemetry:OtlpEndpoint"] = address };
        var metricsOnly = new Dictionary<string, string> { ["Caseline:Telemetry:Prometheus"] = "true" };
        var duration = TimeSpan.FromSeconds(settings.Seconds);

        var modes = new (string Name, IReadOnlyDictionary<string, string>? Settings)[] { ("off", null), ("metrics", metricsOnly), ("on", on) };
        var ingest = modes.ToDictionary(m => m.Name, _ => new List<(double Rate, double Cpu)>());
        var delivery = modes.ToDictionary(m => m.Name, _ => new List<(double Rate, double Cpu)>());

        // A first round, unmeasured, so that no mode pays for the process's own warming up; then the modes in turn, three times.
        await IngestAsync(on, TimeSpan.FromSeconds(2));
        await DeliveryAsync(null, receiver);
        foreach (var (name, mode) in Enumerable.Repeat(modes, 3).SelectMany(m => m))
        {
            var before = Interlocked.Read(ref exported);
            ingest[name].Add(await IngestAsync(mode, duration));
            delivery[name].Add(await DeliveryAsync(mode, receiver));
            Console.WriteLine($"   {name,-10}: ingest {ingest[name][^1].Rate:#,0} updates/s ({ingest[name][^1].Cpu:0} µs CPU), "
                + $"delivery {delivery[name][^1].Rate:#,0} msg/s ({delivery[name][^1].Cpu:0} µs CPU), {Interlocked.Read(ref exported) - before:#,0} bytes exported");
        }

        static double Mean(List<(double Rate, double Cpu)> runs, bool cpu) => runs.Average(r => cpu ? r.Cpu : r.Rate);
        var rows = new List<Row>();
        foreach (var name in new[] { "metrics", "on" })
        {
            var label = name == "on" ? "metrics and traces (5% sampled) over OTLP" : "metrics only (Prometheus)";
            rows.Add(new Row("telemetry", $"ingest, {label} (baseline: off)", Mean(ingest[name], false), "updates/s", Mean(ingest["off"], false),
                name == "on" ? "ratio ≥ 0.95" : null, name == "on" ? Mean(ingest[name], false) / Mean(ingest["off"], false) >= 0.95 : null));
            rows.Add(new Row("telemetry", $"CPU per update, {label} (baseline: off)", Mean(ingest[name], true), "µs", Mean(ingest["off"], true)));
            rows.Add(new Row("telemetry", $"delivery, {label} (baseline: off)", Mean(delivery[name], false), "msg/s", Mean(delivery["off"], false),
                name == "on" ? "ratio ≥ 0.95" : null, name == "on" ? Mean(delivery[name], false) / Mean(delivery["off"], false) >= 0.95 : null));
            rows.Add(new Row("telemetry", $"CPU per delivered message, {label} (baseline: off)", Mean(delivery[name], true), "µs", Mean(delivery["off"], true)));
        }

        return rows;
    }

    private static async Task<(double Rate, double Cpu)> IngestAsync(IReadOnlyDictionary<string, string>? settings, TimeSpan duration)
    {
        await using var server = new BenchServer(settings);
        using var http = await server.AgencyClientAsync("bench", Connections);
        using var scrape = Scrape(server, settings is not null);
        for (var c = 0; c < Clients; c++)
        {
            (await http.PutAsync($"/api/v1/clients/C{c}", Json("""{"FirstName":"Ann","LastName":"Lee"}"""))).EnsureSuccessStatusCode();
        }

        async Task<bool> Update(int worker, long i)
        {
            using var response = await http.PutAsync(
                $"/api/v1/clients/C{(worker * 7919 + i) % Clients}/addresses/H", Json($$"""{"AddressType":"Home","Address":"{{worker}}-{{i}} Main St"}"""));
            return response.IsSuccessStatusCode;
        }

        await Load.RunAsync(Connections, TimeSpan.FromSeconds(3), (worker, i) => Update(worker, 1_000_000_000 + i));
        var result = await Load.RunAsync(Connections, duration, Update);
        return (result.Succeeded / result.Elapsed.TotalSeconds, result.Cpu.TotalMicroseconds / Math.Max(1, result.Succeeded));
    }

    private static async Task<(double Rate, double Cpu)> DeliveryAsync(IReadOnlyDictionary<string, string>? settings, PeerProcess receiver)
    {
        var url = $"http://127.0.0.1:{receiver.Port}/hook";
        using var counter = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{receiver.Port}") };
        async Task<long> Received() => long.Parse(await counter.GetStringAsync("/count"), CultureInfo.InvariantCulture);
        await using var server = new BenchServer(settings);
        using var http = await server.AgencyClientAsync("bench", 8);
        using var scrape = Scrape(server, settings is not null);
        var endpoint = await (await http.PostAsJsonAsync("/api/v1/transmit/webhooks", new { Url = url })).Content.ReadFromJsonAsync<JsonObject>();
        async Task<TimeSpan> DeliverAsync(long total)
        {
            var stopwatch = System.Diagnostics.Stopwatch.StartNew();
            (await http.PutAsJsonAsync($"/api/v1/transmit/webhooks/{endpoint!["Id"]}", new { Url = url, Enabled = true })).EnsureSuccessStatusCode();
            while (await Received() < total && stopwatch.Elapsed < TimeSpan.FromSeconds(120))
            {
                await Task.Delay(20);
            }

            var elapsed = stopwatch.Elapsed;
            (await http.PutAsJsonAsync($"/api/v1/transmit/webhooks/{endpoint["Id"]}", new { Url = url, Enabled = false })).EnsureSuccessStatusCode();
            return elapsed;
        }

        (await http.PutAsJsonAsync($"/api/v1/transmit/webhooks/{endpoint!["Id"]}", new { Url = url, Enabled = false })).EnsureSuccessStatusCode();
        var start = await Received();
        await server.SeedAsync("bench", Backlog / 3, Clients);
        await DeliverAsync(start + (Backlog / 3));
        await server.SeedAsync("bench", Backlog, Clients, first: Backlog / 3);

        var before = await Received();
        var cpu = Load.ProcessCpu();
        var elapsed = await DeliverAsync(before + Backlog);
        var delivered = await Received() - before;
        return (delivered / elapsed.TotalSeconds, (Load.ProcessCpu() - cpu).TotalMicroseconds / Math.Max(1, delivered));
    }

    /// <summary>Scrapes <c>/metrics</c> every second while the telemetry is on, as Prometheus would, until disposed.</summary>
    private static Scraper Scrape(BenchServer server, bool on) => new(on ? server.CreateClient() : null);

    private sealed class Scraper : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public Scraper(HttpClient? http) => _loop = http is null ? Task.CompletedTask : Task.Run(async () =>
        {
            using (http)
            {
                while (!_stop.IsCancellationRequested)
                {
                    try
                    {
                        await http.GetStringAsync("/metrics", _stop.Token);
                        await Task.Delay(1000, _stop.Token);
                    }
                    catch (Exception e) when (e is OperationCanceledException or HttpRequestException)
                    {
                    }
                }
            }
        });

        public void Dispose()
        {
            _stop.Cancel();
            _loop.Wait();
            _stop.Dispose();
        }
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
}
