using Caseline.Server.Log;

namespace Caseline.Server.Storage.Postgres;

/// <summary>The message log on PostgreSQL: a batch's messages for one agency in one statement.</summary>
internal sealed class PostgresLogStorage(PostgresDatabase database) : LogStorage(database)
{
    public override void Insert(WriteScope scope, long firstPosition, IReadOnlyList<AppendedMessage> messages)
    {
        if (messages.Count == 1)
        {
            base.Insert(scope, firstPosition, messages);
            return;
        }

        // One statement, one round trip, for all of an agency's messages in the batch.
        scope.Execute(
            """
            INSERT INTO messages (agency_id, position, client_id, sub_type, activity_id, occurred_on, body, origin, trace)
            SELECT @agency, @first + m.n - 1, m.client_id, m.sub_type, m.activity_id, m.occurred_on, m.body, m.origin, m.trace
            FROM unnest(@clients, @subTypes, @activities, @occurredOn, @bodies, @origins, @traces)
                WITH ORDINALITY AS m (client_id, sub_type, activity_id, occurred_on, body, origin, trace, n)
            """,
            ("@agency", messages[0].Agency), ("@first", firstPosition),
            ("@clients", messages.Select(m => m.ClientId).ToArray()), ("@subTypes", messages.Select(m => m.SubType).ToArray()),
            ("@activities", messages.Select(m => m.ActivityId).ToArray()), ("@occurredOn", messages.Select(m => m.OccurredOn.UtcTicks).ToArray()),
            ("@bodies", messages.Select(m => m.Body).ToArray()), ("@origins", messages.Select(m => m.Origin).ToArray()),
            ("@traces", messages.Select(m => m.Trace).ToArray()));
    }
}
