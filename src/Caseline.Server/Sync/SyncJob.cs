using System.Data.Common;
using System.Text.Json;
using Caseline.Server.Http;
using Caseline.Server.Storage;

namespace Caseline.Server.Sync;

/// <summary>The states of a bulk sync job.</summary>
internal static class SyncJobState
{
    public const string Queued = "Queued";
    public const string Running = "Running";
    public const string Completed = "Completed";
    public const string Failed = "Failed";
}

/// <summary>A bulk sync job: where it stands and what it did, profile by profile.</summary>
/// <param name="Id">The job's identifier.</param>
/// <param name="State"><c>Queued</c>, <c>Running</c>, <c>Completed</c> or <c>Failed</c>.</param>
/// <param name="CreatedAt">When the upload was accepted.</param>
/// <param name="StartedAt">When processing began.</param>
/// <param name="FinishedAt">When processing ended.</param>
/// <param name="TotalLines">Lines in the upload.</param>
/// <param name="LinesProcessed">Lines processed so far.</param>
/// <param name="Created">Profiles of clients that did not exist.</param>
/// <param name="Updated">Profiles that changed in at least one section or item.</param>
/// <param name="Unchanged">Profiles already equal to the stored ones.</param>
/// <param name="Invalid">Lines refused; the first ones are listed in <paramref name="Errors"/>.</param>
/// <param name="ItemsRemoved">Stored items absent from their profile, and so removed.</param>
/// <param name="MessagesWritten">Messages the job appended to the log.</param>
/// <param name="Errors">Why lines were refused (at most <see cref="SyncJobs.MaxListedErrors"/>).</param>
/// <param name="Failure">Why the job failed as a whole, when it did.</param>
internal sealed record SyncJob(
    string Id, string State, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    long TotalLines, long LinesProcessed, long Created, long Updated, long Unchanged, long Invalid, long ItemsRemoved, long MessagesWritten,
    IReadOnlyList<SyncLineError> Errors, string? Failure);

/// <summary>Why one line of a bulk sync was refused.</summary>
/// <param name="Line">The line number, from 1.</param>
/// <param name="IntegrationId">The client the line was about, when it could be read.</param>
/// <param name="Errors">Field errors keyed by path, as a 400 response would give them.</param>
internal sealed record SyncLineError(long Line, string? IntegrationId, IReadOnlyDictionary<string, string[]> Errors);

/// <summary>Who uploaded a job: its messages are written in their name and carry their origin.</summary>
internal sealed record JobOwner(long AgencyId, string Login, string Origin);

/// <summary>The counts one batch of lines adds to its job.</summary>
internal sealed record SyncProgress(long LinesDone, long Created, long Updated, long Unchanged, long Invalid, long ItemsRemoved, long MessagesWritten);

/// <summary>Reads and writes job rows; every read names the agency.</summary>
internal static class SyncJobs
{
    public const int MaxListedErrors = 1000;

    private const string Columns =
        "id, state, created_at, started_at, finished_at, total_lines, lines_done, created, updated, unchanged, invalid, items_removed, messages, errors, failure";

    public static SyncJob? Find(DbConnection connection, long agencyId, string id)
    {
        using var command = connection.Command($"SELECT {Columns} FROM sync_jobs WHERE agency_id = @agency AND id = @id", null, ("@agency", agencyId), ("@id", id));
        using var reader = command.ExecuteReader();
        return reader.Read() ? Read(reader) : null;
    }

    public static List<SyncJob> Recent(DbConnection connection, long agencyId, int limit)
    {
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
    public static (SyncJob Job, JobOwner Owner)? NextUnfinished(DbConnection connection, string node)
    {
        using var command = connection.Command(
            $"SELECT {Columns}, agency_id, updated_by, origin FROM sync_jobs WHERE state IN ('{SyncJobState.Queued}', '{SyncJobState.Running}') AND owner IN ('', @node) ORDER BY created_at LIMIT 1",
            null, ("@node", node));
        using var reader = command.ExecuteReader();
        return reader.Read() ? (Read(reader), new JobOwner(reader.GetInt64(15), reader.GetString(16), reader.GetString(17))) : null;
    }

    /// <summary>The ids of every job not yet finished: their spool files are still needed.</summary>
    public static List<string> UnfinishedIds(DbConnection connection)
    {
        using var command = connection.Command($"SELECT id FROM sync_jobs WHERE state IN ('{SyncJobState.Queued}', '{SyncJobState.Running}')");
        using var reader = command.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <summary>Queues a job whose upload is spooled in <paramref name="node"/>'s data folder: only that node runs it.</summary>
    public static void Insert(WriteScope scope, string id, JobOwner owner, long totalLines, string node) =>
        scope.Execute(
            "INSERT INTO sync_jobs (id, agency_id, state, updated_by, origin, created_at, total_lines, owner) VALUES (@id, @agency, @state, @by, @origin, @now, @total, @node)",
            ("@id", id), ("@agency", owner.AgencyId), ("@state", SyncJobState.Queued), ("@by", owner.Login), ("@origin", owner.Origin),
            ("@now", scope.Now.UtcTicks), ("@total", totalLines), ("@node", node));

    public static void Start(WriteScope scope, string id) =>
        scope.Execute(
            "UPDATE sync_jobs SET state = @state, started_at = COALESCE(started_at, @now) WHERE id = @id",
            ("@id", id), ("@state", SyncJobState.Running), ("@now", scope.Now.UtcTicks));

    public static void Advance(WriteScope scope, string id, SyncProgress progress, IReadOnlyList<SyncLineError> errors) =>
        scope.Execute(
            """
            UPDATE sync_jobs SET lines_done = @lines, created = created + @created, updated = updated + @updated, unchanged = unchanged + @unchanged,
                invalid = invalid + @invalid, items_removed = items_removed + @removed, messages = messages + @messages, errors = @errors
            WHERE id = @id
            """, ("@id", id), ("@lines", progress.LinesDone), ("@created", progress.Created), ("@updated", progress.Updated),
            ("@unchanged", progress.Unchanged), ("@invalid", progress.Invalid), ("@removed", progress.ItemsRemoved), ("@messages", progress.MessagesWritten),
            ("@errors", JsonSerializer.Serialize(errors, ServerJsonContext.Default.IReadOnlyListSyncLineError)));

    public static void Finish(WriteScope scope, string id, string state, string? failure) =>
        scope.Execute(
            "UPDATE sync_jobs SET state = @state, finished_at = @now, failure = @failure WHERE id = @id",
            ("@id", id), ("@state", state), ("@now", scope.Now.UtcTicks), ("@failure", failure));

    private static SyncJob Read(DbDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.Timestamp(2), reader.NullableTimestamp(3), reader.NullableTimestamp(4),
        reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8), reader.GetInt64(9), reader.GetInt64(10), reader.GetInt64(11), reader.GetInt64(12),
        JsonSerializer.Deserialize(reader.GetString(13), ServerJsonContext.Default.IReadOnlyListSyncLineError) ?? [],
        reader.NullableString(14));
}
