using System.Data.Common;
using Caseline.Messages;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Caseline.Client.Consumer;

/// <summary>Handles the messages a <see cref="TransmitConsumer"/> reads, one at a time, in position order.</summary>
public interface ITransmitHandler
{
    /// <summary>
    /// Applies one message. Throwing fails this attempt: the message is tried again (up to
    /// <see cref="TransmitConsumerOptions.MaxAttempts"/>) and then parked; nothing after it is handled before that.
    /// </summary>
    Task HandleAsync(TransmitContext context, CancellationToken cancellationToken);
}

/// <summary>The message in hand, and the store's transaction to write the CMS's changes in (when the store has one).</summary>
public sealed class TransmitContext
{
    internal TransmitContext(string consumer, FeedItem item, int attempt, CheckpointUnit unit)
    {
        Consumer = consumer;
        Item = item;
        Attempt = attempt;
        Connection = unit.Connection;
        Transaction = unit.Transaction;
    }

    /// <summary>The consumer's name.</summary>
    public string Consumer { get; }

    /// <summary>The feed item: position, exact bytes, own-echo flag.</summary>
    public FeedItem Item { get; }

    /// <summary>The message.</summary>
    public ClientMessage Message => Item.Message;

    /// <summary>This attempt's number, from 1.</summary>
    public int Attempt { get; }

    /// <summary>The checkpoint store's connection, when it is a database (<see cref="SqliteCheckpointStore"/>).</summary>
    public DbConnection? Connection { get; }

    /// <summary>The transaction the checkpoint commits in: what the handler writes in it commits with the checkpoint, or not at all.</summary>
    public DbTransaction? Transaction { get; }
}

/// <summary>How a consumer reads and how patient it is with a failing message.</summary>
public sealed class TransmitConsumerOptions
{
    /// <summary>The consumer's name: its checkpoint and parked messages are kept under it. Default <c>default</c>.</summary>
    public string Name { get; set; } = "default";

    /// <summary>What to read (section, client filters; page size; long-poll wait). <see cref="FeedReadOptions.Follow"/> is always on.</summary>
    public FeedReadOptions Feed { get; set; } = new();

    /// <summary>Attempts per message before it is parked (default 5).</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The wait after a message's first failed attempt (default 1 s); it doubles each attempt.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait before reading again after the feed itself failed (default 30 s).</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Skip (and checkpoint) messages the consumer's own credentials wrote, without calling the handler (default false).</summary>
    public bool SkipOwnEcho { get; set; }

    /// <summary>Where checkpoints live; required.</summary>
    public ICheckpointStore? Checkpoints { get; set; }
}

