using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Caseline.Server.Operations;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Webhooks;

/// <summary>
/// Sends one leased delivery: signs it as Standard Webhooks says, posts it through the guarded HTTP client, and classifies
/// the answer by the retry policy (<see cref="RetrySchedule"/>, or the receiver's <c>Retry-After</c>). It touches no store:
/// no transaction is open while a request is.
/// </summary>
internal sealed class WebhookSender(IHttpClientFactory httpClients, TimeProvider clock, IOptions<WebhookOptions> options, CaselineTelemetry telemetry)
{
    public const string HttpClientName = "Caseline.Webhooks";

    private readonly HttpClient _client = httpClients.CreateClient(HttpClientName);

    public async Task<Outcome> SendAsync(Claimed delivery, CancellationToken ct)
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
        var (outcome, timedOut) = await AttemptAsync(delivery, ct);
        span?.SetTag("http.response.status_code", outcome.Status);
        if (outcome.Verdict != Verdict.Delivered)
        {
            span?.SetStatus(ActivityStatusCode.Error, outcome.Status is { } status ? status.ToString(CultureInfo.InvariantCulture) : "no answer");
        }

        telemetry.Attempted(outcome.Status, timedOut, clock.GetUtcNow() - delivery.CommittedAt);
        return outcome;
    }

    private async Task<(Outcome Outcome, bool TimedOut)> AttemptAsync(Claimed delivery, CancellationToken ct)
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
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            return (Classify(delivery, (int)response.StatusCode, RetryAfter(response), null, stopwatch.Elapsed.TotalMilliseconds), false);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return (Classify(delivery, null, null, $"No answer within {options.Value.Timeout.TotalSeconds:0} s", stopwatch.Elapsed.TotalMilliseconds), true);
        }
        catch (HttpRequestException e)
        {
            return (Classify(delivery, null, null, Describe(e), stopwatch.Elapsed.TotalMilliseconds), false);
        }
    }

    /// <summary>
    /// The retry policy: a 2xx is delivered, a 410 means the receiver is gone, anything else (or no answer) is tried again
    /// after the receiver's <c>Retry-After</c> or the schedule's next delay, until the schedule's last attempt (counted
    /// from the last time the delivery was put back by hand) fails too.
    /// </summary>
    private static Outcome Classify(Claimed delivery, int? status, TimeSpan? retryAfter, string? error, double latencyMs)
    {
        if (status is >= 200 and < 300)
        {
            return new Outcome(delivery, status, error, latencyMs, Verdict.Delivered);
        }

        if (status == StatusCodes.Status410Gone)
        {
            return new Outcome(delivery, status, error, latencyMs, Verdict.Gone);
        }

        var attempt = delivery.Attempts + 1 - delivery.AttemptBase;
        return attempt < RetrySchedule.MaxAttempts && (retryAfter ?? RetrySchedule.After(attempt, Random.Shared.NextDouble())) is { } delay
            ? new Outcome(delivery, status, error, latencyMs, Verdict.Retry, delay)
            : new Outcome(delivery, status, error, latencyMs, Verdict.DeadLetter);
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

    private static string Describe(HttpRequestException e) =>
        e.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => "The host name could not be resolved",
            HttpRequestError.ConnectionError => e.InnerException is null && e.Message.StartsWith("Refused", StringComparison.Ordinal) ? e.Message : "The connection failed",
            HttpRequestError.SecureConnectionError => "The TLS handshake failed",
            _ => e.Message.StartsWith("Refused", StringComparison.Ordinal) ? e.Message : "The request failed: " + e.HttpRequestError,
        };
}
