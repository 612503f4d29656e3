using System.Collections.Concurrent;
using System.Net;
using Caseline.Server.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Caseline.Server.Tests;

/// <summary>
/// A receiver that misbehaves in every way a real one does, on a clock the test moves: after it recovers,
/// every message has been taken exactly once (one 2xx each) and each client's messages in order.
/// </summary>
public sealed class WebhookFaultTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private CaselineServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _server = CaselineServer.With(
            new Dictionary<string, string> { ["Caseline:Identity:AccessTokenLifetime"] = "30.00:00:00", ["Caseline:Webhooks:Timeout"] = "00:00:01",
                // Leases outlive the hours this clock jumps while a slow answer is awaited, so every attempt is the one recorded.
                ["Caseline:Webhooks:Lease"] = "2.00:00:00" },
            s => s.AddSingleton<TimeProvider>(_clock));
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    /// <summary>How a fault answers: it never says 2xx.</summary>
    private sealed class Fault(Func<HttpContext, Task> answer) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => answer(httpContext);
    }

    [Fact]
    public async Task After_every_kind_of_fault_each_message_is_taken_once_and_each_client_s_in_order()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var elsewhere = await WebhookReceiver.StartAsync();
        var faults = new Func<HttpContext, Task>[]
        {
            async c => { await Task.Delay(TimeSpan.FromSeconds(2)); c.Response.StatusCode = 500; }, // beyond the 1 s timeout
            c => { c.Abort(); return Task.CompletedTask; }, // the connection reset before any answer
            c => { c.Response.StatusCode = 500; return Task.CompletedTask; },
            c => { c.Response.StatusCode = 429; c.Response.Headers.RetryAfter = "60"; return Task.CompletedTask; },
            c => { c.Response.StatusCode = 502; return Task.CompletedTask; },
            c =>
            {
                c.Response.StatusCode = 503;
                c.Response.Headers.RetryAfter = (_clock.GetUtcNow() + TimeSpan.FromSeconds(90)).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
                return Task.CompletedTask;
            },
            c => { c.Response.StatusCode = 307; c.Response.Headers.Location = elsewhere.Url; return Task.CompletedTask; }, // not to be followed
        };
        var served = 0;
        var taken = new ConcurrentQueue<string>();
        receiver.Answer = request =>
        {
            var n = Interlocked.Increment(ref served) - 1;
            if (n < 3 * faults.Length)
            {
                return new Fault(faults[n % faults.Length]);
            }

            taken.Enqueue(request.Id);
            return Results.NoContent();
        };
        using var http = await _server.ForAsync("fault-agency");
        var endpoint = (string)(await WebhookTests.Register(http, receiver.Url))["Id"]!;
        for (var c = 0; c < 4; c++)
        {
            await http.Put($"/api/v1/clients/F{c}", """{"FirstName":"Ann","LastName":"Lee"}""");
            await http.Put($"/api/v1/clients/F{c}/addresses/H", """{"AddressType":"Home","Address":"1 Main St"}""");
            await http.Put($"/api/v1/clients/F{c}/contacts/M", """{"ContactType":"MobilePhone","Contact":"555-0100"}""");
        }

        var log = _server.Log("fault-agency");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (_server.Count($"SELECT COUNT(*) FROM deliveries WHERE endpoint_id = '{endpoint}' AND state = 'Delivered'") < log.Count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{taken.Count} of {log.Count} taken");
            Assert.Equal(0, _server.Count($"SELECT COUNT(*) FROM deliveries WHERE endpoint_id = '{endpoint}' AND state = 'Failed'"));
            _clock.Advance(TimeSpan.FromMinutes(10));
            await Task.Delay(100, Ct);
        }

        var ids = log.ToDictionary(m => m.Message.Activity.Identifier.ToString("D"), m => (m.Position, m.ClientId));
        Assert.Equal(ids.Keys.Order(StringComparer.Ordinal), taken.Order(StringComparer.Ordinal)); // each once
        foreach (var client in taken.Select(id => ids[id]).GroupBy(m => m.ClientId))
        {
            Assert.Equal(client.Select(m => m.Position).Order(), client.Select(m => m.Position));
        }

        // A client's next message was never sent while an earlier one was still to be taken.
        foreach (var client in receiver.Requests.Select(r => ids[r.Id]).GroupBy(m => m.ClientId))
        {
            var positions = client.Select(m => m.Position).ToList();
            Assert.Equal(positions.Order(), positions);
        }

        Assert.Empty(elsewhere.Requests);
        var attempts = _server.Count($"SELECT COUNT(*) FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.endpoint_id = '{endpoint}'");
        Assert.Equal(receiver.Requests.Count, attempts);
        Assert.True(_server.Count($"SELECT COUNT(*) FROM delivery_attempts WHERE status_code = 307") >= 3);
        Assert.True(_server.Count($"SELECT COUNT(*) FROM delivery_attempts WHERE status_code IS NULL AND error LIKE 'No answer within%'") >= 3);
        Assert.True(_server.Count($"SELECT COUNT(*) FROM delivery_attempts WHERE status_code IS NULL AND error NOT LIKE 'No answer within%'") >= 3);
        Assert.DoesNotContain(_server.Logs, l => l.Contains("dispatch round failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_endpoint_deleted_while_its_deliveries_are_in_flight_stops_cleanly_and_the_dispatcher_goes_on()
    {
        await using var slow = await WebhookReceiver.StartAsync();
        await using var next = await WebhookReceiver.StartAsync();
        var arrived = new SemaphoreSlim(0);
        // Every answer waits until the endpoint is deleted: then what was sent is exactly what was in flight at the
        // deletion (one head per client at most), however slow the machine.
        var deleted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        slow.Answer = _ =>
        {
            arrived.Release();
            return new Fault(async c =>
            {
                await deleted.Task;
                c.Response.StatusCode = 204;
            });
        };
        using var http = await _server.ForAsync("deleted-agency");
        var endpoint = (string)(await WebhookTests.Register(http, slow.Url))["Id"]!;
        for (var c = 0; c < 3; c++)
        {
            await http.Put($"/api/v1/clients/D{c}", """{"FirstName":"Ann","LastName":"Lee","Email":"a@b.co"}""");
        }

        Assert.True(await arrived.WaitAsync(TimeSpan.FromSeconds(20), Ct), "a delivery in flight");
        Assert.Equal(HttpStatusCode.NoContent, (await http.Delete($"/api/v1/transmit/webhooks/{endpoint}")).StatusCode);
        var inFlight = slow.Requests.Count;
        deleted.SetResult();
        // The answers in flight come back to a deleted endpoint, and the next round finds nothing to record them against.
        var dispatcher = _server.Services.GetRequiredService<WebhookDispatcher>();
        await WebhookTests.Until(() => dispatcher.Sending == 0, "the answers in flight");
        await WebhookTests.Round(_server);
        // An hour later, past any retry, a round finds nothing of the endpoint's to lease.
        _clock.Advance(TimeSpan.FromHours(1));
        await WebhookTests.Round(_server);

        Assert.Equal(0, dispatcher.Sending);
        Assert.InRange(slow.Requests.Count, inFlight, 3);
        Assert.Equal(0, _server.Count($"SELECT COUNT(*) FROM deliveries WHERE endpoint_id = '{endpoint}'"));
        Assert.Equal(0, _server.Count($"SELECT COUNT(*) FROM delivery_attempts WHERE delivery_id NOT IN (SELECT id FROM deliveries)"));
        Assert.DoesNotContain(_server.Logs, l => l.Contains("dispatch round failed", StringComparison.Ordinal));

        await WebhookTests.Register(http, next.Url);
        await http.Put("/api/v1/clients/D9", """{"FirstName":"Bo","LastName":"Ray"}""");
        await WebhookTests.Until(() => next.Requests.Count == 1, "the next endpoint's delivery");
        Assert.Equal(HttpStatusCode.OK, (await _server.CreateClient().GetAsync("/health/ready", Ct)).StatusCode);
    }
}
