using System.Data.Common;
using System.Text.Json;
using Caseline.Server.Http;
using Caseline.Server.Sync;

namespace Caseline.Server.Storage;

/// <summary>Bulk sync jobs and the leader rows (cluster leases) of background work: its SQL, portable. Every read of a job names the agency.</summary>
internal class JobStorage(Database database)
{
    private const string Columns =
        "id, state, created_at, started_at, finished_at, total_lines, lines_done, created, updated, unchanged, invalid, items_removed, messages, errors, failure";

    // Jobs not yet finished: their spool files are still needed, and a restarted server resumes them.
    private static readonly string Unfinished = $"state IN ('{SyncJobState.Queued}', '{SyncJobState.Running}')";

    protected Database Database { get; } = database;

    // ---- Bulk sync jobs. ----

    /// <summary>The agency's job <paramref name="id"/>; null when the agency has no such job.</summary>
    public SyncJob? Find(long agencyId, string id)
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command($"SELECT {Columns} FROM sync_jobs WHERE agency_id = @agency AND id = @id", null, ("@agency", agencyId), ("@id", id));
        using var reader = command.ExecuteReader();
        return reader.Read() ? Read(reader) : null;
    }

    /// <summary>The agency's latest <paramref name="limit"/> jobs, newest first.</summary>
    public IReadOnlyList<SyncJob> Recent(long agencyId, int limit)
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command(
            $"SELECT {Columns} FROM sync_jobs WHERE agency_id = @agency ORDER BY created_at DESC LIMIT @limit", null, ("@agency", agencyId), ("@limit", limit));
        using var reader = command.ExecuteReader();
        var jobs = new List<SyncJob>();
        while (reader.Read())
        {
            jobs.Add(Read(reader));
        }

        return jobs;
    }

    /// <summary>
    /// The oldest job not yet finished whose upload is spooled on <paramref name="node"/> (jobs from before nodes were
    /// recorded are every node's: there was one), with who uploaded it; a restarted server resumes it.
    /// </summary>
    public (SyncJob Job, JobOwner Owner)? NextUnfinished(string node)
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command(
            $"SELECT {Columns}, agency_id, updated_by, origin FROM sync_jobs WHERE {Unfinished} AND owner IN ('', @node) ORDER BY created_at LIMIT 1",
            null, ("@node", node));
        using var reader = command.ExecuteReader();
        return reader.Read() ? (Read(reader), new JobOwner(reader.GetInt64(15), reader.GetString(16), reader.GetString(17))) : null;
    }

    /// <summary>The ids of every job not yet finished: their spool files are still needed.</summary>
    public IReadOnlyList<string> UnfinishedIds()
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command($"SELECT id FROM sync_jobs WHERE {Unfinished}");
        using var reader = command.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <summary>Queues a job whose upload is spooled in <paramref name="node"/>'s data folder: only that node runs it.</summary>
    public void Insert(WriteScope scope, string id, JobOwner owner, long totalLines, string node) =>
        scope.Execute(
            "INSERT INTO sync_jobs (id, agency_id, state, updated_by, origin, created_at, total_lines, owner) VALUES (@id, @agency, @state, @by, @origin, @now, @total, @node)",
            ("@id", id), ("@agency", owner.AgencyId), ("@state", SyncJobState.Queued), ("@by", owner.Login), ("@origin", owner.Origin),
            ("@now", scope.Now.UtcTicks), ("@total", totalLines), ("@node", node));

    /// <summary>Marks the job running; a resumed job keeps its first start time.</summary>
    public void Start(WriteScope scope, string id) =>
        scope.Execute(
            "UPDATE sync_jobs SET state = @state, started_at = COALESCE(started_at, @now) WHERE id = @id",
            ("@id", id), ("@state", SyncJobState.Running), ("@now", scope.Now.UtcTicks));

    /// <summary>Adds a batch's counts to the job, with the line it got to and the refused lines listed so far.</summary>
    public void Advance(WriteScope scope, string id, SyncProgress progress, IReadOnlyList<SyncLineError> errors) =>
        scope.Execute(
            """
            UPDATE sync_jobs SET lines_done = @lines, created = created + @created, updated = updated + @updated, unchanged = unchanged + @unchanged,
                invalid = invalid + @invalid, items_removed = items_removed + @removed, messages = messages + @messages, errors = @errors
            WHERE id = @id
            """, ("@id", id), ("@lines", progress.LinesDone), ("@created", progress.Created), ("@updated", progress.Updated),
            ("@unchanged", progress.Unchanged), ("@invalid", progress.Invalid), ("@removed", progress.ItemsRemoved), ("@messages", progress.MessagesWritten),
            ("@errors", JsonSerializer.Serialize(errors, ServerJsonContext.Default.IReadOnlyListSyncLineError)));

    /// <summary>Ends the job in <paramref name="state"/> (<c>Completed</c> or <c>Failed</c>, with why).</summary>
    public void Finish(WriteScope scope, string id, string state, string? failure) =>
        scope.Execute(
            "UPDATE sync_jobs SET state = @state, finished_at = @now, failure = @failure WHERE id = @id",
            ("@id", id), ("@state", state), ("@now", scope.Now.UtcTicks), ("@failure", failure));

    // ---- Leader rows. ----

    /// <summary>
    /// Takes or renews lease <paramref name="name"/> for <paramref name="holder"/> until <paramref name="until"/>, when it is free, lapsed
    /// or already theirs; true when <paramref name="holder"/> holds it now.
    /// </summary>
    public bool HoldLease(WriteScope scope, string name, string holder, DateTimeOffset until) =>
        scope.Scalar<string>(
            """
            INSERT INTO cluster_leases (name, holder, until) VALUES (@name, @holder, @until)
            ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
            WHERE cluster_leases.holder = excluded.holder OR cluster_leases.until < @now
            RETURNING holder
            """, ("@name", name), ("@holder", holder), ("@until", until.UtcTicks), ("@now", scope.Now.UtcTicks)) is not null;

    /// <summary>Gives lease <paramref name="name"/> up, if <paramref name="holder"/> holds it.</summary>
    public void ReleaseLease(WriteScope scope, string name, string holder) =>
        scope.Execute("DELETE FROM cluster_leases WHERE name = @name AND holder = @holder", ("@name", name), ("@holder", holder));

    private static SyncJob Read(DbDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.Timestamp(2), reader.NullableTimestamp(3), reader.NullableTimestamp(4),
        reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8), reader.GetInt64(9), reader.GetInt64(10), reader.GetInt64(11), reader.GetInt64(12),
        JsonSerializer.Deserialize(reader.GetString(13), ServerJsonContext.Default.IReadOnlyListSyncLineError) ?? [],
        reader.NullableString(14));
}
