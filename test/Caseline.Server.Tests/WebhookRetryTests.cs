using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Caseline.Server.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Caseline.Server.Tests;

/// <summary>Retries, Retry-After, 410, the 5-day rule and dead letters, on a clock the test moves.</summary>
public sealed class WebhookRetryTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private CaselineServer _server = null!;
    private WebhookReceiver _receiver = null!;
    private HttpClient _http = null!;
    private string _endpoint = "";

    public async ValueTask InitializeAsync()
    {
        // Tokens must outlive the days this clock is moved through.
        _server = CaselineServer.With(
            new Dictionary<string, string> { ["Caseline:Identity:AccessTokenLifetime"] = "30.00:00:00" },
            s => s.AddSingleton<TimeProvider>(_clock));
        _receiver = await WebhookReceiver.StartAsync();
        _http = await _server.ForAsync("retry-agency");
        _endpoint = (string)(await WebhookTests.Register(_http, _receiver.Url))["Id"]!;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _receiver.DisposeAsync();
        await _server.DisposeAsync();
    }

    private async Task<JsonObject> Endpoint()
    {
        var response = await _http.Get($"/api/v1/transmit/webhooks/{_endpoint}");
        Assert.True(response.IsSuccessStatusCode, $"reading the endpoint failed: {(int)response.StatusCode}");
        return await response.ReadObject();
    }

    private async Task<JsonObject> UntilEndpoint(Func<JsonObject, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var endpoint = await Endpoint();
            if (condition(endpoint))
            {
                return endpoint;
            }

            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting: {what}");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    private async Task<List<JsonObject>> Deliveries(string? state = null) =>
        [.. (await (await _http.Get($"/api/v1/transmit/webhooks/{_endpoint}/deliveries" + (state is null ? "" : "?state=" + state))).ReadObject())["Deliveries"]!
            .AsArray().Select(d => d!.AsObject())];

    private async Task<JsonObject> Delivery(long id) => await (await _http.Get($"/api/v1/transmit/webhooks/{_endpoint}/deliveries/{id}")).ReadObject();

    private async Task<JsonObject> UntilDelivery(long id, Func<JsonObject, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var delivery = await Delivery(id);
            if (condition(delivery))
            {
                return delivery;
            }

            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting: {what}; delivery is {delivery.ToJsonString()}");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    private async Task<long> FirstDelivery()
    {
        await WebhookTests.Until(() => !_receiver.Requests.IsEmpty, "a first attempt");
        return (long)(await Deliveries()).Single()["Id"]!;
    }

    private static int Attempts(JsonObject delivery) => (int)delivery["Attempts"]!;

    private static DateTimeOffset LastAttemptAt(JsonObject delivery) => (DateTimeOffset)delivery["AttemptLog"]!.AsArray()[^1]!["At"]!;

    /// <summary>Moves the clock to just before the delivery is due, checks a round then leaves it alone, then to the due time.</summary>
    private async Task<JsonObject> StepToNextAttempt(long id, JsonObject delivery)
    {
        var attempts = Attempts(delivery);
        var due = (DateTimeOffset)delivery["NextAttemptAt"]!;
        _clock.Advance(due - _clock.GetUtcNow() - TimeSpan.FromSeconds(1));
        await WebhookTests.Round(_server);
        var early = await Delivery(id);
        Assert.Equal(attempts, Attempts(early));
        Assert.Equal((string?)delivery["State"], (string?)early["State"]); // not leased: leasing would have made it InFlight
        _clock.Advance(TimeSpan.FromSeconds(1));
        return await UntilDelivery(id, d => Attempts(d) > attempts, $"attempt {attempts + 1}");
    }

    [Fact]
    public async Task Failed_attempts_are_retried_on_the_schedule_then_dead_lettered_and_the_stream_moves_on()
    {
        _receiver.Answer = _ => Results.StatusCode(500);
        await _http.Put("/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee"}""");
        var id = await FirstDelivery();
        var delivery = await UntilDelivery(id, d => (string?)d["State"] == "Retrying", "the first failure");

        foreach (var (delay, attempt) in RetrySchedule.Delays.Select((d, i) => (d, i + 1)))
        {
            Assert.Equal(attempt, Attempts(delivery));
            var wait = (DateTimeOffset)delivery["NextAttemptAt"]! - LastAttemptAt(delivery);
            Assert.InRange(wait, delay, delay * 1.1);
            delivery = await StepToNextAttempt(id, delivery);
        }

        delivery = await UntilDelivery(id, d => (string?)d["State"] == "Failed", "the dead letter");
        Assert.Equal(8, Attempts(delivery));
        Assert.Equal(8, delivery["AttemptLog"]!.AsArray().Count);
        Assert.All(delivery["AttemptLog"]!.AsArray(), a => Assert.Equal(500, (int)a!["StatusCode"]!));

        // The client's next message is not held behind the dead letter.
        _receiver.Answer = _ => Results.Ok();
        await _http.Put("/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Smith"}""");
        await WebhookTests.Until(() => _receiver.Requests.Count == 9, "the next message");

        // And the dead letter can be sent again by hand.
        var retry = await _http.PostAsync($"/api/v1/transmit/webhooks/{_endpoint}/deliveries/{id}/retry", null, TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, retry.StatusCode);
        delivery = await UntilDelivery(id, d => (string?)d["State"] == "Delivered", "the retried delivery");
        Assert.Equal(9, Attempts(delivery));
        await (await _http.PostAsync($"/api/v1/transmit/webhooks/{_endpoint}/deliveries/{id}/retry", null, TestContext.Current.CancellationToken)).Problem(409);
    }

    [Fact]
    public async Task A_receiver_that_fails_then_recovers_gets_every_message_in_order_per_client()
    {
        var failures = 25;
        _receiver.Answer = _ => Interlocked.Decrement(ref failures) >= 0 ? Results.StatusCode(503) : Results.Ok();
        for (var c = 0; c < 5; c++)
        {
            await _http.Put($"/api/v1/clients/C{c}", """{"FirstName":"Ann","LastName":"Lee"}""");
            for (var i = 0; i < 3; i++)
            {
                await _http.Put($"/api/v1/clients/C{c}/addresses/H", $$"""{"AddressType":"Home","Address":"{{i}} Main"}""");
            }
        }

        var log = _server.Log("retry-agency");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await Deliveries("Delivered")).Count < log.Count)
        {
            Assert.True(DateTime.UtcNow < deadline, "not every message was delivered");
            _clock.Advance(TimeSpan.FromMinutes(31)); // past any retry of the first four
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        var position = log.ToDictionary(m => m.Message.Activity.Identifier.ToString("D"), m => (m.Position, m.ClientId));
        var received = _receiver.Requests.Select(r => position[r.Id]).ToList();
        Assert.Equal(log.Count, received.Distinct().Count());
        foreach (var client in received.GroupBy(r => r.ClientId))
        {
            // Each message may arrive more than once, but never after a later message of its client.
            var firstArrivals = client.Select(r => r.Position).Distinct().ToList();
            Assert.Equal(firstArrivals.Order(), firstArrivals);
            Assert.Equal(client.Select(r => r.Position).Order(), client.Select(r => r.Position));
        }
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    public async Task Retry_after_is_honoured_instead_of_the_schedule(int status)
    {
        var first = true;
        _receiver.Answer = _ =>
        {
            if (!first)
            {
                return Results.Ok();
            }

            first = false;
            return new RetryLater(status, TimeSpan.FromSeconds(120), asDate: status == 503, _clock);
        };
        await _http.Put("/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee"}""");
        var id = await FirstDelivery();
        var delivery = await UntilDelivery(id, d => (string?)d["State"] == "Retrying", "the refused attempt");

        var wait = (DateTimeOffset)delivery["NextAttemptAt"]! - LastAttemptAt(delivery);
        Assert.InRange(wait, TimeSpan.FromSeconds(119), TimeSpan.FromSeconds(121));
        delivery = await StepToNextAttempt(id, delivery);
        Assert.Equal("Delivered", (string?)(await UntilDelivery(id, d => (string?)d["State"] == "Delivered", "delivery"))["State"]);
    }

    [Fact]
    public async Task A_410_disables_the_endpoint_until_it_is_enabled_again()
    {
        _receiver.Answer = _ => Results.StatusCode(410);
        await _http.Put("/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee"}""");
        var id = await FirstDelivery();
        await WebhookTests.Until(() => _receiver.Requests.Count == 1, "the 410");
        var endpoint = await UntilEndpoint(e => !(bool)e["Enabled"]!, "the endpoint to be disabled");
        Assert.Equal("The endpoint answered 410 Gone", (string?)endpoint["DisabledReason"]);
        _clock.Advance(TimeSpan.FromHours(12));
        await _http.Put("/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Smith"}""");
        await WebhookTests.Round(_server);
        // The disabled endpoint neither fans the new message out nor leases the delivery the 410 left pending.
        Assert.Equal(DeliveryState.Pending, (string?)Assert.Single(await Deliveries())["State"]);
        Assert.Single(_receiver.Requests);

        _receiver.Answer = _ => Results.Ok();
        await _http.PutAsJsonAsync($"/api/v1/transmit/webhooks/{_endpoint}", new { Url = _receiver.Url, Enabled = true }, TestContext.Current.CancellationToken);
        await WebhookTests.Until(() => _receiver.Requests.Count == 3, "both messages after re-enabling");
        Assert.Equal("Delivered", (string?)(await Delivery(id))["State"]);
    }

    [Fact]
    public async Task An_endpoint_failing_for_five_days_without_a_success_is_disabled_and_failures_can_be_recovered()
    {
        var start = _clock.GetUtcNow();
        _receiver.Answer = _ => Results.StatusCode(500);
        await _http.Put("/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee"}""");
        var first = await FirstDelivery();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        // One step of the clock per attempt seen, so that a slow dispatcher never lets more than the schedule's time pass.
        var seen = 0;
        for (var delivery = await Delivery(first); (string?)delivery["State"] != "Failed"; delivery = await Delivery(first))
        {
            Assert.True(DateTime.UtcNow < deadline, "the delivery was never dead-lettered");
            if (Attempts(delivery) > seen)
            {
                seen = Attempts(delivery);
                _clock.Advance(TimeSpan.FromHours(11));
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.True((bool)(await Endpoint())["Enabled"]!, "a dead letter alone does not disable the endpoint");
        // Five days from the first failure as recorded: on a busy machine that attempt may come after the clock's first steps.
        var failingSince = (DateTimeOffset)(await Endpoint())["FailingSince"]!;
        var wait = failingSince + TimeSpan.FromDays(5) + TimeSpan.FromMinutes(1) - _clock.GetUtcNow();
        _clock.Advance(wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
        await _http.Put("/api/v1/clients/EX2", """{"FirstName":"Bob","LastName":"Lee"}""");
        var endpoint = await UntilEndpoint(e => !(bool)e["Enabled"]!, "the endpoint to be disabled");

        Assert.Equal("No successful delivery for 5 days", (string?)endpoint["DisabledReason"]);

        // Back in service: recover everything that failed since the start.
        _receiver.Answer = _ => Results.Ok();
        await _http.PutAsJsonAsync($"/api/v1/transmit/webhooks/{_endpoint}", new { Url = _receiver.Url, Enabled = true }, TestContext.Current.CancellationToken);
        var recovered = await (await _http.PostAsJsonAsync($"/api/v1/transmit/webhooks/{_endpoint}/recover", new { Since = start.AddMinutes(-1) }, TestContext.Current.CancellationToken)).ReadObject();
        Assert.Equal(1, (int)recovered["Recovered"]!);
        await UntilDelivery(first, d => (string?)d["State"] == "Delivered", "the recovered dead letter");
        await WebhookTests.Until(() => _receiver.Requests.Any(r => r.Body.AsSpan().IndexOf("\"EX2\""u8) >= 0 && _receiver.Requests.Count > 9), "the second client's message");
    }

    /// <summary>An answer that asks the sender to come back later, as seconds or as an HTTP date.</summary>
    private sealed class RetryLater(int status, TimeSpan after, bool asDate, TimeProvider clock) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.Headers.RetryAfter = asDate
                ? (clock.GetUtcNow() + after).ToString("R", System.Globalization.CultureInfo.InvariantCulture)
                : ((int)after.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Task.CompletedTask;
        }
    }
}
