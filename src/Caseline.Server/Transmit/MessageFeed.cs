using Caseline.Server.Storage;
using Caseline.Server.Sync;

namespace Caseline.Server.Transmit;

/// <summary>One page of the feed: the messages, the position the next page starts after, and whether more are waiting.</summary>
internal sealed record FeedPage(List<StoredMessage> Messages, long Cursor, bool HasMore);

/// <summary>Reads an agency's log in position order, a page at a time; never skips a message (see <see cref="LogStorage"/>).</summary>
internal sealed class MessageFeed(Database database)
{
    /// <summary>The agency's last position: every message at or below it can be read now.</summary>
    public long Head(long agencyId) => database.Log.Head(agencyId);

    public FeedPage Read(long agencyId, string origin, long after, int limit, string? subType, string? clientId)
    {
        var (messages, watermark) = database.Log.Read(agencyId, origin, after, limit, subType, clientId);
        var hasMore = messages.Count > limit;
        if (hasMore)
        {
            messages.RemoveAt(limit);
        }

        // Without more to come, everything up to the watermark has been considered: the next page starts there,
        // so a filtered reader does not scan the same non-matching messages again.
        var cursor = hasMore ? messages[^1].Position : Math.Max(after, watermark);
        return new FeedPage(messages, cursor, hasMore);
    }
}
