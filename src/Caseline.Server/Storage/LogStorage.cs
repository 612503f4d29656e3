using Caseline.Server.Log;
using Caseline.Server.Sync;

namespace Caseline.Server.Storage;

/// <summary>
/// The message log's SQL: an agency's counter row (<c>agencies.last_position</c>) and its messages.
/// <para>
/// Invariant: a reader never skips a message. Positions are handed out only at or below the watermark, the agency's
/// <c>last_position</c> as seen in the same snapshot as the messages. The counter is advanced by the very transaction
/// that inserts the message, under that row's write lock, so a snapshot that sees the counter at N sees every message
/// 1..N: a transaction that started earlier but commits later has not yet moved the counter, and so cannot be overtaken.
/// </para>
/// </summary>
internal class LogStorage(Database database)
{
    /// <summary>Moves the agency's counter on by <paramref name="count"/> and returns its new value, the last of the positions taken.</summary>
    public long Advance(WriteScope scope, long agencyId, int count) =>
        scope.Scalar<long>(
            "UPDATE agencies SET last_position = last_position + @count WHERE id = @agency RETURNING last_position",
            ("@agency", agencyId), ("@count", count));

    /// <summary>Stores a batch's messages for one agency, the first at <paramref name="firstPosition"/> and the rest after it.</summary>
    public virtual void Insert(WriteScope scope, long firstPosition, IReadOnlyList<AppendedMessage> messages)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            scope.Execute(
                """
                INSERT INTO messages (agency_id, position, client_id, sub_type, activity_id, occurred_on, body, origin, trace)
                VALUES (@agency, @position, @client, @subType, @activity, @occurredOn, @body, @origin, @trace)
                """, ("@agency", message.Agency), ("@position", firstPosition + i), ("@client", message.ClientId), ("@subType", message.SubType),
                ("@activity", message.ActivityId), ("@origin", message.Origin), ("@trace", message.Trace),
                ("@occurredOn", message.OccurredOn.UtcTicks), ("@body", message.Body));
        }
    }

    /// <summary>The agency's last position: every message at or below it can be read now.</summary>
    public long Head(long agencyId)
    {
        using var connection = database.OpenReader();
        return connection.Scalar<long>("SELECT last_position FROM agencies WHERE id = @agency", null, ("@agency", agencyId));
    }

    /// <summary>
    /// Up to <paramref name="limit"/> + 1 messages after <paramref name="after"/> (the extra one says more are waiting), read in one
    /// snapshot with the watermark they stop at; <paramref name="origin"/> marks the reader's own echoes.
    /// </summary>
    public (List<StoredMessage> Messages, long Watermark) Read(long agencyId, string origin, long after, int limit, string? subType, string? clientId)
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
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            messages.Add(new StoredMessage(reader.GetInt64(0), reader.Bytes(1), reader.GetInt64(2) == 1));
        }

        return (messages, watermark);
    }
}
