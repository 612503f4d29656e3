using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Caseline.Messages.Json;
using Caseline.Server.Log;
using Caseline.Server.Operations;
using Caseline.Server.Storage;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Webhooks;

/// <summary>
/// Delivers the log to webhook endpoints, at least once and in order per client.
/// <para>
/// The state lives in the database, as a state machine per delivery: <c>Pending</c> → <c>InFlight</c>
/// (leased) → <c>Delivered</c>, or <c>Retrying</c> on a schedule, or <c>Failed</c> (dead letter) after
/// the last attempt. Only the head of a stream (the earliest open delivery of an endpoint and client,
/// flagged <c>head</c>) is ever sent, so a client's next message waits for its previous one while other
/// clients proceed.
/// </para>
/// <para>
/// The dispatcher is a pipeline: each write unit (1) records the outcomes of the sends that finished
/// since the last one and promotes the next delivery of each finished stream to head, (2) fans new
/// messages out into deliveries for each enabled endpoint whose filter they match, and (3) leases due
/// heads for the free send slots and one more round of slots ahead. Sends run concurrently with the next
/// units; a finished send starts the next leased delivery in its slot and wakes the loop. A crash before (1) leaves leases that expire, and those deliveries are
/// sent again: at least once, never lost.
/// </para>
/// </summary>
internal sealed partial class WebhookDispatcher(
    WriteQueue writes,
    LogSignal log,
    TimeProvider clock,
    IHttpClientFactory httpClients,
    WebhookSecrets secrets,
    IOptions<WebhookOptions> options,
    ILogger<WebhookDispatcher> logger,
    CaselineTelemetry telemetry) : BackgroundService
{
    public const string HttpClientName = "Caseline.Webhooks";

    /// <summary>
    /// Messages fanned out per endpoint in one round. The same round leases the free slots, so a backlog is fanned
    /// out a little at a time beside the sends: at 5,000 a round took ~100 ms, the slots ran dry meanwhile, and a
    /// released backlog of 100,000 messages went out at 2,500 msg/s for its first two seconds (bench/README.md).
    /// </summary>
    private const int EnqueueBatch = 250;

    /// <summary>
    /// A delivery is open until it is finished: <c>state NOT IN {Finished}</c>, written exactly as in the
    /// <c>deliveries_open</c> index so that the index serves it.
    /// </summary>
    internal const string Finished = "('Delivered', 'Failed')";

    private readonly LogSignal _wake = new();
    private readonly LogSignal _answered = new();
    private readonly ConcurrentQueue<Outcome> _outcomes = new();
    private readonly ConcurrentQueue<Claimed> _ready = new();

    /// <summary>Deliveries this process has leased and not yet recorded an outcome for: handed back at shutdown.</summary>
    private readonly ConcurrentDictionary<long, long> _leased = new();
    private int _inFlight;
    private int _firstEndpoint;

    private long _lastRoundTicks;

    /// <summary>Look for work now (an endpoint changed, a delivery was queued again).</summary>
    public void Wake() => _wake.Pulse();

    /// <summary>When the loop last finished a round without failing (readiness reads it); null before the first.</summary>
    public DateTimeOffset? LastRoundAt => Volatile.Read(ref _lastRoundTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var client = httpClients.CreateClient(HttpClientName);
        while (!stoppingToken.IsCancellationRequested)
        {
            var outcomes = new List<Outcome>();
            try
            {
                var grown = log.Next;
                var woken = _wake.Next;
                var answered = _answered.Next;
                while (_outcomes.TryDequeue(out var outcome))
                {
                    outcomes.Add(outcome);
                }

                // Up to a second round of slots is leased ahead and waits in _ready: a finished send starts the next one
                // at once, instead of its slot sitting idle until this loop's next unit has committed a lease for it.
                var capacity = 2 * options.Value.MaxConcurrency - Volatile.Read(ref _inFlight) - _ready.Count;
                var (fannedOut, claimed) = await writes.RunAsync(scope =>
                {
                    // Reading what to fan out takes no locks; the streams both steps write are locked next, before any row
                    // is, so that no process waits for another while holding what that one waits for.
                    var fanOut = NewMessages(scope);
                    LockStreams(scope, outcomes, fanOut);
                    Record(scope, outcomes);
                    return (Enqueue(scope, fanOut), capacity > 0 ? Claim(scope, capacity) : []);
                }, stoppingToken);

                foreach (var outcome in outcomes)
                {
                    _leased.TryRemove(outcome.Delivery.Id, out _);
                }

                foreach (var delivery in claimed)
                {
                    _leased[delivery.Id] = delivery.LeaseToken;
                    _ready.Enqueue(delivery);
                }

                StartReady(client, stoppingToken);
                Volatile.Write(ref _lastRoundTicks, clock.GetUtcNow().UtcTicks);
                // A round that fanned messages out goes again at once even when the endpoints' filters wanted none of
                // them: the rest of a backlog must not wait for a signal or the poll interval, 250 messages at a time.
                if (outcomes.Count == 0 && fannedOut == 0 && claimed.Count == 0)
                {
                    await Task.WhenAny(grown, woken, answered, Task.Delay(options.Value.PollInterval, stoppingToken));
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Outcomes not recorded are not lost: their leases expire and the deliveries are sent again.
                LogRoundFailed(e);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    /// <summary>
    /// Stops the loop (sends in flight are cut off), records the answers already in, and hands every other lease
    /// back, so that a restarted process, or another one, sends those deliveries now rather than when the lease runs out.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        var outcomes = new List<Outcome>();
        while (_outcomes.TryDequeue(out var outcome))
        {
            outcomes.Add(outcome);
            _leased.TryRemove(outcome.Delivery.Id, out _);
        }

        var leased = _leased.Select(lease => (lease.Key, lease.Value)).ToList();
        if (outcomes.Count == 0 && leased.Count == 0)
        {
            return;
        }

        try
        {
            await writes.RunAsync(scope =>
            {
                Record(scope, outcomes);
                foreach (var (id, token) in leased)
                {
                    scope.Execute(
                        $"UPDATE deliveries SET state = CASE WHEN attempts = 0 THEN '{DeliveryState.Pending}' ELSE '{DeliveryState.Retrying}' END, lease_until = NULL, lease_token = NULL, next_attempt_at = @now WHERE id = @id AND state = '{DeliveryState.InFlight}' AND lease_token = @token",
                        ("@id", id), ("@token", token), ("@now", scope.Now.UtcTicks));
                }

                return true;
            }, cancellationToken);
            LogLeasesReleased(outcomes.Count, leased.Count);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Nothing is lost: the leases run out and the deliveries are sent again then.
            LogReleaseFailed(e);
        }
    }

    /// <summary>Starts leased deliveries from <see cref="_ready"/> while fewer than <see cref="WebhookOptions.MaxConcurrency"/> are in flight.</summary>
    private void StartReady(HttpClient client, CancellationToken ct)
    {
        while (true)
        {
            var inFlight = Volatile.Read(ref _inFlight);
            if (inFlight >= options.Value.MaxConcurrency)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _inFlight, inFlight + 1, inFlight) != inFlight)
            {
                continue;
            }

            if (!_ready.TryDequeue(out var delivery))
            {
                // Another caller may have seen this reserved slot as taken and left its delivery queued: look again.
                Interlocked.Decrement(ref _inFlight);
                if (_ready.IsEmpty)
                {
                    return;
                }

                continue;
            }

            // Sends start on the thread pool: signing and writing a request takes tens of microseconds, and neither
            // this loop's next round nor the answer that freed the slot should wait for hundreds of them.
            _ = Task.Run(() => SendAsync(client, delivery, ct), CancellationToken.None).ContinueWith(
                send =>
                {
                    if (send.IsCompletedSuccessfully)
                    {
                        _outcomes.Enqueue(send.Result);
                    }

                    Interlocked.Decrement(ref _inFlight);
                    StartReady(client, ct);
                    _answered.Pulse();
                },
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// The next messages (up to <see cref="EnqueueBatch"/>) of each enabled endpoint that has not fanned its agency's log
    /// out to its end; read without locks. Every position up to <c>last_position</c> is committed (positions are given in
    /// commit order), so no watermark is needed.
    /// </summary>
    private static List<FanOut> NewMessages(WriteScope scope)
    {
        var endpoints = new List<FanOut>();
        using (var reader = scope.Query(
            """
            SELECT e.id, e.agency_id, e.sub_types, e.enqueued_through
            FROM webhook_endpoints e JOIN agencies a ON a.id = e.agency_id
            WHERE e.enabled = 1 AND e.enqueued_through < a.last_position
            """))
        {
            while (reader.Read())
            {
                endpoints.Add(new FanOut(reader.GetString(0), reader.GetInt64(1), WebhookStore.ParseSubTypes(reader.NullableString(2)), reader.GetInt64(3)));
            }
        }

        foreach (var endpoint in endpoints)
        {
            using var reader = scope.Query(
                "SELECT position, client_id, sub_type FROM messages WHERE agency_id = @agency AND position > @through ORDER BY position LIMIT @limit",
                ("@agency", endpoint.Agency), ("@through", endpoint.Through), ("@limit", EnqueueBatch));
            while (reader.Read())
            {
                endpoint.Messages.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2)));
            }
        }

        return endpoints;
    }

    /// <summary>Locks the streams this round writes: those whose head it records an answer for, and those it appends to.</summary>
    private static void LockStreams(WriteScope scope, List<Outcome> outcomes, List<FanOut> fanOut)
    {
        if (!scope.Database.IsShared)
        {
            return;
        }

        var endpoints = new HashSet<string>(StringComparer.Ordinal);
        var streams = new HashSet<long>();
        foreach (var outcome in outcomes)
        {
            endpoints.Add(outcome.Delivery.EndpointId);
            streams.Add(StreamKey.Of(outcome.Delivery.EndpointId, outcome.Delivery.ClientId));
        }

        foreach (var endpoint in fanOut)
        {
            endpoints.Add(endpoint.Id);
            foreach (var (_, client, subType) in endpoint.Messages)
            {
                if (endpoint.Wants(subType))
                {
                    streams.Add(StreamKey.Of(endpoint.Id, client));
                }
            }
        }

        scope.Database.LockStreams(scope, endpoints, streams);
    }

    /// <summary>
    /// Creates a delivery for every new message each endpoint wants; returns how many messages it went through, wanted
    /// or not. An endpoint's fan-out cursor is claimed first, skipping it when another process holds it or moved it on
    /// since it was read: fan-out happens exactly once, wherever it happens.
    /// </summary>
    private static int Enqueue(WriteScope scope, List<FanOut> fanOut)
    {
        var fannedOut = 0;
        foreach (var endpoint in fanOut.Where(e => e.Messages.Count > 0))
        {
            var claimed = scope.Scalar<string>(
                "SELECT id FROM webhook_endpoints WHERE id = @id AND enabled = 1 AND enqueued_through = @through" + scope.Database.SkipLocked("webhook_endpoints"),
                ("@id", endpoint.Id), ("@through", endpoint.Through));
            if (claimed is null)
            {
                continue;
            }

            if (scope.Database.Arrays)
            {
                // One statement for the round. A delivery heads its stream when it is the stream's first in this round and
                // nothing else is open in it (rows inserted by the same statement are not visible to its own subquery).
                var wanted = endpoint.Messages.Where(m => endpoint.Wants(m.SubType)).ToList();
                scope.Execute(
                    $"""
                    INSERT INTO deliveries (endpoint_id, position, client_id, state, next_attempt_at, created_at, head)
                    SELECT @endpoint, m.position, m.client_id, 'Pending', @now, @now, CASE WHEN m.nth = 1 AND NOT EXISTS (
                        SELECT 1 FROM deliveries o WHERE o.endpoint_id = @endpoint AND o.client_id = m.client_id AND o.state NOT IN {Finished}) THEN 1 ELSE 0 END
                    FROM (SELECT u.position, u.client_id, row_number() OVER (PARTITION BY u.client_id ORDER BY u.position) AS nth
                          FROM unnest(@positions, @clients) AS u (position, client_id)) AS m
                    ON CONFLICT (endpoint_id, position) DO NOTHING
                    """, ("@endpoint", endpoint.Id), ("@now", scope.Now.UtcTicks),
                    ("@positions", wanted.Select(m => m.Position).ToArray()), ("@clients", wanted.Select(m => m.ClientId).ToArray()));
            }

            foreach (var (position, client, subType) in scope.Database.Arrays ? [] : endpoint.Messages)
            {
                if (endpoint.Wants(subType))
                {
                    // New positions are the highest, so the new delivery heads its stream exactly when nothing else is open in it.
                    scope.Execute(
                        $"""
                        INSERT INTO deliveries (endpoint_id, position, client_id, state, next_attempt_at, created_at, head)
                        VALUES (@endpoint, @position, @client, 'Pending', @now, @now, CASE WHEN EXISTS (
                            SELECT 1 FROM deliveries WHERE endpoint_id = @endpoint AND client_id = @client AND state NOT IN {Finished}) THEN 0 ELSE 1 END)
                        ON CONFLICT (endpoint_id, position) DO NOTHING
                        """, ("@endpoint", endpoint.Id), ("@position", position), ("@client", client), ("@now", scope.Now.UtcTicks));
                }
            }

            fannedOut += endpoint.Messages.Count;
            scope.Execute("UPDATE webhook_endpoints SET enqueued_through = @through WHERE id = @id", ("@through", endpoint.Messages[^1].Position), ("@id", endpoint.Id));
        }

        return fannedOut;
    }

    /// <summary>
    /// Leases up to <paramref name="capacity"/> due heads, shared between the enabled endpoints that have any;
    /// the endpoint served first moves on each time, so none waits behind the others for free slots.
    /// </summary>
    private List<Claimed> Claim(WriteScope scope, int capacity)
    {
        var now = scope.Now.UtcTicks;
        var endpoints = new List<string>();
        using (var reader = scope.Query(
            "SELECT e.id FROM webhook_endpoints e WHERE e.enabled = 1 AND EXISTS (SELECT 1 FROM deliveries d WHERE d.endpoint_id = e.id AND d.head = 1 AND d.next_attempt_at <= @now)",
            ("@now", now)))
        {
            while (reader.Read())
            {
                endpoints.Add(reader.GetString(0));
            }
        }

        var claimed = new List<Claimed>();
        var share = endpoints.Count == 0 ? 0 : Math.Max(1, capacity / endpoints.Count);
        var first = endpoints.Count == 0 ? 0 : _firstEndpoint % endpoints.Count;
        _firstEndpoint = first + 1;
        foreach (var endpoint in endpoints[first..].Concat(endpoints[..first]))
        {
            if (claimed.Count >= capacity)
            {
                break;
            }

            using var reader = scope.Query(
                """
                SELECT d.id, d.endpoint_id, d.attempts, d.attempt_base, e.url, e.secret, e.previous_secret, e.previous_secret_until, m.activity_id, m.body, m.occurred_on, m.trace, d.client_id
                FROM deliveries d
                JOIN webhook_endpoints e ON e.id = d.endpoint_id
                JOIN messages m ON m.agency_id = e.agency_id AND m.position = d.position
                WHERE d.endpoint_id = @endpoint AND d.head = 1 AND d.next_attempt_at <= @now
                ORDER BY d.next_attempt_at, d.position
                LIMIT @limit
                """ + scope.Database.SkipLocked("d"), ("@endpoint", endpoint), ("@now", now), ("@limit", Math.Min(share, capacity - claimed.Count)));
            while (reader.Read())
            {
                claimed.Add(Read(reader, scope.Now));
            }
        }

        // A leased delivery is next due when its lease ends: sent again then unless its outcome is recorded first. The
        // token fences this lease: an answer that comes back after the lease ran out, and another was taken, is not recorded.
        var until = (scope.Now + options.Value.Lease).UtcTicks;
        if (scope.Database.Arrays && claimed.Count > 0)
        {
            scope.Execute(
                "UPDATE deliveries d SET state = 'InFlight', lease_until = @until, next_attempt_at = @until, lease_token = l.token FROM unnest(@ids, @tokens) AS l (id, token) WHERE d.id = l.id",
                ("@until", until), ("@ids", claimed.Select(c => c.Id).ToArray()), ("@tokens", claimed.Select(c => c.LeaseToken).ToArray()));
            return claimed;
        }

        foreach (var delivery in claimed)
        {
            scope.Execute(
                "UPDATE deliveries SET state = 'InFlight', lease_until = @until, next_attempt_at = @until, lease_token = @token WHERE id = @id",
                ("@until", until), ("@token", delivery.LeaseToken), ("@id", delivery.Id));
        }

        return claimed;
    }

    private Claimed Read(DbDataReader reader, DateTimeOffset now)
    {
        var body = reader.Bytes(9);
        var keys = new List<byte[]> { secrets.Key(reader.GetString(5)) };
        if (!reader.IsDBNull(6) && reader.GetInt64(7) > now.UtcTicks)
        {
            keys.Add(secrets.Key(reader.GetString(6)));
        }

        var activityId = reader.NullableString(8) ?? MessageReader.Read(body).Activity.Identifier.ToString("D");
        return new Claimed(reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetString(4), [.. keys], activityId, body)
        {
            CommittedAt = new DateTimeOffset(reader.GetInt64(10), TimeSpan.Zero),
            Trace = reader.NullableString(11),
            ClientId = reader.GetString(12),
            LeaseToken = Random.Shared.NextInt64(1, long.MaxValue),
        };
    }

    private async Task<Outcome> SendAsync(HttpClient client, Claimed delivery, CancellationToken ct)
    {
        // A root span per attempt, linked to the write that appended the message (it may be hours older), for messages
        // whose write was recorded: a trace follows a sampled request to its deliveries, and an unsampled one costs no
        // span at all (a span per attempt cost 7% of the delivery rate; bench/README.md). This send runs in its own
        // flow: clearing the current span makes the new one a root, not a child of whatever ran before.
        Activity.Current = null;
        using var span = ActivityContext.TryParse(delivery.Trace, null, out var written)
            ? CaselineTelemetry.Source.StartActivity(
                "caseline.webhook.deliver", ActivityKind.Producer, default(ActivityContext),
                [new("caseline.endpoint", delivery.EndpointId), new("caseline.delivery.attempt", delivery.Attempts + 1)], [new ActivityLink(written)])
            : null;
        var outcome = await AttemptAsync(client, delivery, ct);
        span?.SetTag("http.response.status_code", outcome.Status);
        if (outcome.Status is not (>= 200 and < 300))
        {
            span?.SetStatus(ActivityStatusCode.Error, outcome.Status is { } status ? status.ToString(CultureInfo.InvariantCulture) : "no answer");
        }

        telemetry.Attempted(outcome.Status, outcome.TimedOut, clock.GetUtcNow() - delivery.CommittedAt);
        return outcome;
    }

    private async Task<Outcome> AttemptAsync(HttpClient client, Claimed delivery, CancellationToken ct)
    {
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url)
        {
            Content = new ByteArrayContent(delivery.Body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } } },
        };
        request.Headers.TryAddWithoutValidation("webhook-id", delivery.ActivityId);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", Caseline.Messages.WebhookSignature.Sign(delivery.ActivityId, timestamp, delivery.Body, [.. delivery.Keys]));

        var stopwatch = Stopwatch.StartNew();
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            return new Outcome(delivery, (int)response.StatusCode, RetryAfter(response), null, stopwatch.Elapsed.TotalMilliseconds);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new Outcome(delivery, null, null, $"No answer within {options.Value.Timeout.TotalSeconds:0} s", stopwatch.Elapsed.TotalMilliseconds) { TimedOut = true };
        }
        catch (HttpRequestException e)
        {
            return new Outcome(delivery, null, null, Describe(e), stopwatch.Elapsed.TotalMilliseconds);
        }
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable) || response.Headers.RetryAfter is not { } header)
        {
            return null;
        }

        var delay = header.Delta ?? (header.Date is { } date ? date - clock.GetUtcNow() : TimeSpan.Zero);
        return TimeSpan.FromTicks(Math.Clamp(delay.Ticks, TimeSpan.TicksPerSecond, RetrySchedule.Delays[^1].Ticks));
    }

    private static void Record(WriteScope scope, List<Outcome> outcomes)
    {
        var now = scope.Now;
        var succeeded = new SortedSet<string>(StringComparer.Ordinal);
        var bulk = scope.Database.Arrays ? outcomes.Where(o => o.Status is >= 200 and < 300).ToList() : [];
        if (bulk.Count > 0)
        {
            succeeded.UnionWith(RecordDelivered(scope, bulk));
        }

        // In endpoint order: processes that record answers at once then update endpoint rows in one order, never crosswise.
        foreach (var outcome in outcomes.Except(bulk).OrderBy(o => o.Delivery.EndpointId, StringComparer.Ordinal))
        {
            var delivery = outcome.Delivery;
            var attempt = delivery.Attempts + 1;
            if (outcome.Status is >= 200 and < 300)
            {
                if (Update(scope, delivery, attempt, DeliveryState.Delivered, outcome, next: null, finished: now))
                {
                    succeeded.Add(delivery.EndpointId);
                }

                continue;
            }

            if (outcome.Status == StatusCodes.Status410Gone)
            {
                // The receiver says it is gone for good: stop sending; this delivery waits for the endpoint to be enabled again.
                if (Update(scope, delivery, attempt, DeliveryState.Pending, outcome, next: now, finished: null))
                {
                    Disable(scope, delivery.EndpointId, "The endpoint answered 410 Gone");
                }

                continue;
            }

            var delay = attempt - delivery.AttemptBase >= RetrySchedule.MaxAttempts
                ? null
                : outcome.RetryAfter ?? RetrySchedule.After(attempt - delivery.AttemptBase, Random.Shared.NextDouble());
            var recorded = delay is { } wait
                ? Update(scope, delivery, attempt, DeliveryState.Retrying, outcome, next: now + wait, finished: null)
                : Update(scope, delivery, attempt, DeliveryState.Failed, outcome, next: now, finished: now);
            if (!recorded)
            {
                continue;
            }

            scope.Execute(
                "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, @now) WHERE id = @id",
                ("@now", now.UtcTicks), ("@id", delivery.EndpointId));
            var failingSince = scope.Scalar<long?>("SELECT failing_since FROM webhook_endpoints WHERE id = @id", ("@id", delivery.EndpointId));
            if (failingSince is { } since && now - new DateTimeOffset(since, TimeSpan.Zero) >= RetrySchedule.DisableAfter)
            {
                Disable(scope, delivery.EndpointId, "No successful delivery for 5 days");
            }
        }

        foreach (var endpoint in succeeded)
        {
            scope.Execute("UPDATE webhook_endpoints SET last_success_at = @now, failing_since = NULL WHERE id = @id", ("@now", now.UtcTicks), ("@id", endpoint));
        }
    }

    /// <summary>
    /// Records a round's successful answers with three statements (where statements take arrays): each delivery still
    /// under the same lease becomes Delivered with its attempt, and each stream it headed hands its head on. Returns the
    /// endpoints that had a success recorded.
    /// </summary>
    private static IEnumerable<string> RecordDelivered(WriteScope scope, List<Outcome> delivered)
    {
        var now = scope.Now.UtcTicks;
        var recorded = new HashSet<long>();
        using (var reader = scope.Query(
            """
            UPDATE deliveries d SET state = 'Delivered', attempts = a.attempt, last_status = a.status, last_error = NULL, lease_until = NULL,
                finished_at = @now, head = 0, lease_token = NULL
            FROM unnest(@ids, @tokens, @attempts, @statuses) AS a (id, token, attempt, status)
            WHERE d.id = a.id AND d.state = 'InFlight' AND d.lease_token = a.token
            RETURNING d.id
            """, ("@now", now), ("@ids", delivered.Select(o => o.Delivery.Id).ToArray()), ("@tokens", delivered.Select(o => o.Delivery.LeaseToken).ToArray()),
            ("@attempts", delivered.Select(o => o.Delivery.Attempts + 1).ToArray()), ("@statuses", delivered.Select(o => o.Status!.Value).ToArray())))
        {
            while (reader.Read())
            {
                recorded.Add(reader.GetInt64(0));
            }
        }

        var done = delivered.Where(o => recorded.Contains(o.Delivery.Id)).ToList();
        if (done.Count == 0)
        {
            return [];
        }

        scope.Execute(
            """
            INSERT INTO delivery_attempts (delivery_id, attempt, at, status_code, latency_ms, error)
            SELECT a.id, a.attempt, @now, a.status, a.latency, NULL FROM unnest(@ids, @attempts, @statuses, @latencies) AS a (id, attempt, status, latency)
            """, ("@now", now), ("@ids", done.Select(o => o.Delivery.Id).ToArray()), ("@attempts", done.Select(o => o.Delivery.Attempts + 1).ToArray()),
            ("@statuses", done.Select(o => o.Status!.Value).ToArray()), ("@latencies", done.Select(o => o.LatencyMs).ToArray()));
        scope.Execute(
            $"""
            UPDATE deliveries SET head = 1 WHERE id IN (
                SELECT (SELECT n.id FROM deliveries n WHERE n.endpoint_id = d.endpoint_id AND n.client_id = d.client_id AND n.state NOT IN {Finished} ORDER BY n.position LIMIT 1)
                FROM unnest(@ids) AS f (id) JOIN deliveries d ON d.id = f.id)
            """, ("@ids", done.Select(o => o.Delivery.Id).ToArray()));
        return done.Select(o => o.Delivery.EndpointId).Distinct(StringComparer.Ordinal);
    }

    /// <summary>
    /// Records one attempt and the delivery's new state; false (nothing written) when the delivery is no
    /// longer leased, as when a late answer arrives after its lease ran out and another attempt was recorded.
    /// A delivery that is done hands the head of its stream to the stream's earliest open delivery.
    /// </summary>
    private static bool Update(WriteScope scope, Claimed delivery, int attempt, string state, Outcome outcome, DateTimeOffset? next, DateTimeOffset? finished)
    {
        var done = finished is not null;
        var updated = scope.Execute(
            """
            UPDATE deliveries SET state = @state, attempts = @attempt, last_status = @status, last_error = @error, lease_until = NULL,
                next_attempt_at = COALESCE(@next, next_attempt_at), finished_at = @finished, head = @head, lease_token = NULL
            WHERE id = @id AND state = 'InFlight' AND lease_token = @token
            """, ("@id", delivery.Id), ("@token", delivery.LeaseToken), ("@state", state), ("@attempt", attempt), ("@status", outcome.Status), ("@error", outcome.Error),
            ("@next", next?.UtcTicks), ("@finished", finished?.UtcTicks), ("@head", done ? 0 : 1));
        if (updated == 0)
        {
            return false;
        }

        scope.Execute(
            "INSERT INTO delivery_attempts (delivery_id, attempt, at, status_code, latency_ms, error) VALUES (@id, @attempt, @at, @status, @latency, @error)",
            ("@id", delivery.Id), ("@attempt", attempt), ("@at", scope.Now.UtcTicks), ("@status", outcome.Status), ("@latency", outcome.LatencyMs), ("@error", outcome.Error));
        if (done)
        {
            scope.Execute(
                $"""
                UPDATE deliveries SET head = 1 WHERE id = (
                    SELECT n.id FROM deliveries d JOIN deliveries n ON n.endpoint_id = d.endpoint_id AND n.client_id = d.client_id AND n.state NOT IN {Finished}
                    WHERE d.id = @id ORDER BY n.position LIMIT 1)
                """, ("@id", delivery.Id));
        }

        return true;
    }

    /// <summary>Sets every head flag of an endpoint afresh, after failed deliveries were put back in their streams.</summary>
    public static void RecomputeHeads(WriteScope scope, string endpointId) =>
        scope.Execute(
            $"""
            UPDATE deliveries SET head = CASE WHEN state NOT IN {Finished} AND NOT EXISTS (
                    SELECT 1 FROM deliveries p
                    WHERE p.endpoint_id = deliveries.endpoint_id AND p.client_id = deliveries.client_id AND p.position < deliveries.position AND p.state NOT IN {Finished})
                THEN 1 ELSE 0 END
            WHERE endpoint_id = @endpoint AND (head = 1 OR state NOT IN {Finished})
            """, ("@endpoint", endpointId));

    private static void Disable(WriteScope scope, string endpointId, string reason) =>
        scope.Execute(
            "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = @reason, updated_at = @now WHERE id = @id AND enabled = 1",
            ("@id", endpointId), ("@reason", reason), ("@now", scope.Now.UtcTicks));

    private static string Describe(HttpRequestException e) =>
        e.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => "The host name could not be resolved",
            HttpRequestError.ConnectionError => e.InnerException is null && e.Message.StartsWith("Refused", StringComparison.Ordinal) ? e.Message : "The connection failed",
            HttpRequestError.SecureConnectionError => "The TLS handshake failed",
            _ => e.Message.StartsWith("Refused", StringComparison.Ordinal) ? e.Message : "The request failed: " + e.HttpRequestError,
        };

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Stopping: recorded {Answers} answers already in and handed {Leases} leased deliveries back")]
    private partial void LogLeasesReleased(int answers, int leases);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Stopping: the leased deliveries could not be handed back; they are sent again when their leases run out")]
    private partial void LogReleaseFailed(Exception exception);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Error, Message = "A webhook dispatch round failed; it will run again")]
    private partial void LogRoundFailed(Exception exception);

    /// <summary>An endpoint behind its agency's log, and the next messages it has not fanned out.</summary>
    private sealed record FanOut(string Id, long Agency, IReadOnlyList<string>? SubTypes, long Through)
    {
        public List<(long Position, string ClientId, string SubType)> Messages { get; } = [];

        public bool Wants(string subType) => SubTypes is null || SubTypes.Contains(subType, StringComparer.Ordinal);
    }

    private sealed record Claimed(long Id, string EndpointId, int Attempts, int AttemptBase, string Url, byte[][] Keys, string ActivityId, byte[] Body)
    {
        /// <summary>The client whose stream the delivery heads.</summary>
        public string ClientId { get; init; } = "";

        /// <summary>This lease's fence: the outcome is recorded only while the delivery still carries it.</summary>
        public long LeaseToken { get; init; }

        /// <summary>When the message was committed: delivery latency is measured from here.</summary>
        public DateTimeOffset CommittedAt { get; init; }

        /// <summary>The write span the message was appended in, when tracing was on.</summary>
        public string? Trace { get; init; }
    }

    private sealed record Outcome(Claimed Delivery, int? Status, TimeSpan? RetryAfter, string? Error, double LatencyMs)
    {
        public bool TimedOut { get; init; }
    }
}
