using System.Diagnostics;
using System.Text.Json;

namespace Caseline.Bench;

/// <summary>
/// Reading the pull feed: the rate of a fresh reader through every stored message, and the latency of
/// one page at the head of a short log versus at the head of the long one (it should not grow).
/// </summary>
public static class FeedScenario
{
    public static async Task<IReadOnlyList<Row>> RunAsync(BenchSettings settings)
    {
        await using var server = new BenchServer();
        using var http = await server.AgencyClientAsync("bench", 8);
        await http.PutAsync("/api/v1/clients/SEED", new StringContent("""{"FirstName":"Ann","LastName":"Lee"}""", System.Text.Encoding.UTF8, "application/json"));
        var shortLog = PageLatency(http, await LastCursor(http), 50);

        Console.WriteLine($"   seeding {settings.Messages:#,0} messages");
        await server.SeedAsync("bench", settings.Messages, clients: 1_000);

        var stopwatch = Stopwatch.StartNew();
        long read = 0;
        string? cursor = null;
        bool more;
        do
        {
            using var page = JsonDocument.Parse(await http.GetByteArrayAsync("/api/v1/transmit/messages?limit=1000" + (cursor is null ? "" : "&after=" + cursor)));
            read += page.RootElement.GetProperty("Messages").GetArrayLength();
            cursor = page.RootElement.GetProperty("Cursor").GetString();
            more = page.RootElement.GetProperty("HasMore").GetBoolean();
        }
        while (more);
        var rate = read / stopwatch.Elapsed.TotalSeconds;
        var longLog = PageLatency(http, cursor, 50);
        Console.WriteLine($"   read {read:#,0} messages at {rate:#,0}/s; head page {(await shortLog):0.00} ms → {(await longLog):0.00} ms");
        return
        [
            new Row("feed", $"read rate over {read:#,0} messages", rate, "msg/s", Target: "≥ 200,000", Met: rate >= 200_000),
            new Row("feed", "head page latency, long log vs short", await longLog, "ms", await shortLog, "ratio ≤ 1.2", await longLog / await shortLog <= 1.2),
        ];
    }

    private static async Task<string?> LastCursor(HttpClient http)
    {
        using var page = JsonDocument.Parse(await http.GetByteArrayAsync("/api/v1/transmit/messages?limit=1000"));
        return page.RootElement.GetProperty("Cursor").GetString();
    }

    /// <summary>The median time to read the (empty) page at the head of the log.</summary>
    private static async Task<double> PageLatency(HttpClient http, string? cursor, int samples)
    {
        var times = new List<double>();
        for (var i = 0; i < samples; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            await http.GetByteArrayAsync("/api/v1/transmit/messages?limit=100&after=" + cursor);
            times.Add(stopwatch.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        return times[times.Count / 2];
    }
}
