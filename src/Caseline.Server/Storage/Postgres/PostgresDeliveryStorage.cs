using Caseline.Server.Webhooks;

namespace Caseline.Server.Storage.Postgres;

/// <summary>
/// Deliveries on PostgreSQL: the statements whose SQL differs. Every statement is a round trip to the database server, so a
/// round's deliveries are fanned out, leased and recorded with one statement each (arrays); and many processes share the
/// work, so the rows one claims are locked, skipping those another holds.
/// </summary>
internal sealed class PostgresDeliveryStorage(PostgresDatabase database) : DeliveryStorage(database)
{
    public override bool TakeFanOut(WriteScope scope, string endpointId, long through) =>
        scope.Scalar<string>(FanOutCursor + " FOR UPDATE OF webhook_endpoints SKIP LOCKED", ("@id", endpointId), ("@through", through)) is not null;

    public override void InsertDeliveries(WriteScope scope, string endpointId, IReadOnlyList<NewMessage> messages)
    {
        if (messages.Count == 0)
        {
            return;
        }

        // A delivery heads its stream when it is the stream's first in this statement and nothing else is open in it (rows
        // inserted by the same statement are not visible to its own subquery).
        scope.Execute(
            $"""
            INSERT INTO deliveries (endpoint_id, position, client_id, state, next_attempt_at, created_at, head)
            SELECT @endpoint, m.position, m.client_id, @pending, @now, @now, CASE WHEN m.nth = 1 AND NOT EXISTS (
                SELECT 1 FROM deliveries o WHERE o.endpoint_id = @endpoint AND o.client_id = m.client_id AND o.state NOT IN {Finished}) THEN 1 ELSE 0 END
            FROM (SELECT u.position, u.client_id, row_number() OVER (PARTITION BY u.client_id ORDER BY u.position) AS nth
                  FROM unnest(@positions, @clients) AS u (position, client_id)) AS m
            ON CONFLICT (endpoint_id, position) DO NOTHING
            """, ("@endpoint", endpointId), ("@now", scope.Now.UtcTicks), ("@pending", DeliveryState.Pending),
            ("@positions", messages.Select(m => m.Position).ToArray()), ("@clients", messages.Select(m => m.ClientId).ToArray()));
    }

    public override List<DueDelivery> ClaimDue(WriteScope scope, string endpointId, int limit) =>
        ReadDue(scope, DueHeads + " FOR UPDATE OF d SKIP LOCKED", endpointId, limit);

    public override void Lease(WriteScope scope, IReadOnlyList<(long Id, long Token)> leases, DateTimeOffset until)
    {
        if (leases.Count == 0)
        {
            return;
        }

        scope.Execute(
            "UPDATE deliveries d SET state = @inFlight, lease_until = @until, next_attempt_at = @until, lease_token = l.token FROM unnest(@ids, @tokens) AS l (id, token) WHERE d.id = l.id",
            ("@inFlight", DeliveryState.InFlight), ("@until", until.UtcTicks), ("@ids", leases.Select(l => l.Id).ToArray()), ("@tokens", leases.Select(l => l.Token).ToArray()));
    }

    /// <summary>Three statements for the round's successes: the deliveries, their attempts, and the streams' next heads.</summary>
    public override IReadOnlyCollection<long> RecordDelivered(WriteScope scope, IReadOnlyList<AttemptRecord> delivered)
    {
        if (delivered.Count == 0)
        {
            return [];
        }

        var now = scope.Now.UtcTicks;
        var recorded = new HashSet<long>();
        using (var reader = scope.Query(
            """
            UPDATE deliveries d SET state = @delivered, attempts = a.attempt, last_status = a.status, last_error = NULL, lease_until = NULL,
                finished_at = @now, head = 0, lease_token = NULL
            FROM unnest(@ids, @tokens, @attempts, @statuses) AS a (id, token, attempt, status)
            WHERE d.id = a.id AND d.state = @inFlight AND d.lease_token = a.token
            RETURNING d.id
            """, ("@now", now), ("@delivered", DeliveryState.Delivered), ("@inFlight", DeliveryState.InFlight),
            ("@ids", delivered.Select(a => a.Id).ToArray()), ("@tokens", delivered.Select(a => a.LeaseToken).ToArray()),
            ("@attempts", delivered.Select(a => a.Attempt).ToArray()), ("@statuses", delivered.Select(a => a.Status!.Value).ToArray())))
        {
            while (reader.Read())
            {
                recorded.Add(reader.GetInt64(0));
            }
        }

        var done = delivered.Where(a => recorded.Contains(a.Id)).ToList();
        if (done.Count == 0)
        {
            return [];
        }

        scope.Execute(
            """
            INSERT INTO delivery_attempts (delivery_id, attempt, at, status_code, latency_ms, error)
            SELECT a.id, a.attempt, @now, a.status, a.latency, NULL FROM unnest(@ids, @attempts, @statuses, @latencies) AS a (id, attempt, status, latency)
            """, ("@now", now), ("@ids", done.Select(a => a.Id).ToArray()), ("@attempts", done.Select(a => a.Attempt).ToArray()),
            ("@statuses", done.Select(a => a.Status!.Value).ToArray()), ("@latencies", done.Select(a => a.LatencyMs).ToArray()));
        scope.Execute(
            $"""
            UPDATE deliveries SET head = 1 WHERE id IN (
                SELECT (SELECT n.id FROM deliveries n WHERE n.endpoint_id = d.endpoint_id AND n.client_id = d.client_id AND n.state NOT IN {Finished} ORDER BY n.position LIMIT 1)
                FROM unnest(@ids) AS f (id) JOIN deliveries d ON d.id = f.id)
            """, ("@ids", done.Select(a => a.Id).ToArray()));
        return recorded;
    }

    public override int PruneFinished(WriteScope scope, string state, DateTimeOffset before, int batch) =>
        // One statement: the deliveries chosen are the ones whose attempts go, whatever other writers finish meanwhile.
        scope.Scalar<int>(
            """
            WITH gone AS (
                DELETE FROM deliveries WHERE id IN (
                    SELECT id FROM deliveries WHERE finished_at IS NOT NULL AND finished_at < @before AND state = @state ORDER BY finished_at LIMIT @batch)
                RETURNING id),
            attempts AS (DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM gone))
            SELECT COUNT(*) FROM gone
            """, ("@before", before.UtcTicks), ("@state", state), ("@batch", batch));
}
