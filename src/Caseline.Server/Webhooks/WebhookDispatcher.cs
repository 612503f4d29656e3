using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Caseline.Messages.Json;
using Caseline.Server.Storage;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Webhooks;

/// <summary>
/// Delivers the log to webhook endpoints, at least once and in order per client.
/// <para>
/// The state lives in the database, as a state machine per delivery: <c>Pending</c> → <c>InFlight</c>
/// (leased) → <c>Delivered</c>, or <c>Retrying</c> on a schedule, or <c>Failed</c> (dead letter) after
/// the last attempt. A round: (1) fan new messages out into deliveries for each enabled endpoint whose
/// filter they match; (2) lease the deliveries that are due and at the head of their client's stream
/// (no earlier open delivery for the same endpoint and client), so a client's next message waits for
/// its previous one while other clients proceed; (3) send them in parallel; (4) record every attempt
/// and its outcome, in the same write unit as the next round's (1) and (2). A crash before (4) leaves
/// leases that expire, and those deliveries are sent again: at least once, never lost.
/// </para>
/// </summary>
internal sealed partial class WebhookDispatcher(
    WriteQueue writes,
    LogSignal log,
    TimeProvider clock,
    IHttpClientFactory httpClients,
    WebhookSecrets secrets,
    IOptions<WebhookOptions> options,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    public const string HttpClientName = "Caseline.Webhooks";

    private const int EnqueueBatch = 5_000;

    private readonly LogSignal _wake = new();

    /// <summary>Look for work now (an endpoint changed, a delivery was queued again).</summary>
    public void Wake() => _wake.Pulse();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var client = httpClients.CreateClient(HttpClientName);
        Outcome[] outcomes = [];
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var grown = log.Next;
                var woken = _wake.Next;

                // One write unit a round: record the last round's outcomes, fan out new messages, lease the next
                // heads of streams. A round then costs one commit, which is what bounds delivery latency.
                var previous = outcomes;
                var (enqueued, claimed) = await writes.RunAsync(scope =>
                {
                    Record(scope, previous);
                    return (Enqueue(scope), Claim(scope));
                }, stoppingToken);
                outcomes = await Task.WhenAll(claimed.Select(delivery => SendAsync(client, delivery, stoppingToken)));
                if (enqueued == 0 && claimed.Count == 0)
                {
                    await Task.WhenAny(grown, woken, Task.Delay(options.Value.PollInterval, stoppingToken));
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Outcomes not recorded are not lost: their leases expire and the deliveries are sent again.
                outcomes = [];
                LogRoundFailed(e);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    /// <summary>Creates a delivery for every new message each enabled endpoint wants; returns how many.</summary>
    private static int Enqueue(WriteScope scope)
    {
        var endpoints = new List<(string Id, long Agency, IReadOnlyList<string>? SubTypes, long Through, long Last)>();
        using (var reader = scope.Query(
            """
            SELECT e.id, e.agency_id, e.sub_types, e.enqueued_through, a.last_position
            FROM webhook_endpoints e JOIN agencies a ON a.id = e.agency_id
            WHERE e.enabled = 1 AND e.enqueued_through < a.last_position
            """))
        {
            while (reader.Read())
            {
                endpoints.Add((reader.GetString(0), reader.GetInt64(1), WebhookStore.ParseSubTypes(reader.NullableString(2)), reader.GetInt64(3), reader.GetInt64(4)));
            }
        }

        var created = 0;
        foreach (var endpoint in endpoints)
        {
            // Inside the writer every position up to last_position is committed, so no watermark is needed here.
            var through = endpoint.Through;
            var considered = 0;
            using (var reader = scope.Query(
                "SELECT position, client_id, sub_type FROM messages WHERE agency_id = @agency AND position > @through ORDER BY position LIMIT @limit",
                ("@agency", endpoint.Agency), ("@through", endpoint.Through), ("@limit", EnqueueBatch)))
            {
                while (reader.Read())
                {
                    considered++;
                    through = reader.GetInt64(0);
                    if (endpoint.SubTypes is null || endpoint.SubTypes.Contains(reader.GetString(2), StringComparer.Ordinal))
                    {
                        created += scope.Execute(
                            """
                            INSERT INTO deliveries (endpoint_id, position, client_id, state, next_attempt_at, created_at)
                            VALUES (@endpoint, @position, @client, 'Pending', @now, @now) ON CONFLICT (endpoint_id, position) DO NOTHING
                            """, ("@endpoint", endpoint.Id), ("@position", through), ("@client", reader.GetString(1)), ("@now", scope.Now.UtcTicks));
                    }
                }
            }

            if (considered > 0)
            {
                scope.Execute(
                    "UPDATE webhook_endpoints SET enqueued_through = @through WHERE id = @id", ("@through", through), ("@id", endpoint.Id));
            }
        }

        return created;
    }

    private List<Claimed> Claim(WriteScope scope)
    {
        var now = scope.Now.UtcTicks;
        var claimed = new List<Claimed>();
        using (var reader = scope.Query(
            """
            SELECT d.id, d.endpoint_id, d.attempts, d.attempt_base, e.url, e.secret, e.previous_secret, e.previous_secret_until, m.activity_id, m.body
            FROM deliveries d
            JOIN webhook_endpoints e ON e.id = d.endpoint_id
            JOIN messages m ON m.agency_id = e.agency_id AND m.position = d.position
            WHERE d.state IN ('Pending', 'Retrying', 'InFlight') AND d.next_attempt_at <= @now AND e.enabled = 1
              AND (d.state <> 'InFlight' OR d.lease_until <= @now)
              AND NOT EXISTS (
                  SELECT 1 FROM deliveries p
                  WHERE p.endpoint_id = d.endpoint_id AND p.client_id = d.client_id AND p.position < d.position
                    AND p.state IN ('Pending', 'Retrying', 'InFlight'))
            ORDER BY d.next_attempt_at, d.position
            LIMIT @limit
            """, ("@now", now), ("@limit", options.Value.MaxConcurrency)))
        {
            while (reader.Read())
            {
                claimed.Add(Read(reader, scope.Now));
            }
        }

        var until = (scope.Now + options.Value.Lease).UtcTicks;
        foreach (var delivery in claimed)
        {
            scope.Execute("UPDATE deliveries SET state = 'InFlight', lease_until = @until WHERE id = @id", ("@until", until), ("@id", delivery.Id));
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
        return new Claimed(reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetString(4), [.. keys], activityId, body);
    }

    private async Task<Outcome> SendAsync(HttpClient client, Claimed delivery, CancellationToken ct)
    {
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url)
        {
            Content = new ByteArrayContent(delivery.Body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } } },
        };
        request.Headers.TryAddWithoutValidation("webhook-id", delivery.ActivityId);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", WebhookSecrets.Sign(delivery.ActivityId, timestamp, delivery.Body, [.. delivery.Keys]));

        var stopwatch = Stopwatch.StartNew();
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            return new Outcome(delivery, (int)response.StatusCode, RetryAfter(response), null, stopwatch.Elapsed.TotalMilliseconds);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new Outcome(delivery, null, null, $"No answer within {options.Value.Timeout.TotalSeconds:0} s", stopwatch.Elapsed.TotalMilliseconds);
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

    private static void Record(WriteScope scope, Outcome[] outcomes)
    {
        var now = scope.Now;
        foreach (var outcome in outcomes)
        {
            var delivery = outcome.Delivery;
            var attempt = delivery.Attempts + 1;
            scope.Execute(
                "INSERT INTO delivery_attempts (delivery_id, attempt, at, status_code, latency_ms, error) VALUES (@id, @attempt, @at, @status, @latency, @error)",
                ("@id", delivery.Id), ("@attempt", attempt), ("@at", now.UtcTicks), ("@status", outcome.Status), ("@latency", outcome.LatencyMs), ("@error", outcome.Error));

            if (outcome.Status is >= 200 and < 300)
            {
                Update(scope, delivery, attempt, DeliveryState.Delivered, outcome, next: null, finished: now);
                scope.Execute(
                    "UPDATE webhook_endpoints SET last_success_at = @now, failing_since = NULL WHERE id = @id",
                    ("@now", now.UtcTicks), ("@id", delivery.EndpointId));
                continue;
            }

            if (outcome.Status == StatusCodes.Status410Gone)
            {
                // The receiver says it is gone for good: stop sending; this delivery waits for the endpoint to be enabled again.
                Update(scope, delivery, attempt, DeliveryState.Pending, outcome, next: now, finished: null);
                Disable(scope, delivery.EndpointId, "The endpoint answered 410 Gone");
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

            var delay = attempt - delivery.AttemptBase >= RetrySchedule.MaxAttempts
                ? null
                : outcome.RetryAfter ?? RetrySchedule.After(attempt - delivery.AttemptBase, Random.Shared.NextDouble());
            if (delay is { } wait)
            {
                Update(scope, delivery, attempt, DeliveryState.Retrying, outcome, next: now + wait, finished: null);
            }
            else
            {
                Update(scope, delivery, attempt, DeliveryState.Failed, outcome, next: now, finished: now);
            }
        }
    }

    private static void Update(WriteScope scope, Claimed delivery, int attempt, string state, Outcome outcome, DateTimeOffset? next, DateTimeOffset? finished) =>
        scope.Execute(
            """
            UPDATE deliveries SET state = @state, attempts = @attempt, last_status = @status, last_error = @error, lease_until = NULL,
                next_attempt_at = COALESCE(@next, next_attempt_at), finished_at = @finished
            WHERE id = @id
            """, ("@id", delivery.Id), ("@state", state), ("@attempt", attempt), ("@status", outcome.Status), ("@error", outcome.Error),
            ("@next", next?.UtcTicks), ("@finished", finished?.UtcTicks));

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

    [LoggerMessage(EventId = 4001, Level = LogLevel.Error, Message = "A webhook dispatch round failed; it will run again")]
    private partial void LogRoundFailed(Exception exception);

    private sealed record Claimed(long Id, string EndpointId, int Attempts, int AttemptBase, string Url, byte[][] Keys, string ActivityId, byte[] Body);

    private sealed record Outcome(Claimed Delivery, int? Status, TimeSpan? RetryAfter, string? Error, double LatencyMs);
}
