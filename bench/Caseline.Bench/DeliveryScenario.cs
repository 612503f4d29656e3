using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
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

    /// <summary>Delivered through the same endpoint before the measured backlog: the figure is a running server's, not the JIT's.</summary>
    private const int WarmUp = 30_000;

    public static async Task<IReadOnlyList<Row>> RunAsync(BenchSettings settings)
    {
        var messages = Math.Min(settings.Messages, 100_000);
        await using var receiver = await Receiver.StartAsync();
        await using var server = new BenchServer();
        using var http = await server.AgencyClientAsync("bench", 8);
        var endpoint = await (await http.PostAsJsonAsync("/api/v1/transmit/webhooks", new { Url = receiver.Url })).Content.ReadFromJsonAsync<JsonObject>();
        receiver.Check.Key = Convert.FromBase64String(((string)endpoint!["Secret"]!)["whsec_".Length..]);
        (await http.PutAsJsonAsync($"/api/v1/transmit/webhooks/{endpoint["Id"]}", new { Url = receiver.Url, Enabled = false })).EnsureSuccessStatusCode();

        var deadline = TimeSpan.FromSeconds(Math.Max(60, settings.Seconds * 6));
        await server.SeedAsync("bench", WarmUp, Clients);
        await DeliverAsync(http, endpoint, receiver, WarmUp, deadline);
        Console.WriteLine($"   warmed up with {receiver.Check.Distinct:#,0} deliveries; seeding {messages:#,0} messages over {Clients:#,0} clients");
        await server.SeedAsync("bench", messages, Clients, first: WarmUp);

        var cpuBefore = Load.ProcessCpu();
        var elapsed = await DeliverAsync(http, endpoint, receiver, WarmUp + messages, deadline);
        var delivered = receiver.Check.Distinct - WarmUp;
        var rate = delivered / elapsed.TotalSeconds;
        var cpu = (Load.ProcessCpu() - cpuBefore).TotalMicroseconds / Math.Max(1, delivered);
        Console.WriteLine(
            $"   delivered {delivered:#,0} of {messages:#,0} in {elapsed.TotalSeconds:0.0} s: {rate:#,0} msg/s, {cpu:0} µs of CPU per message; "
            + $"bad signatures {receiver.Check.BadSignatures}, out of order {receiver.Check.OutOfOrder}");
        Row[] rows =
        [
            new Row("delivery", $"messages/s to a local receiver ({messages:#,0} over {Clients:#,0} clients)", rate, "msg/s", Target: "≥ 10,000", Met: rate >= 10_000),
            new Row("delivery", "CPU per message, whole process (receiver included)", cpu, "µs"),
            new Row("delivery", "signature failures + per-client order breaks", receiver.Check.BadSignatures + receiver.Check.OutOfOrder, "", Target: "0", Met: receiver.Check.BadSignatures + receiver.Check.OutOfOrder == 0),
        ];
        return [.. rows, .. await BrokerPeer.RunAsync([.. server.StoredMessages("bench").Skip(WarmUp)], rate, deadline)];
    }

    /// <summary>Enables the endpoint, waits until the receiver has <paramref name="total"/> distinct messages, disables it again.</summary>
    internal static async Task<TimeSpan> DeliverAsync(HttpClient http, JsonObject endpoint, Receiver receiver, int total, TimeSpan deadline)
    {
        var stopwatch = Stopwatch.StartNew();
        (await http.PutAsJsonAsync($"/api/v1/transmit/webhooks/{endpoint["Id"]}", new { Url = receiver.Url, Enabled = true })).EnsureSuccessStatusCode();
        while (receiver.Check.Distinct < total && stopwatch.Elapsed < deadline)
        {
            await Task.Delay(20);
        }

        var elapsed = stopwatch.Elapsed;
        (await http.PutAsJsonAsync($"/api/v1/transmit/webhooks/{endpoint["Id"]}", new { Url = receiver.Url, Enabled = false })).EnsureSuccessStatusCode();
        return elapsed;
    }

    /// <summary>A webhook receiver on loopback that hands every request to a <see cref="DeliveryCheck"/>.</summary>
    internal sealed class Receiver : IAsyncDisposable
    {
        private WebApplication _app = null!;

        public DeliveryCheck Check { get; } = new([]);

        public string Url { get; private set; } = "";

        public static async Task<Receiver> StartAsync()
        {
            var receiver = new Receiver();
            (receiver._app, var address) = await Loopback.StartAsync(app => app.MapPost("/hook", async (HttpRequest request) =>
            {
                using var buffer = new MemoryStream();
                await request.Body.CopyToAsync(buffer);
                var accepted = receiver.Check.Accept(
                    request.Headers["webhook-id"].ToString(), request.Headers["webhook-timestamp"].ToString(), request.Headers["webhook-signature"].ToString(),
                    buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
                return accepted ? Results.NoContent() : Results.StatusCode(401);
            }));
            receiver.Url = address + "/hook";
            return receiver;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
