using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Caseline.Messages;
using Caseline.Messages.Json;

namespace Caseline.Server.Tests;

/// <summary>
/// The real server process, killed with SIGKILL at random moments while writers write and a receiver
/// listens: nothing acknowledged is lost, every message is delivered, each client's order holds.
/// </summary>
public sealed class CrashTests
{
    private const string ClientSecret = ServerProcess.ClientSecret;
    private const string OfficerPassword = ServerProcess.OfficerPassword;

    [Fact]
    public async Task Killing_the_server_at_random_moments_loses_nothing_acknowledged()
    {
        var ct = TestContext.Current.CancellationToken;
        var data = Path.Combine(Path.GetTempPath(), "caseline-crash", Guid.NewGuid().ToString("N"));
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = new ServerProcess(data);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url), Timeout = TimeSpan.FromSeconds(10) };
        await server.StartAsync(ct);

        // The integrator's flow: the demo agency's API client registers the webhook, its officer writes.
        http.DefaultRequestHeaders.Authorization = new("Bearer", await Token(http, "grant_type=client_credentials&scope=caseIntegrationApi", ct));
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/v1/transmit/webhooks", new { Url = receiver.Url }, ct)).StatusCode);
        http.DefaultRequestHeaders.Authorization = new("Bearer", await Token(
            http, $"grant_type=password&scope=openid caseIntegrationApi&username=officer@demo.local&password={OfficerPassword}", ct));

        var acknowledged = new ConcurrentBag<(string Client, string Address)>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var seq = 0; !stop.IsCancellationRequested; seq++)
            {
                var client = $"W{w}C{seq % 5}";
                var address = $"{w}-{seq} Main St";
                try
                {
                    var response = await http.PutAsync(
                        $"/api/v1/clients/{client}", Http.Json("""{"FirstName":"Ann","LastName":"Lee"}"""), CancellationToken.None);
                    response = await http.PutAsync(
                        $"/api/v1/clients/{client}/addresses/H", Http.Json($$"""{"AddressType":"Home","Address":"{{address}}"}"""), CancellationToken.None);
                    if (response.IsSuccessStatusCode)
                    {
                        acknowledged.Add((client, address));
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    await Task.Delay(50, CancellationToken.None); // the server is down: not acknowledged
                }
            }
        }, CancellationToken.None)).ToList();

        var random = new Random(2026);
        for (var kill = 0; kill < 5; kill++)
        {
            // Some updates acknowledged since the last start (a busy machine may take a while), then a random moment.
            var before = acknowledged.Count;
            await WebhookTests.Until(() => acknowledged.Count >= before + 12, "updates acknowledged before the next kill", seconds: 60);
            await Task.Delay(random.Next(300, 1500), ct);
            server.Kill();
            await server.StartAsync(ct);
        }

        await Task.Delay(500, ct);
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        var feed = await ReadFeed(http, ct);
        Assert.True(acknowledged.Count > 50, $"only {acknowledged.Count} updates were acknowledged");
        foreach (var (client, address) in acknowledged)
        {
            Assert.Single(feed, m => m.Message.Client.IntegrationId == client && m.Message.Details is AddressDetails a && a.Address == address);
        }

        var positions = feed.ToDictionary(m => m.Message.Activity.Identifier.ToString("D"), m => (m.Position, m.Message.Client.IntegrationId));
        await WebhookTests.Until(() => positions.Keys.All(receiver.Requests.Select(r => r.Id).ToHashSet().Contains), "every message at the receiver", seconds: 60);
        foreach (var client in receiver.Requests.Select(r => positions[r.Id]).GroupBy(p => p.IntegrationId))
        {
            var order = client.Select(p => p.Position).Distinct().ToList();
            Assert.Equal(order.Order(), order);
        }
    }

    [Fact]
    public async Task A_sigterm_commits_what_was_acknowledged_hands_leases_back_and_exits_cleanly()
    {
        var ct = TestContext.Current.CancellationToken;
        var data = Path.Combine(Path.GetTempPath(), "caseline-crash", Guid.NewGuid().ToString("N"));
        await using var receiver = await WebhookReceiver.StartAsync();
        var slow = true;
        // Slow until the signal is sent, so that sends are in flight when it comes.
        receiver.Answer = _ => Volatile.Read(ref slow)
            ? WebhookReceiver.After(TimeSpan.FromMilliseconds(1500), Microsoft.AspNetCore.Http.Results.NoContent())
            : Microsoft.AspNetCore.Http.Results.NoContent();

        // Leases far longer than the test: only a lease handed back lets the restarted server send at once.
        await using var server = new ServerProcess(data, new Dictionary<string, string> { ["Caseline__Webhooks__Lease"] = "00:30:00" });
        using var http = new HttpClient { BaseAddress = new Uri(server.Url), Timeout = TimeSpan.FromSeconds(10) };
        await server.StartAsync(ct);
        http.DefaultRequestHeaders.Authorization = new("Bearer", await Token(http, "grant_type=client_credentials&scope=caseIntegrationApi", ct));
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/api/v1/transmit/webhooks", new { Url = receiver.Url }, ct)).StatusCode);
        http.DefaultRequestHeaders.Authorization = new("Bearer", await Token(
            http, $"grant_type=password&scope=openid caseIntegrationApi&username=officer@demo.local&password={OfficerPassword}", ct));

        var acknowledged = new ConcurrentBag<(string Client, string Address)>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var seq = 0; !stop.IsCancellationRequested; seq++)
            {
                var client = $"T{w}C{seq % 5}";
                var address = $"{w}-{seq} Main St";
                try
                {
                    var response = await http.PutAsync($"/api/v1/clients/{client}/addresses/H", Http.Json($$"""{"AddressType":"Home","Address":"{{address}}"}"""), CancellationToken.None);
                    if (response.StatusCode == HttpStatusCode.NotFound)
                    {
                        await http.PutAsync($"/api/v1/clients/{client}", Http.Json("""{"FirstName":"Ann","LastName":"Lee"}"""), CancellationToken.None);
                    }
                    else if (response.IsSuccessStatusCode)
                    {
                        acknowledged.Add((client, address));
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    await Task.Delay(20, CancellationToken.None); // the server has stopped taking requests
                }
            }
        }, CancellationToken.None)).ToList();

        await WebhookTests.Until(() => receiver.Requests.Count >= 3 && acknowledged.Count > 30, "writes and sends in flight");
        var (exitCode, took) = await server.TerminateAsync(ct);
        Volatile.Write(ref slow, false);
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        Assert.Equal(0, exitCode);
        Assert.True(took < TimeSpan.FromSeconds(30), $"took {took.TotalSeconds:0.0} s to exit");

        await server.StartAsync(ct);
        var feed = await ReadFeed(http, ct);
        foreach (var (client, address) in acknowledged)
        {
            Assert.Single(feed, m => m.Message.Client.IntegrationId == client && m.Message.Details is AddressDetails a && a.Address == address);
        }

        // Every message reaches the receiver well within the 30-minute lease: the cut-off sends were handed back.
        var ids = feed.Select(m => m.Message.Activity.Identifier.ToString("D")).ToHashSet();
        await WebhookTests.Until(() => ids.All(receiver.Requests.Select(r => r.Id).ToHashSet().Contains), "every message at the receiver", seconds: 60);
    }

    internal static async Task<string> Token(HttpClient http, string form, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/identity/connect/token")
        {
            Content = new StringContent(form, System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        request.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"demo-cms:{ClientSecret}")));
        var response = await http.SendAsync(request, ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(ct));
        return (string)(await response.Content.ReadFromJsonAsync<JsonObject>(ct))!["access_token"]!;
    }

    internal static async Task<List<(long Position, ClientMessage Message)>> ReadFeed(HttpClient http, CancellationToken ct)
    {
        var feed = new List<(long, ClientMessage)>();
        string? cursor = null;
        bool more;
        do
        {
            var page = (await http.GetFromJsonAsync<JsonObject>("/api/v1/transmit/messages?limit=1000" + (cursor is null ? "" : "&after=" + cursor), ct))!;
            feed.AddRange(page["Messages"]!.AsArray().Select(m => ((long)m!["Position"]!, MessageReader.Read(m["Message"]!.ToJsonString()))));
            cursor = (string?)page["Cursor"];
            more = (bool)page["HasMore"]!;
        }
        while (more);

        Assert.Equal(Enumerable.Range(1, feed.Count).Select(p => (long)p), feed.Select(m => m.Item1));
        return feed;
    }
}
