using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Caseline.Bench;

/// <summary>
/// The stream an agency might replay instead of Caseline's feed: NATS JetStream from Debian's package,
/// a file-storage stream holding the same messages (the same bytes, one subject per client), replayed by
/// a fresh pull consumer in batches of 1,000, the client library's continuous pull. Like the feed reader,
/// the consumer parses every message it gets.
/// </summary>
public static class StreamPeer
{
    /// <summary>Publishers; a client's messages always go through the same one, so the stream keeps its order.</summary>
    private const int Lanes = 64;

    private const int Batch = 1_000;

    public static async Task<IReadOnlyList<Row>> RunAsync(IEnumerable<(string ClientId, string ActivityId, byte[] Body)> messages, long count, double caselineRate)
    {
        var executable = PeerProcess.Find("/usr/sbin/nats-server", "/usr/bin/nats-server");
        if (executable is null)
        {
            Console.WriteLine("   NATS is not installed (apt-get install -y nats-server): stream peer skipped");
            return [new Row("stream peer", "nats-server not installed, skipped", 0, "", Target: "ratio ≥ 1.5")];
        }

        var directory = Directory.CreateTempSubdirectory("caseline-bench-nats-").FullName;
        var port = PeerProcess.FreePort();
        await using var server = await PeerProcess.StartAsync(
            executable, ["--jetstream", "--addr", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--store_dir", directory], directory, port);
        await using var connection = new NatsConnection(new NatsOpts { Url = $"nats://127.0.0.1:{port}" });
        var js = new NatsJSContext(connection);
        await js.CreateStreamAsync(new StreamConfig("caseline", ["caseline.>"]) { Storage = StreamConfigStorage.File });

        // Bounded like every other loop of the bench: a stalled server fails the run instead of hanging it.
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var published = Stopwatch.StartNew();
        await PublishAsync(js, messages, bound.Token);
        var publishRate = count / published.Elapsed.TotalSeconds;

        await ReplayAsync(js, "warm-up", count, bound.Token); // a whole pass first, as the feed reader gets
        var stopwatch = Stopwatch.StartNew();
        var read = await ReplayAsync(js, "replay", count, bound.Token);
        var rate = read / stopwatch.Elapsed.TotalSeconds;
        Console.WriteLine($"   JetStream: published {count:#,0} (acknowledged, file storage) at {publishRate:#,0}/s; a fresh pull consumer replayed {read:#,0} at {rate:#,0} msg/s");
        return
        [
            new Row("stream peer", $"Caseline feed vs JetStream replay ({read:#,0} messages, file storage, pull batches of {Batch:#,0})", caselineRate, "msg/s", rate, "ratio ≥ 1.5", caselineRate / rate >= 1.5),
            new Row("stream peer", "JetStream publish rate, acknowledged (stream building, not compared)", publishRate, "msg/s"),
        ];
    }

    /// <summary>A fresh pull consumer reading the stream from its start until it has <paramref name="count"/> messages, parsing each.</summary>
    private static async Task<long> ReplayAsync(NatsJSContext js, string name, long count, CancellationToken ct)
    {
        var consumer = await js.CreateOrUpdateConsumerAsync("caseline", new ConsumerConfig(name) { AckPolicy = ConsumerConfigAckPolicy.None }, ct);
        long read = 0;
        await foreach (var message in consumer.ConsumeAsync<byte[]>(opts: new NatsJSConsumeOpts { MaxMsgs = Batch }, cancellationToken: ct))
        {
            using (JsonDocument.Parse(message.Data))
            {
            }

            if (++read == count)
            {
                break;
            }
        }

        return read;
    }

    private static async Task PublishAsync(NatsJSContext js, IEnumerable<(string ClientId, string ActivityId, byte[] Body)> messages, CancellationToken ct)
    {
        var lanes = Enumerable.Range(0, Lanes).Select(_ => Channel.CreateBounded<(string, byte[])>(256)).ToArray();
        var publishers = lanes.Select(lane => Task.Run(async () =>
        {
            await foreach (var (clientId, body) in lane.Reader.ReadAllAsync(ct))
            {
                (await js.PublishAsync("caseline." + clientId, body, cancellationToken: ct)).EnsureSuccess();
            }
        }, ct)).ToArray();
        foreach (var (clientId, _, body) in messages)
        {
            await lanes[(int)((uint)StringComparer.Ordinal.GetHashCode(clientId) % Lanes)].Writer.WriteAsync((clientId, body), ct);
        }

        foreach (var lane in lanes)
        {
            lane.Writer.Complete();
        }

        await Task.WhenAll(publishers);
    }
}
