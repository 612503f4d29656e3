using System.Data.Common;
using Caseline.Server.Audit;

namespace Caseline.Server.Storage;

/// <summary>Which of an agency's audit records a read wants (each null filter takes all); instants inclusive.</summary>
internal sealed record AuditFilter(string? Actor = null, string? ClientId = null, DateTimeOffset? From = null, DateTimeOffset? To = null);

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

    /// <summary>Up to <paramref name="limit"/> of the agency's records after id <paramref name="after"/>, oldest first.</summary>
    public List<AuditRecord> After(long agencyId, AuditFilter filter, long after, int limit) =>
        Read(agencyId, filter, " AND id > @cursor", after, " ORDER BY id", limit);

    /// <summary>Up to <paramref name="limit"/> of the agency's records before id <paramref name="before"/> (the newest when null), newest first.</summary>
    public List<AuditRecord> Before(long agencyId, AuditFilter filter, long? before, int limit) =>
        Read(agencyId, filter, before is null ? "" : " AND id < @cursor", before ?? 0, " ORDER BY id DESC", limit);

    private List<AuditRecord> Read(long agencyId, AuditFilter filter, string cursorClause, long cursor, string order, int limit)
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command(
            "SELECT id, at, actor, action, client_id, remote, outcome FROM audit WHERE agency_id = @agency" + cursorClause
            + (filter.Actor is null ? "" : " AND actor = @actor") + (filter.ClientId is null ? "" : " AND client_id = @client")
            + (filter.From is null ? "" : " AND at >= @from") + (filter.To is null ? "" : " AND at <= @to") + order + " LIMIT @limit",
            null, ("@agency", agencyId), ("@cursor", cursor), ("@actor", filter.Actor), ("@client", filter.ClientId),
            ("@from", filter.From?.UtcTicks), ("@to", filter.To?.UtcTicks), ("@limit", limit));
        return Records(command);
    }

    private static List<AuditRecord> Records(DbCommand command)
    {
        using var reader = command.ExecuteReader();
        var records = new List<AuditRecord>();
        while (reader.Read())
        {
            records.Add(new AuditRecord(
                reader.GetInt64(0), reader.Timestamp(1), reader.GetString(2), reader.GetString(3),
                reader.NullableString(4), reader.NullableString(5), reader.GetInt32(6)));
        }

        return records;
    }
}
