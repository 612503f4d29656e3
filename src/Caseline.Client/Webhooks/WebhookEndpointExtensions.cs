using Caseline.Messages;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Caseline.Client.Webhooks;

/// <summary>Settings of a webhook receiver endpoint.</summary>
public sealed class CaselineWebhookOptions
{
    /// <summary>The endpoint's signing secrets (<c>whsec_…</c>); during a rotation give the new one and the old one.</summary>
    public IList<string> Secrets { get; } = [];

    /// <summary>How far a delivery's timestamp may be from now (default 5 minutes).</summary>
    public TimeSpan Tolerance { get; set; } = CaselineWebhook.DefaultTolerance;

    /// <summary>The largest body accepted (default 1 MiB; a Caseline message is a few kilobytes).</summary>
    public long MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Where handled delivery ids are remembered, so a redelivery is answered without running the handler again (default: in memory, the last 100,000 for 24 hours).</summary>
    public IWebhookDeduplicator? Deduplicator { get; set; }

    /// <summary>The clock timestamps are checked against (default the system's).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}

/// <summary>Maps a Caseline webhook receiver into an ASP.NET Core app.</summary>
public static class WebhookEndpointExtensions
{
    /// <summary>
    /// Receives Caseline's webhook deliveries at <paramref name="pattern"/>: verifies each signature, skips a
    /// delivery whose id was already handled, and calls <paramref name="handler"/>. The answers tell Caseline's
    /// retry schedule what to do: 2xx handled (or already handled); 401 not verified and 400 not a message
    /// (both retried by Caseline, so a secret fixed in time still gets the delivery); 500 the handler failed
    /// (retried later).
    /// </summary>
    public static RouteHandlerBuilder MapCaselineWebhook(
        this IEndpointRouteBuilder endpoints, string pattern, Func<WebhookMessage, CancellationToken, Task> handler, Action<CaselineWebhookOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(handler);
        var options = new CaselineWebhookOptions();
        configure?.Invoke(options);
        if (options.Secrets.Count == 0)
        {
            throw new ArgumentException("A webhook receiver needs at least one signing secret.", nameof(configure));
        }

        var deduplicator = options.Deduplicator ?? new MemoryWebhookDeduplicator(100_000, TimeSpan.FromHours(24), options.TimeProvider);
        var logger = endpoints.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("Caseline.Client.Webhooks");
        return endpoints.MapPost(pattern, (Delegate)((HttpContext context) => ReceiveAsync(context, handler, options, deduplicator, logger))).ExcludeFromDescription();
    }

    private static async Task<IResult> ReceiveAsync(
        HttpContext context, Func<WebhookMessage, CancellationToken, Task> handler, CaselineWebhookOptions options, IWebhookDeduplicator deduplicator, ILogger logger)
    {
        var ct = context.RequestAborted;
        if (context.Request.ContentLength > options.MaxBodyBytes)
        {
            return Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "The body is too large.");
        }

        byte[] body;
        using (var buffer = new MemoryStream())
        {
            var read = 0L;
            var chunk = new byte[16 * 1024];
            int n;
            while ((n = await context.Request.Body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
            {
                if ((read += n) > options.MaxBodyBytes)
                {
                    return Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "The body is too large.");
                }

                await buffer.WriteAsync(chunk.AsMemory(0, n), ct).ConfigureAwait(false);
            }

            body = buffer.ToArray();
        }

        WebhookMessage delivery;
        try
        {
            var headers = context.Request.Headers;
            delivery = CaselineWebhook.Verify(
                options.Secrets, headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"], body, options.TimeProvider.GetUtcNow(), options.Tolerance);
            _ = delivery.Message;
        }
        catch (WebhookVerificationException e)
        {
            Log.Refused(logger, e.Failure);
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "The delivery is not verified.", detail: e.Message);
        }
        catch (MessageFormatException e)
        {
            Log.NotAMessage(logger, e.Path);
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The body is not a Caseline message.", detail: e.Message);
        }

        if (await deduplicator.SeenAsync(delivery.Id, ct).ConfigureAwait(false))
        {
            return Results.Ok();
        }

        try
        {
            await handler(delivery, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            Log.HandlerFailed(logger, delivery.Id, e);
            return Results.Problem(statusCode: StatusCodes.Status500InternalServerError, title: "The delivery could not be handled; Caseline will retry it.");
        }

        // Remembered only once handled: a delivery whose handler failed is handled again when it is retried.
        await deduplicator.RememberAsync(delivery.Id, ct).ConfigureAwait(false);
        return Results.NoContent();
    }
}

/// <summary>Remembers which deliveries were handled. Keep it in the CMS's own store to de-duplicate across restarts and replicas.</summary>
public interface IWebhookDeduplicator
{
    /// <summary>Whether the delivery with this id was handled.</summary>
    ValueTask<bool> SeenAsync(string id, CancellationToken cancellationToken);

    /// <summary>Records that the delivery with this id was handled.</summary>
    ValueTask RememberAsync(string id, CancellationToken cancellationToken);
}

/// <summary>The in-memory de-duplicator: the most recent <c>capacity</c> ids, each for <c>lifetime</c>.</summary>
public sealed class MemoryWebhookDeduplicator(int capacity, TimeSpan lifetime, TimeProvider? clock = null) : IWebhookDeduplicator
{
    private readonly Dictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private readonly Queue<(string Id, DateTimeOffset At)> _order = new();
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <inheritdoc />
    public ValueTask<bool> SeenAsync(string id, CancellationToken cancellationToken)
    {
        lock (_seen)
        {
            return ValueTask.FromResult(_seen.TryGetValue(id, out var at) && _clock.GetUtcNow() - at < lifetime);
        }
    }

    /// <inheritdoc />
    public ValueTask RememberAsync(string id, CancellationToken cancellationToken)
    {
        lock (_seen)
        {
            var now = _clock.GetUtcNow();
            _seen[id] = now;
            _order.Enqueue((id, now));
            while (_order.Count > capacity || (_order.Count > 0 && now - _order.Peek().At >= lifetime))
            {
                var (old, at) = _order.Dequeue();
                if (_seen.TryGetValue(old, out var current) && current == at)
                {
                    _seen.Remove(old);
                }
            }
        }

        return ValueTask.CompletedTask;
    }
}

internal static partial class Log
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Refused a webhook delivery: {Failure}")]
    public static partial void Refused(ILogger logger, WebhookFailure failure);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Refused a webhook delivery whose body is not a Caseline message (at {Path})")]
    public static partial void NotAMessage(ILogger logger, string? path);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "The webhook handler failed for delivery {DeliveryId}; Caseline will retry it")]
    public static partial void HandlerFailed(ILogger logger, string deliveryId, Exception exception);
}