/// <summary>
/// Reads the feed from its checkpoint and hands each message to a handler in position order, checkpointing
/// after the handler succeeded: at-least-once, and effectively-once with <see cref="SqliteCheckpointStore"/>
/// when the handler writes in <see cref="TransmitContext.Transaction"/>. A failing message is retried, then
/// parked so the rest of the feed moves on; <see cref="ReplayParkedAsync"/> hands parked messages to the
/// handler again. A feed failure (the server down, a network cut) is waited out and reading resumes at the
/// checkpoint.
/// </summary>
public sealed partial class TransmitConsumer(CaselineClient client, ITransmitHandler handler, TransmitConsumerOptions options, ILogger<TransmitConsumer>? logger = null)
{
    private readonly ILogger _logger = logger ?? NullLogger<TransmitConsumer>.Instance;
    private readonly ICheckpointStore _store = options.Checkpoints ?? throw new ArgumentException("TransmitConsumerOptions.Checkpoints must be set.", nameof(options));

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var position = await _store.GetPositionAsync(options.Name, cancellationToken).ConfigureAwait(false);
            try
            {
                await foreach (var item in client.ReadFeedAsync(position, options.Feed with { Follow = true }, cancellationToken).ConfigureAwait(false))
                {
                    await HandleAsync(item, cancellationToken).ConfigureAwait(false);
                    failures = 0;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is CaselineException or HttpRequestException or System.Text.Json.JsonException or IOException or DbException)
            {
                // The feed or the store failed, not a handler: wait and read again from the last checkpoint.
                var wait = TimeSpan.FromMilliseconds(Math.Min(options.MaxReconnectDelay.TotalMilliseconds, 500 * Math.Pow(2, Math.Min(failures++, 10))));
                LogReadFailed(options.Name, position, e.GetType().Name, wait.TotalSeconds, e);
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Hands every parked message to the handler again, oldest first; those it handles are unparked. Returns how many were.</summary>
    public async Task<int> ReplayParkedAsync(CancellationToken cancellationToken = default)
    {
        var replayed = 0;
        foreach (var parked in await _store.GetParkedAsync(options.Name, cancellationToken).ConfigureAwait(false))
        {
            var item = parked.ToFeedItem();
            await using var unit = await _store.BeginAsync(options.Name, item, cancellationToken).ConfigureAwait(false);
            try
            {
                if (!unit.AlreadyProcessed)
                {
                    await handler.HandleAsync(new TransmitContext(options.Name, item, 1, unit), cancellationToken).ConfigureAwait(false);
                }

                unit.Unpark();
                await unit.CommitAsync(cancellationToken).ConfigureAwait(false);
                replayed++;
                LogReplayed(options.Name, item.Position);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                LogReplayFailed(options.Name, item.Position, e.GetType().Name, e);
            }
        }

        return replayed;
    }

    /// <summary>One message to its end: handled and checkpointed, or parked and checkpointed.</summary>
    internal async Task HandleAsync(FeedItem item, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            Exception failure;
            await using (var unit = await _store.BeginAsync(options.Name, item, ct).ConfigureAwait(false))
            {
                try
                {
                    if (!unit.AlreadyProcessed && !(options.SkipOwnEcho && item.OwnEcho))
                    {
                        await handler.HandleAsync(new TransmitContext(options.Name, item, attempt, unit), ct).ConfigureAwait(false);
                    }

                    await unit.CommitAsync(ct).ConfigureAwait(false);
                    return;
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    failure = e;
                }
            }

            if (attempt >= options.MaxAttempts)
            {
                await ParkAsync(item, attempt, failure, ct).ConfigureAwait(false);
                return;
            }

            LogAttemptFailed(options.Name, item.Position, attempt, failure.GetType().Name, failure);
            await Task.Delay(TimeSpan.FromMilliseconds(options.RetryDelay.TotalMilliseconds * Math.Pow(2, attempt - 1)), ct).ConfigureAwait(false);
        }
    }

    private async Task ParkAsync(FeedItem item, int attempts, Exception failure, CancellationToken ct)
    {
        await using var unit = await _store.BeginAsync(options.Name, item, ct).ConfigureAwait(false);
        unit.Park($"{failure.GetType().FullName}: {failure.Message}");
        await unit.CommitAsync(ct).ConfigureAwait(false);
        LogParked(options.Name, item.Position, item.MessageId, attempts, failure.GetType().Name, failure);
    }

    // Log lines name positions, message ids and exception types: never a message's content (it is personal data).
    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Consumer {Consumer}: reading the feed after position {Position} failed ({Error}); reading again in {Seconds:0.#} s")]
    private partial void LogReadFailed(string consumer, long position, string error, double seconds, Exception exception);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Consumer {Consumer}: the handler failed on position {Position}, attempt {Attempt} ({Error}); trying again")]
    private partial void LogAttemptFailed(string consumer, long position, int attempt, string error, Exception exception);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Error, Message = "Consumer {Consumer}: parked the message at position {Position} (id {MessageId}) after {Attempts} failed attempts ({Error}); moving on. Replay it with ReplayParkedAsync once the handler is fixed")]
    private partial void LogParked(string consumer, long position, string messageId, int attempts, string error, Exception exception);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Consumer {Consumer}: replayed the parked message at position {Position}")]
    private partial void LogReplayed(string consumer, long position);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Consumer {Consumer}: replaying the parked message at position {Position} failed ({Error}); it stays parked")]
    private partial void LogReplayFailed(string consumer, long position, string error, Exception exception);
}
