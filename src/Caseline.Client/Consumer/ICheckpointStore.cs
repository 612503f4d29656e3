using System.Data.Common;

namespace Caseline.Client.Consumer;

/// <summary>
/// Where a consumer keeps its place in the feed, and the messages it parked. A consumer handles each
/// message inside one <see cref="CheckpointUnit"/>: the unit commits the new position only after the handler
/// succeeded, so a crash at any moment repeats at most the message in hand (at-least-once).
/// </summary>
public interface ICheckpointStore
{
    /// <summary>The position the consumer has handled everything up to (0 when it never ran).</summary>
    Task<long> GetPositionAsync(string consumer, CancellationToken cancellationToken);

    /// <summary>Starts handling <paramref name="item"/>: what the unit commits, it commits together.</summary>
    Task<CheckpointUnit> BeginAsync(string consumer, FeedItem item, CancellationToken cancellationToken);

    /// <summary>The consumer's parked messages, oldest first.</summary>
    Task<IReadOnlyList<ParkedMessage>> GetParkedAsync(string consumer, CancellationToken cancellationToken);

    /// <summary>Moves the consumer's position (back to replay, forward to skip); parked messages stay.</summary>
    Task ResetAsync(string consumer, long position, CancellationToken cancellationToken);
}

/// <summary>
/// The handling of one message: on <see cref="CommitAsync"/> the consumer's position moves to the message's
/// (never backwards), together with what <see cref="Park"/> or <see cref="Unpark"/> asked for. Disposing a
/// unit that was not committed changes nothing.
/// </summary>
public abstract class CheckpointUnit : IAsyncDisposable
{
    /// <summary>The store's connection, when the store is a database the handler may write to in the same transaction.</summary>
    public virtual DbConnection? Connection => null;

    /// <summary>The transaction the unit commits in, when the store has one: write the CMS's own changes in it for effectively-once handling.</summary>
    public virtual DbTransaction? Transaction => null;

    /// <summary>True when the store knows the message was handled already (its id is recorded): the consumer then only commits.</summary>
    public virtual bool AlreadyProcessed => false;

    /// <summary>On commit, records the message as parked with <paramref name="reason"/>, instead of as handled.</summary>
    public abstract void Park(string reason);

    /// <summary>On commit, removes the message from the parked ones (it has been replayed).</summary>
    public abstract void Unpark();

    /// <summary>Makes the unit durable.</summary>
    public abstract Task CommitAsync(CancellationToken cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}

/// <summary>A message a consumer gave up on after its attempts, kept to replay.</summary>
/// <param name="Position">Its feed position.</param>
/// <param name="MessageId">Its <c>Activity.Identifier</c>.</param>
/// <param name="Body">Its bytes, exactly as emitted.</param>
/// <param name="Reason">Why it was parked: the handler's exception type and message.</param>
/// <param name="ParkedAt">When.</param>
public sealed record ParkedMessage(long Position, string MessageId, byte[] Body, string Reason, DateTimeOffset ParkedAt)
{
    /// <summary>The parked message as a feed item, to hand a handler again.</summary>
    public FeedItem ToFeedItem() => new(Position, Body, ownEcho: false);
}
