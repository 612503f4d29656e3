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
/// <param name="Errors">Why lines were refused (at most <see cref="SyncJobRunner.MaxListedErrors"/>).</param>
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
