using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Caseline.Server.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace Caseline.Server.Tests;

/// <summary>Webhook endpoints and signed delivery, on the real clock.</summary>
public sealed class WebhookTests(CaselineServer server) : IClassFixture<CaselineServer>
{
    internal static async Task<JsonObject> Register(HttpClient http, string url, params string[] subTypes)
    {
        var response = await http.PostAsJsonAsync("/api/v1/transmit/webhooks", new { Url = url, Description = "CMS", SubTypes = subTypes }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.ReadObject();
    }

    internal static async Task Until(Func<bool> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting: {what}");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>
    /// Waits until a dispatcher round that started after this call has finished: everything written before it has been
    /// fanned out, and every head due by then leased.
    /// </summary>
    internal static async Task Round(CaselineServer server)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await server.Services.GetRequiredService<WebhookDispatcher>().RoundAsync(timeout.Token);
    }

    internal static HeaderDictionary Headers(string id, string timestamp, string signature) => new()
    {
        ["webhook-id"] = id,
        ["webhook-timestamp"] = timestamp,
        ["webhook-signature"] = signature,
    };

    [Fact]
    public async Task With_one_send_slot_every_endpoint_with_a_backlog_still_gets_its_turn()
    {
        await using var narrow = CaselineServer.With(new Dictionary<string, string> { ["Caseline:Webhooks:MaxConcurrency"] = "1" });
        var agency = CaselineServer.NewAgency();
        using var http = await narrow.ForAsync(agency);
        var receivers = new List<WebhookReceiver>();
        for (var i = 0; i < 3; i++)
        {
            var receiver = await WebhookReceiver.StartAsync();
            receivers.Add(receiver);
            await Register(http, receiver.Url);
        }

        try
        {
            for (var c = 0; c < 20; c++)
            {
                await http.Put($"/api/v1/clients/F{c}", """{"FirstName":"Ann","LastName":"Lee"}""");
            }

            // Each endpoint has 20 clients' worth of heads due; a fixed endpoint order would serve one until it ran dry.
            await Until(() => receivers.All(r => !r.Requests.IsEmpty), "a delivery to every endpoint");
            Assert.All(receivers, r => Assert.True(r.Requests.Count < 20, "the endpoints take turns"));
        }
        finally
        {
            foreach (var receiver in receivers)
            {
                await receiver.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_backlog_the_filter_passes_over_is_fanned_out_without_waiting_for_the_poll()
    {
        // Nothing would look again within the test: only the rounds that follow one another can reach the last message.
        await using var idle = CaselineServer.With(new Dictionary<string, string> { ["Caseline:Webhooks:PollInterval"] = "01:00:00" });
        var agency = CaselineServer.NewAgency();
        using var http = await idle.ForAsync(agency);
        await using var receiver = await WebhookReceiver.StartAsync();
        string[] wanted = ["Address Details"];
        var endpoint = await Register(http, receiver.Url, wanted);
        async Task Enable(bool enabled)
        {
            var response = await http.PutAsJsonAsync(
                $"/api/v1/transmit/webhooks/{endpoint["Id"]}", new { receiver.Url, SubTypes = wanted, Enabled = enabled }, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await Enable(false);

        // Far more messages than one round fans out, none of which the endpoint wants, and then one it does.
        for (var i = 0; i < 4; i++)
        {
            var renames = await Task.WhenAll(Enumerable.Range(0, 150).Select(n => http.Put("/api/v1/clients/B1", $$"""{"FirstName":"Ann","LastName":"Lee {{i}}-{{n}}"}""")));
            Assert.All(renames, r => Assert.True(r.IsSuccessStatusCode));
        }

        Assert.Equal(HttpStatusCode.Created, (await http.Put("/api/v1/clients/B1/addresses/H", """{"AddressType":"Home","Address":"1 Main St"}""")).StatusCode);
        await Enable(true);

        await Until(() => !receiver.Requests.IsEmpty, "the address message");
        Assert.Contains("1 Main St", Encoding.UTF8.GetString(Assert.Single(receiver.Requests).Body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sends_in_flight_never_exceed_the_limit_and_every_delivery_leased_ahead_is_sent()
    {
        await using var narrow = CaselineServer.With(new Dictionary<string, string> { ["Caseline:Webhooks:MaxConcurrency"] = "2" });
        var agency = CaselineServer.NewAgency();
        using var http = await narrow.ForAsync(agency);
        await using var receiver = await WebhookReceiver.StartAsync();
        var held = new HeldAnswer();
        receiver.Answer = _ => held;
        await Register(http, receiver.Url);

        for (var c = 0; c < 12; c++)
        {
            await http.Put($"/api/v1/clients/L{c}", """{"FirstName":"Ann","LastName":"Lee"}""");
        }

        // Up to twice the limit is leased at once; the ones waiting must start as slots free, not be left behind.
        await Until(() => receiver.Requests.Count >= 12, "every delivery");
        Assert.InRange(held.Most, 1, 2);
    }

    [Fact]
    public async Task Every_message_arrives_signed_as_standard_webhooks_says()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await using var receiver = await WebhookReceiver.StartAsync();
        var endpoint = await Register(http, receiver.Url);
        var secret = (string)endpoint["Secret"]!;
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);

        await http.Put("/api/v1/clients/EX1", """{"FirstName":"Zoë","LastName":"Lee","Email":"z@example.org"}""");
        await Until(() => receiver.Requests.Count >= 2, "two deliveries");

        var log = server.Log(agency);
        var verifier = new StandardWebhook(secret);
        foreach (var (received, logged) in receiver.Requests.Zip(log))
        {
            Assert.Equal(logged.Body, received.Body); // byte for byte as in the feed
            Assert.Equal(logged.Message.Activity.Identifier.ToString("D"), received.Id);
            verifier.Verify(Encoding.UTF8.GetString(received.Body), Headers(received.Id, received.Timestamp, received.Signature));
        }

        var first = receiver.Requests.First();
        var tampered = Encoding.UTF8.GetString(first.Body).Replace("Zoë", "Zoe", StringComparison.Ordinal);
        Assert.Throws<WebhookVerificationException>(() => verifier.Verify(tampered, Headers(first.Id, first.Timestamp, first.Signature)));
        var stale = DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds();
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var staleSignature = Caseline.Messages.WebhookSignature.Sign(first.Id, stale, first.Body, key);
        Assert.Throws<WebhookVerificationException>(() => verifier.Verify(Encoding.UTF8.GetString(first.Body), Headers(first.Id, stale.ToString(System.Globalization.CultureInfo.InvariantCulture), staleSignature)));
    }

    [Fact]
    public async Task During_rotation_both_secrets_sign_every_delivery()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await using var receiver = await WebhookReceiver.StartAsync();
        var endpoint = await Register(http, receiver.Url);
        var rotated = await (await http.PostAsync($"/api/v1/transmit/webhooks/{endpoint["Id"]}/rotate-secret", null, TestContext.Current.CancellationToken)).ReadObject();

        await http.Put("/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee"}""");
        await Until(() => !receiver.Requests.IsEmpty, "a delivery");

        var received = receiver.Requests.Single();
        var signatures = received.Signature.Split(' ');
        Assert.Equal(2, signatures.Length);
        var body = Encoding.UTF8.GetString(received.Body);
        new StandardWebhook((string)rotated["Secret"]!).Verify(body, Headers(received.Id, received.Timestamp, received.Signature));
        // StandardWebhooks 1.1.2 never reaches the last of several signatures, so each is checked on its own too.
        new StandardWebhook((string)rotated["Secret"]!).Verify(body, Headers(received.Id, received.Timestamp, signatures[0]));
        new StandardWebhook((string)endpoint["Secret"]!).Verify(body, Headers(received.Id, received.Timestamp, signatures[1]));
        Assert.NotEqual((string?)endpoint["Secret"], (string?)rotated["Secret"]);
    }

    [Fact]
    public async Task An_endpoint_receives_only_the_sections_it_asked_for()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await using var receiver = await WebhookReceiver.StartAsync();
        var endpoint = (string)(await Register(http, receiver.Url, "address details"))["Id"]!;

        await http.Put("/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee"}""");
        await http.Put("/api/v1/clients/EX1/addresses/H", """{"AddressType":"Home","Address":"1 Main"}""");
        await http.Put("/api/v1/clients/EX1/contacts/P", """{"ContactType":"HomePhone","Contact":"555"}""");
        await http.Put("/api/v1/clients/EX1/addresses/W", """{"AddressType":"Work","Address":"2 Elm"}""");
        await Until(() => receiver.Requests.Count >= 2, "two address deliveries");
        await Round(server);

        // Every message is fanned out by now: the other two made no delivery at all.
        Assert.Equal(2, server.Count($"SELECT COUNT(*) FROM deliveries WHERE endpoint_id = '{endpoint}'"));
        Assert.Equal(2, receiver.Requests.Count);
        Assert.All(receiver.Requests, r => Assert.Contains("\"SubType\":\"Address Details\"", Encoding.UTF8.GetString(r.Body), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Clients_proceed_in_parallel_and_each_clients_messages_arrive_in_order()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await using var receiver = await WebhookReceiver.StartAsync();
        var random = new Random(7);
        receiver.Answer = _ =>
        {
            Thread.SpinWait(random.Next(1, 20_000)); // receivers answer at uneven speeds
            return Results.Ok();
        };
        await Register(http, receiver.Url);

        await Task.WhenAll(Enumerable.Range(0, 40).Select(async c =>
        {
            using var writer = await server.ForAsync(agency);
            await writer.Put($"/api/v1/clients/C{c}", """{"FirstName":"Ann","LastName":"Lee"}""");
            for (var i = 0; i < 5; i++)
            {
                await writer.Put($"/api/v1/clients/C{c}/addresses/H", $$"""{"AddressType":"Home","Address":"{{i}} Main"}""");
            }
        }));
        var log = server.Log(agency);
        await Until(() => receiver.Requests.Count >= log.Count, "every message");

        var positions = log.ToDictionary(m => m.Message.Activity.Identifier.ToString("D"), m => (m.Position, m.ClientId));
        foreach (var client in receiver.Requests.Select(r => positions[r.Id]).GroupBy(p => p.ClientId))
        {
            var order = client.Select(p => p.Position).ToList();
            Assert.Equal(order.Order(), order);
        }

        Assert.Equal(log.Count, receiver.Requests.Select(r => r.Id).Distinct().Count());
    }

    [Fact]
    public async Task Endpoints_are_managed_and_never_show_their_secret_again()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        var endpoint = await Register(http, "http://127.0.0.1:9/hook", "Address Details", "Case Details");
        var id = (string)endpoint["Id"]!;

        var listed = await (await http.Get("/api/v1/transmit/webhooks")).Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var updated = await (await http.PutAsJsonAsync($"/api/v1/transmit/webhooks/{id}", new { Url = "http://127.0.0.1:9/other", Enabled = false }, TestContext.Current.CancellationToken)).ReadObject();
        using var other = await server.ForAsync(CaselineServer.NewAgency());
        var foreign = await other.Get($"/api/v1/transmit/webhooks/{id}");
        var deleted = await http.Delete($"/api/v1/transmit/webhooks/{id}");

        Assert.Equal(["Address Details", "Case Details"], endpoint["SubTypes"]!.AsArray().Select(s => (string)s!));
        Assert.DoesNotContain((string)endpoint["Secret"]!, listed, StringComparison.Ordinal);
        Assert.Contains(id, listed, StringComparison.Ordinal);
        Assert.False((bool)updated["Enabled"]!);
        Assert.Equal("Disabled by an administrator", (string?)updated["DisabledReason"]);
        Assert.Null(updated["SubTypes"]);
        await foreign.Problem(404);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await (await http.Get($"/api/v1/transmit/webhooks/{id}")).Problem(404);
    }

    [Theory]
    [InlineData("""{"Url":"ftp://example.org/hook"}""", "Url")]
    [InlineData("""{"Url":"not a url"}""", "Url")]
    [InlineData("""{}""", "Url")]
    [InlineData("""{"Url":"http://127.0.0.1/hook","SubTypes":["Boat Details"]}""", "SubTypes")]
    [InlineData("""{"Url":"http://127.0.0.1/hook","Description":"<script>"}""", "Description")]
    public async Task Invalid_endpoints_are_refused(string body, string field)
    {
        using var http = await server.ForAsync(CaselineServer.NewAgency());

        var problem = await (await http.Post("/api/v1/transmit/webhooks", body)).Problem(400);

        Assert.NotNull(problem["errors"]![field]);
    }

    /// <summary>Answers 204 after holding the request a while, and counts the most it held at once.</summary>
    private sealed class HeldAnswer : IResult
    {
        private int _holding;
        private int _most;

        public int Most => Volatile.Read(ref _most);

        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var now = Interlocked.Increment(ref _holding);
            var seen = Most;
            while (now > seen && Interlocked.CompareExchange(ref _most, now, seen) != seen)
            {
                seen = Most;
            }

            await Task.Delay(30); // long enough for a third send, if one were let through, to arrive meanwhile
            Interlocked.Decrement(ref _holding);
            httpContext.Response.StatusCode = StatusCodes.Status204NoContent;
        }
    }
}

/// <summary>The request forgery guard, with private networks not allowed (the default).</summary>
public sealed class WebhookGuardTests
{
    [Theory]
    [InlineData("http://127.0.0.1/hook", "must use https")]
    [InlineData("https://127.0.0.1/hook", "private, loopback or link-local")]
    [InlineData("https://localhost/hook", "private, loopback or link-local")]
    [InlineData("https://10.1.2.3/hook", "private, loopback or link-local")]
    [InlineData("https://192.168.0.10/hook", "private, loopback or link-local")]
    [InlineData("https://169.254.169.254/latest/meta-data", "private, loopback or link-local")]
    [InlineData("https://[::1]/hook", "private, loopback or link-local")]
    [InlineData("https://[fd00::1]/hook", "private, loopback or link-local")]
    [InlineData("https://[::127.0.0.1]/hook", "private, loopback or link-local")]
    [InlineData("https://[::ffff:0:7f00:1]/hook", "private, loopback or link-local")]
    [InlineData("https://[64:ff9b::a9fe:a9fe]/latest/meta-data", "private, loopback or link-local")]
    [InlineData("https://[2002:7f00:1::]/hook", "private, loopback or link-local")]
    [InlineData("http://93.184.216.34/hook", "must use https")]
    [InlineData("https://user:hunter2@93.184.216.34/hook", "must not carry a user name")]
    [InlineData("ftp://93.184.216.34/hook", "must be an absolute https URL")]
    public async Task Private_targets_and_plain_http_are_refused_when_saving_saying_why(string url, string why)
    {
        await using var server = CaselineServer.With(new Dictionary<string, string> { ["Caseline:Webhooks:AllowPrivateNetworks"] = "false" });
        using var http = await server.ForAsync(CaselineServer.NewAgency());

        var problem = await (await http.Post("/api/v1/transmit/webhooks", $$"""{"Url":"{{url}}"}""")).Problem(400);

        var error = (string)problem["errors"]!["Url"]![0]!;
        Assert.Contains(why, error, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", problem.ToJsonString(), StringComparison.Ordinal);
        if (why.StartsWith("private", StringComparison.Ordinal) || why.StartsWith("must use", StringComparison.Ordinal))
        {
            Assert.Contains("Caseline:Webhooks:AllowPrivateNetworks=true", error, StringComparison.Ordinal); // what would allow it
        }
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("10.0.0.1", true)]
    [InlineData("172.16.5.4", true)]
    [InlineData("172.32.0.1", false)]
    [InlineData("192.168.1.1", true)]
    [InlineData("169.254.169.254", true)]
    [InlineData("100.64.0.1", true)]
    [InlineData("0.0.0.0", true)]
    [InlineData("224.0.0.1", true)]
    [InlineData("8.8.8.8", false)]
    [InlineData("93.184.216.34", false)]
    [InlineData("::1", true)]
    [InlineData("fe80::1", true)]
    [InlineData("fc00::1", true)]
    [InlineData("::ffff:10.0.0.1", true)]
    [InlineData("2606:4700:4700::1111", false)]
    [InlineData("::", true)]
    [InlineData("::127.0.0.1", true)]                    // IPv4-compatible
    [InlineData("::10.0.0.1", true)]
    [InlineData("::8.8.8.8", false)]
    [InlineData("::ffff:0:7f00:1", true)]                // IPv4-translated
    [InlineData("::ffff:0:192.168.1.1", true)]
    [InlineData("::ffff:0:8.8.8.8", false)]
    [InlineData("::ffff:127.0.0.1", true)]               // IPv4-mapped
    [InlineData("64:ff9b::127.0.0.1", true)]             // NAT64, well-known prefix
    [InlineData("64:ff9b::a9fe:a9fe", true)]
    [InlineData("64:ff9b::8.8.8.8", false)]
    [InlineData("64:ff9b:1::8.8.8.8", true)]             // NAT64, local use: the network's own
    [InlineData("64:ff9b:1:7f00:1::", true)]
    [InlineData("2002:7f00:1::", true)]                  // 6to4
    [InlineData("2002:a00:1::1", true)]
    [InlineData("2002:c0a8:101:1::1", true)]
    [InlineData("2002:808:808::1", false)]
    [InlineData("2001:0:7f00:1::", true)]                // Teredo: the server's address
    [InlineData("2001:0:808:808:0:0:f5ff:fffe", true)]  // Teredo: the client's, inverted (10.0.0.1)
    [InlineData("2001:0:808:808:0:0:f7f7:f7f7", false)] // 8.8.8.8 on both sides
    [InlineData("2001:4860:4860::8888", false)]
    public void Addresses_are_classified(string address, bool isPrivate) =>
        Assert.Equal(isPrivate, UrlGuard.IsPrivate(IPAddress.Parse(address)));

    [Fact]
    public async Task A_name_that_resolves_to_loopback_is_refused_at_send_time_too()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var handler = new SocketsHttpHandler { ConnectCallback = (context, ct) => UrlGuard.ConnectAsync(context, allowPrivate: false, ct) };
        using var client = new HttpClient(handler);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync(receiver.Url.Replace("127.0.0.1", "localhost", StringComparison.Ordinal), null, TestContext.Current.CancellationToken));

        Assert.Contains("private", error.Message + error.InnerException?.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(receiver.Requests);
    }
}
