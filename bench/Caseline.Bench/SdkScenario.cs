using System.Diagnostics;
using Caseline.Client;
using Caseline.Client.Mirror;

namespace Caseline.Bench;

/// <summary>
/// The SDK's costs beside what they wrap, in one run: reading the whole feed through
/// <see cref="CaselineClient.ReadFeedAsync"/> against the raw reader of the feed scenario (pages asked for ahead,
/// parsed with JsonDocument), and the profile mirror's apply rate, message parsing included.
/// </summary>
public static class SdkScenario
{
    private const int Rounds = 3;
    private const int MirrorMessages = 200_000;

    public static async Task<IReadOnlyList<Row>> RunAsync(BenchSettings settings)
    {
        await using var server = new BenchServer();
        using var http = await server.AgencyClientAsync("bench", 8);
        await http.PutAsync("/api/v1/clients/SEED", new StringContent("""{"FirstName":"Ann","LastName":"Lee"}""", System.Text.Encoding.UTF8, "application/json"));
        var messages = Math.Min(settings.Messages, 1_000_000);
        Console.WriteLine($"   seeding {messages:#,0} messages");
        await server.SeedAsync("bench", messages, clients: 1_000);
        server.Settle();
        using var sdk = new CaselineClient(new CaselineClientOptions
        {
            BaseAddress = server.Url,
            Credentials = CaselineCredentials.Password("caseline", null, "admin@bench.bench", BenchServer.AdminPassword),
            RequestTimeout = TimeSpan.FromMinutes(2),
        });

        // Each reader once to warm up, then in turn, so a noisy spell of this shared machine hits all of them alike.
        await FeedScenario.ReadFeedAsync(http);
        await ReadItems(sdk, parse: false);
        var raw = new List<double>();
        var items = new List<double>();
        var parsed = new List<double>();
        for (var round = 0; round < Rounds; round++)
        {
            raw.Add(await Rate(async () => (await FeedScenario.ReadFeedAsync(http)).Read));
            items.Add(await Rate(() => ReadItems(sdk, parse: false)));
            parsed.Add(await Rate(() => ReadItems(sdk, parse: true)));
        }

        var (rawRate, itemRate, parsedRate) = (raw.Max(), items.Max(), parsed.Max());
        Console.WriteLine($"   feed: raw {rawRate:#,0}/s, SDK items {itemRate:#,0}/s, SDK with messages parsed {parsedRate:#,0}/s");

        var mirrorRate = await MirrorRate(sdk);
        Console.WriteLine($"   mirror applied {mirrorRate:#,0} msg/s");
        return
        [
            new("sdk", $"feed read through the SDK, {messages:#,0} messages", itemRate, "msg/s", rawRate, "ratio ≥ 0.8", itemRate / rawRate >= 0.8),
            new("sdk", "feed read through the SDK, each message parsed", parsedRate, "msg/s", rawRate, "(for reference)"),
            new("sdk", $"profile mirror apply, {MirrorMessages:#,0} messages, parsing included", mirrorRate, "msg/s", Target: "≥ 50,000", Met: mirrorRate >= 50_000),
        ];
    }

    private static async Task<long> ReadItems(CaselineClient sdk, bool parse)
    {
        long read = 0;
        await foreach (var item in sdk.ReadFeedAsync(0, new FeedReadOptions { PageSize = 1000 }))
        {
            if (parse)
            {
                _ = item.Message;
            }

            read++;
        }

        return read;
    }

    private static async Task<double> Rate(Func<Task<long>> read)
    {
        var stopwatch = Stopwatch.StartNew();
        var count = await read();
        return count / stopwatch.Elapsed.TotalSeconds;
    }

    /// <summary>Applies the first messages of the feed to a fresh mirror, a page per transaction, as <see cref="ProfileMirror.CatchUpAsync"/> does.</summary>
    private static async Task<double> MirrorRate(CaselineClient sdk)
    {
        var pages = new List<List<FeedItem>>();
        var held = 0;
        await foreach (var item in sdk.ReadFeedAsync(0, new FeedReadOptions { PageSize = 1000 }))
        {
            if (held % 1000 == 0)
            {
                pages.Add([]);
            }

            // Fresh items, so the timed apply parses every message itself.
            pages[^1].Add(new FeedItem(item.Position, item.Body.ToArray(), item.OwnEcho));
            if (++held == MirrorMessages)
            {
                break;
            }
        }

        var folder = Directory.CreateTempSubdirectory("caseline-bench-mirror-").FullName;
        try
        {
            using var mirror = ProfileMirror.Open(Path.Combine(folder, "mirror.db"));
            var stopwatch = Stopwatch.StartNew();
            foreach (var page in pages)
            {
                mirror.Apply(page);
            }

            return held / stopwatch.Elapsed.TotalSeconds;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
