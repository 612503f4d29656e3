using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Caseline.Bench;

/// <summary>End-to-end latency at a steady 1,000 updates/s: from an update's 2xx to its receipt at a webhook receiver, after a warm-up.</summary>
public static class LatencyScenario
{
    private const int Rate = 1_000;

    private const int WarmUpSeconds = 3;

    public static async Task<IReadOnlyList<Row>> RunAsync(BenchSettings settings)
    {
        var received = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var (app, receiverAddress) = await Loopback.StartAsync(app => app.MapPost("/hook", async (HttpRequest request) =>
        {
            var at = Stopwatch.GetTimestamp();
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var start = body.IndexOf("\"Address\":\"", StringComparison.Ordinal) + 11;
            received.TryAdd(body[start..body.IndexOf('"', start)], at);
            return Results.NoContent();
        }));
        await using var receiver = app;
        var url = receiverAddress + "/hook";

        await using var server = new BenchServer();
        using var http = await server.AgencyClientAsync("bench", 64);
        (await http.PostAsJsonAsync("/api/v1/transmit/webhooks", new { Url = url })).EnsureSuccessStatusCode();
        for (var c = 0; c < 100; c++)
        {
            (await http.PutAsync($"/api/v1/clients/C{c}", Content("""{"FirstName":"Ann","LastName":"Lee"}"""))).EnsureSuccessStatusCode();
        }

        // Open loop: one update every millisecond whatever the answers do, for the bounded time. The first
        // WarmUp seconds run the same way but are not measured: the figure is the steady state's.
        var acknowledged = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var warmUp = Rate * WarmUpSeconds;
        var total = warmUp + Rate * settings.Seconds;
        var clock = Stopwatch.StartNew();
        var sends = new List<Task>(total);
        for (var i = 0; i < total; i++)
        {
            // Read the clock once: read twice, a thread held up between the reads passed Task.Delay a negative wait,
            // which throws below -2 ms and between -1 and -2 ms (truncated to -1, "infinite") never returned.
            var wait = TimeSpan.FromSeconds((double)i / Rate) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            var (n, address) = (i, $"{i} Main St");
            sends.Add(Task.Run(async () =>
            {
                using var response = await http.PutAsync($"/api/v1/clients/C{n % 100}/addresses/H", Content($$"""{"AddressType":"Home","Address":"{{address}}"}"""));
                if (response.IsSuccessStatusCode && n >= warmUp)
                {
                    acknowledged[address] = Stopwatch.GetTimestamp();
                }
            }));
        }

        await Task.WhenAll(sends);
        var achieved = total / clock.Elapsed.TotalSeconds;
        var deadline = Stopwatch.StartNew();
        while (acknowledged.Keys.Any(a => !received.ContainsKey(a)) && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(50);
        }

        var latencies = acknowledged.Where(a => received.ContainsKey(a.Key))
            .Select(a => Stopwatch.GetElapsedTime(a.Value, received[a.Key]).TotalMilliseconds).Order().ToList();
        var p50 = latencies[latencies.Count / 2];
        var p99 = latencies[(int)(latencies.Count * 0.99)];
        Console.WriteLine($"   {achieved:#,0} updates/s offered, {latencies.Count:#,0} delivered: p50 {p50:0.0} ms, p99 {p99:0.0} ms");
        return
        [
            new Row("latency", "2xx → webhook p50 at 1,000 updates/s", p50, "ms"),
            new Row("latency", "2xx → webhook p99 at 1,000 updates/s", p99, "ms", Target: "≤ 20 ms", Met: p99 <= 20),
        ];
    }

    private static StringContent Content(string json) => new(json, Encoding.UTF8, "application/json");
}
