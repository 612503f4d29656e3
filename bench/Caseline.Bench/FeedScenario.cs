using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Caseline.Server.Http;
using Caseline.Server.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Caseline.Bench;

/// <summary>
/// Reading the pull feed: the rate of a fresh reader through every stored message (beside NATS
/// JetStream replaying the same messages), and the latency of one page at the head of the log at
/// <c>--messages</c> and at <c>--log</c> messages, against a log one message long timed in turn (it should not grow).
/// </summary>
public static class FeedScenario
{
    private const int PagesAhead = 4;

    public static async Task<IReadOnlyList<Row>> RunAsync(BenchSettings settings)
    {
        // The head page is timed against a second server whose log stays one message long, the two sampled in turn:
        // on this shared machine a page's time drifts over minutes by more than a log's length could move it.
        await using var reference = new BenchServer();
        using var referenceHttp = await reference.AgencyClientAsync("bench", 2);
        await using var server = new BenchServer();
        using var http = await server.AgencyClientAsync("bench", 8);
        foreach (var client in new[] { referenceHttp, http })
        {
            await client.PutAsync("/api/v1/clients/SEED", new StringContent("""{"FirstName":"Ann","LastName":"Lee"}""", System.Text.Encoding.UTF8, "application/json"));
        }

        var shortLog = (referenceHttp, HeadCursor(reference));
        await PageLatency(shortLog, (http, HeadCursor(server)), 200); // warm up

        Console.WriteLine($"   seeding {settings.Messages:#,0} messages");
        var seeding = Stopwatch.StartNew();
        await server.SeedAsync("bench", settings.Messages, clients: 1_000);
        Console.WriteLine($"   seeded at {settings.Messages / seeding.Elapsed.TotalSeconds:#,0} msg/s");

        // A whole pass first: the figure is a fresh reader's, not a fresh process's (the JIT took a fifth of a pass after 100,000).
        await ReadFeedAsync(http);
        var stopwatch = Stopwatch.StartNew();
        var (read, cursor) = await ReadFeedAsync(http);
        var rate = read / stopwatch.Elapsed.TotalSeconds;
        server.Settle();
        var (atShort, atMessages) = await PageLatency(shortLog, (http, cursor!), 200);
        Console.WriteLine($"   read {read:#,0} messages at {rate:#,0}/s; head page {atMessages:0.00} ms (short log beside it: {atShort:0.00} ms)");
        var rows = new List<Row>
        {
            new("feed", $"read rate over {read:#,0} messages", rate, "msg/s", Target: "≥ 200,000", Met: rate >= 200_000),
            new("feed", $"head page latency at {read:#,0} messages vs a short log", atMessages, "ms", atShort, "ratio ≤ 1.2", atMessages / atShort <= 1.2),
        };
        rows.AddRange(await StreamPeer.RunAsync(server.StoredMessages("bench"), read, rate));

        if (settings.Log > read)
        {
            Console.WriteLine($"   growing the log to {settings.Log:#,0} messages");
            var growing = Stopwatch.StartNew();
            await server.GrowLogAsync("bench", settings.Log);
            Console.WriteLine($"   grown in {growing.Elapsed.TotalSeconds:0} s");
            server.Settle();
            var (beside, atLog) = await PageLatency(shortLog, (http, HeadCursor(server)), 200);
            Console.WriteLine($"   head page at {settings.Log:#,0}: {atLog:0.00} ms (short log beside it: {beside:0.00} ms)");
            rows.Add(new("feed", $"head page latency at {settings.Log:#,0} messages vs a short log", atLog, "ms", beside, "ratio ≤ 1.2", atLog / beside <= 1.2));
        }

        return rows;
    }

    /// <summary>
    /// Reads the feed from its start to its end, parsing every page. Pages are asked for ahead, by each
    /// page's Link header as soon as that page's headers arrive, up to <see cref="PagesAhead"/> pages before
    /// the one being parsed.
    /// </summary>
    internal static async Task<(long Read, string? Cursor)> ReadFeedAsync(HttpClient http)
    {
        var pages = Channel.CreateBounded<Task<HttpResponseMessage>>(PagesAhead);
        var asking = Task.Run(async () =>
        {
            var pending = http.GetAsync("/api/v1/transmit/messages?limit=1000", HttpCompletionOption.ResponseHeadersRead);
            try
            {
                while (pending is not null)
                {
                    await pages.Writer.WriteAsync(pending);
                    var response = await pending;
                    var next = response.IsSuccessStatusCode && response.Headers.TryGetValues("Link", out var links) ? links.First() : null;
                    pending = next is null ? null : http.GetAsync(next[1..next.IndexOf('>', StringComparison.Ordinal)], HttpCompletionOption.ResponseHeadersRead);
                }
            }
            finally
            {
                pages.Writer.Complete();
            }
        });

        long read = 0;
        string? cursor = null;
        await foreach (var pending in pages.Reader.ReadAllAsync())
        {
            using var response = await pending;
            response.EnsureSuccessStatusCode();
            using var page = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync());
            read += page.RootElement.GetProperty("Messages").GetArrayLength();
            cursor = page.RootElement.GetProperty("Cursor").GetString();
        }

        await asking;
        return (read, cursor);
    }

    /// <summary>The cursor at the head of the agency's log, where a reader that has caught up polls.</summary>
    private static string HeadCursor(BenchServer server)
    {
        using var connection = server.Services.GetRequiredService<Database>().OpenReader();
        return Cursor.Encode(connection.Scalar<long>("SELECT last_position FROM agencies WHERE name = @name", null, ("@name", "bench")));
    }

    /// <summary>The median times to read the (empty) page at the head of two logs, requested in turn.</summary>
    private static async Task<(double First, double Second)> PageLatency((HttpClient Http, string Cursor) first, (HttpClient Http, string Cursor) second, int samples)
    {
        var times = (First: new List<double>(), Second: new List<double>());
        for (var i = 0; i < samples; i++)
        {
            times.First.Add(await Time(first));
            times.Second.Add(await Time(second));
        }

        return (Median(times.First), Median(times.Second));

        static async Task<double> Time((HttpClient Http, string Cursor) log)
        {
            var stopwatch = Stopwatch.StartNew();
            await log.Http.GetByteArrayAsync("/api/v1/transmit/messages?limit=100&after=" + log.Cursor);
            return stopwatch.Elapsed.TotalMilliseconds;
        }

        static double Median(List<double> values)
        {
            values.Sort();
            return values[values.Count / 2];
        }
    }
}
