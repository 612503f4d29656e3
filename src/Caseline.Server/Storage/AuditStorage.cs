namespace Caseline.Server.Storage;

/// <summary>The audit trail's SQL.</summary>
internal class AuditStorage(Database database)
{
    protected Database Database { get; } = database;

    /// <summary>Inserts a batch's audit records, in order.</summary>
    public virtual void Insert(WriteScope scope, IReadOnlyList<AuditRow> rows)
    {
        foreach (var row in rows)
        {
            scope.Execute(
                "INSERT INTO audit (agency_id, at, actor, action, client_id, remote, outcome) VALUES (@agency, @at, @actor, @action, @client, @remote, @outcome)",
                ("@agency", row.Agency), ("@at", row.At), ("@actor", row.Actor), ("@action", row.Action), ("@client", row.ClientId), ("@remote", row.Remote), ("@outcome", row.Outcome));
        }
    }
}
