using Caseline.Server.Storage;
using Caseline.Server.Sync;

namespace Caseline.Server.Transmit;

/// <summary>One page of the feed: the messages, the position the next page starts after, and whether more are waiting.</summary>
internal sealed record FeedPage(List<StoredMessage> Messages, long Cursor, bool HasMore);

/// <summary>
/// Reads an agency's log in position order.
/// <para>
/// Invariant: a reader never skips a message. Positions are handed out only at or below the
/// watermark, the agency's <c>last_position</c> as seen in the same snapshot as the messages. The
/// counter is advanced by the very transaction that inserts the message, under that row's write
/// lock, so a snapshot that sees the counter at N sees every message 1..N: a transaction that
/// started earlier but commits later has not yet moved the counter, and so cannot be overtaken.
/// </para>
/// </summary>
internal sealed class MessageFeed(Database database)
{
    /// <summary>The agency's last position: every message at or below it can be read now.</summary>
    public long Head(long agencyId)
    {
        using var connection = database.OpenReader();
        return connection.Scalar<long>("SELECT last_position FROM agencies WHERE id = @agency", null, ("@agency", agencyId));
    }

    public FeedPage Read(long agencyId, string origin, long after, int limit, string? subType, string? clientId)
    {
        using var connection = database.OpenReader();
        using var snapshot = database.BeginRead(connection);
        var watermark = connection.Scalar<long>("SELECT last_position FROM agencies WHERE id = @agency", snapshot, ("@agency", agencyId));
        using var command = connection.Command(
            $"SELECT position, body, {StoredMessage.OwnEchoColumn} FROM messages WHERE agency_id = @agency AND position > @after AND position <= @watermark"
            + (subType is null ? "" : " AND sub_type = @subType")
            + (clientId is null ? "" : " AND client_id = @client")
            + " ORDER BY position LIMIT @limit",
            snapshot, ("@agency", agencyId), ("@origin", origin), ("@after", after), ("@watermark", watermark), ("@subType", subType), ("@client", clientId), ("@limit", limit + 1));
        var messages = new List<StoredMessage>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                messages.Add(new StoredMessage(reader.GetInt64(0), reader.Bytes(1), reader.GetInt64(2) == 1));
            }
        }

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
