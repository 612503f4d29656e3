using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Caseline.Messages;
using Caseline.Messages.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Caseline.Bench;

/// <summary>
/// Webhook delivery throughput: a backlog of messages over 10,000 clients is released to a local
/// receiver that checks every signature and each client's order; messages per second until the last arrives.
/// </summary>
public static class DeliveryScenario
{
    private const int Clients = 10_000;

    public static async Task<IReadOnlyList<Row>> RunAsync(BenchSettings settings)
    {
        var messages = Math.Min(settings.Messages, 50_000);
        await using var receiver = await Receiver.StartAsync();
        await using var server = new BenchServer();
        using var http = await server.AgencyClientAsync("bench", 8);
        var endpoint = await (await http.PostAsJsonAsync("/api/v1/transmit/webhooks", new { Url = receiver.Url })).Content.ReadFromJsonAsync<JsonObject>();
        receiver.Key = Convert.FromBase64String(((string)endpoint!["Secret"]!)["whsec_".Length..]);
        (await http.PutAsJsonAsync($"/api/v1/transmit/webhooks/{endpoint["Id"]}", new { Url = receiver.Url, Enabled = false })).EnsureSuccessStatusCode();

        Console.WriteLine($"   seeding {messages:#,0} messages over {Clients:#,0} clients");
        await server.SeedAsync("bench", messages, Clients);

        var stopwatch = Stopwatch.StartNew();
        (await http.PutAsJsonAsync($"/api/v1/transmit/webhooks/{endpoint["Id"]}", new { Url = receiver.Url, Enabled = true })).EnsureSuccessStatusCode();
        var deadline = TimeSpan.FromSeconds(Math.Max(60, settings.Seconds * 6));
        while (receiver.Distinct < messages && stopwatch.Elapsed < deadline)
        {
            await Task.Delay(20);
        }

        var rate = receiver.Distinct / stopwatch.Elapsed.TotalSeconds;
        Console.WriteLine($"   delivered {receiver.Distinct:#,0} of {messages:#,0} in {stopwatch.Elapsed.TotalSeconds:0.0} s: {rate:#,0} msg/s; bad signatures {receiver.BadSignatures}, out of order {receiver.OutOfOrder}");
        return
        [
            new Row("delivery", $"messages/s to a local receiver ({messages:#,0} over {Clients:#,0} clients)", rate, "msg/s", Target: "≥ 10,000", Met: rate >= 10_000),
            new Row("delivery", "signature failures + per-client order breaks", receiver.BadSignatures + receiver.OutOfOrder, "", Target: "0", Met: receiver.BadSignatures + receiver.OutOfOrder == 0),
        ];
    }

    /// <summary>A receiver that verifies each signature and each client's order (its addresses count up).</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, long> _last = new(StringComparer.Ordinal);
        private WebApplication _app = null!;

        public byte[] Key { get; set; } = [];

        public string Url { get; private set; } = "";

        public int Distinct => _seen.Count;

        public long BadSignatures;

        public long OutOfOrder;

        public static async Task<Receiver> StartAsync()
        {
            var receiver = new Receiver();
            (receiver._app, var address) = await Loopback.StartAsync(app => app.MapPost("/hook", async (HttpRequest request) =>
            {
                using var buffer = new MemoryStream();
                await request.Body.CopyToAsync(buffer);
                var body = buffer.ToArray();
                var id = request.Headers["webhook-id"].ToString();
                var signed = Encoding.UTF8.GetBytes($"{id}.{request.Headers["webhook-timestamp"]}.").Concat(body).ToArray();
                var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(receiver.Key, signed));
                if (!request.Headers["webhook-signature"].ToString().Split(' ').Contains(expected))
                {
                    Interlocked.Increment(ref receiver.BadSignatures);
                    return Results.StatusCode(401);
                }

                var message = MessageReader.Read(body);
                var sequence = long.Parse(((AddressDetails)message.Details).Address!.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
                var client = message.Client.IntegrationId;
                if (receiver._seen.TryAdd(id, 0))
                {
                    var previous = receiver._last.GetValueOrDefault(client, -1);
                    if (sequence < previous)
                    {
                        Interlocked.Increment(ref receiver.OutOfOrder);
                    }

                    receiver._last[client] = Math.Max(previous, sequence);
                }

                return Results.NoContent();
            }));
            receiver.Url = address + "/hook";
            return receiver;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
