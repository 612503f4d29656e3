namespace Caseline.Server.Storage.Postgres;

/// <summary>The audit trail on PostgreSQL: a batch's records in one statement.</summary>
internal sealed class PostgresAuditStorage(PostgresDatabase database) : AuditStorage(database)
{
    public override void Insert(WriteScope scope, IReadOnlyList<AuditRow> rows)
    {
        if (rows.Count == 1)
        {
            base.Insert(scope, rows);
            return;
        }

        // WITH ORDINALITY and ORDER BY keep the records' order in their ids.
        scope.Execute(
            """
            INSERT INTO audit (agency_id, at, actor, action, client_id, remote, outcome)
            SELECT a.agency_id, a.at, a.actor, a.action, a.client_id, a.remote, a.outcome
            FROM unnest(@agencies, @ats, @actors, @actions, @clients, @remotes, @outcomes) WITH ORDINALITY AS a (agency_id, at, actor, action, client_id, remote, outcome, n)
            ORDER BY a.n
            """,
            ("@agencies", rows.Select(r => r.Agency).ToArray()), ("@ats", rows.Select(r => r.At).ToArray()), ("@actors", rows.Select(r => r.Actor).ToArray()),
            ("@actions", rows.Select(r => r.Action).ToArray()), ("@clients", rows.Select(r => r.ClientId).ToArray()), ("@remotes", rows.Select(r => r.Remote).ToArray()),
            ("@outcomes", rows.Select(r => r.Outcome).ToArray()));
    }
}
