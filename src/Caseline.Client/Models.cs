using System.Text.Json.Serialization;
using Caseline.Messages;

namespace Caseline.Client;

/// <summary>
/// A client's own sections, for <see cref="CaselineClient.CreateClientAsync"/> and <see cref="CaselineClient.PutClientAsync"/>.
/// A section left null is not sent, so the server leaves it as it is; a section given is replaced whole.
/// </summary>
/// <param name="Personal">Personal Details, or null to leave them.</param>
/// <param name="Account">Account Details, or null to leave them.</param>
/// <param name="Email">Email Details, or null to leave them.</param>
public sealed record ClientSections(PersonalDetails? Personal = null, AccountDetails? Account = null, EmailDetails? Email = null);

/// <summary>What a create-or-replace call stored, and whether it created it.</summary>
/// <typeparam name="T">The profile or item type.</typeparam>
/// <param name="Value">The stored state, as the server answered it.</param>
/// <param name="Created">True when the call created the client or item (HTTP 201).</param>
public sealed record Written<T>(T Value, bool Created);

/// <summary>One client of the list.</summary>
/// <param name="IntegrationId">The agency's identifier of the client.</param>
/// <param name="FirstName">Given name.</param>
/// <param name="LastName">Family name.</param>
/// <param name="Status"><c>Active</c> or <c>Inactive</c>.</param>
/// <param name="AssignedCaseload">Caseload.</param>
/// <param name="AssignedOfficer">Officer.</param>
public sealed record ClientSummary(string IntegrationId, string? FirstName, string? LastName, string? Status, string? AssignedCaseload, string? AssignedOfficer);

/// <summary>Filters of <see cref="CaselineClient.ListClientsAsync"/>; each is optional, and all ignore case.</summary>
/// <param name="Name">Part of the first or last name, or of the IntegrationId.</param>
/// <param name="Status"><c>Active</c> or <c>Inactive</c>.</param>
/// <param name="Caseload">The assigned caseload (the whole value).</param>
/// <param name="Officer">The assigned officer (the whole value).</param>
public sealed record ClientQuery(string? Name = null, string? Status = null, string? Caseload = null, string? Officer = null);

/// <summary>A bulk sync job: where it stands and what it did.</summary>
/// <param name="Id">The job's identifier.</param>
/// <param name="State"><c>Queued</c>, <c>Running</c>, <c>Completed</c> or <c>Failed</c>.</param>
/// <param name="CreatedAt">When the upload was accepted.</param>
/// <param name="StartedAt">When processing began.</param>
/// <param name="FinishedAt">When processing ended.</param>
/// <param name="TotalLines">Lines in the upload.</param>
/// <param name="LinesProcessed">Lines processed so far.</param>
/// <param name="Created">Profiles of clients that did not exist.</param>
/// <param name="Updated">Profiles that changed.</param>
/// <param name="Unchanged">Profiles already equal to the stored ones.</param>
/// <param name="Invalid">Lines refused; the first ones are in <paramref name="Errors"/>.</param>
/// <param name="ItemsRemoved">Stored items absent from their profile, and so removed.</param>
/// <param name="MessagesWritten">Messages the job appended to the log.</param>
/// <param name="Errors">Why lines were refused.</param>
/// <param name="Failure">Why the job failed as a whole, when it did.</param>
public sealed record SyncJob(
    string Id, string State, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    long TotalLines, long LinesProcessed, long Created, long Updated, long Unchanged, long Invalid, long ItemsRemoved, long MessagesWritten,
    IReadOnlyList<SyncLineError> Errors, string? Failure)
{
    /// <summary>True once the job has completed or failed.</summary>
    [JsonIgnore]
    public bool IsFinished => State is "Completed" or "Failed";
}

/// <summary>Why one line of a bulk sync was refused.</summary>
/// <param name="Line">The line number, from 1.</param>
/// <param name="IntegrationId">The client the line was about, when it could be read.</param>
/// <param name="Errors">Field errors keyed by path.</param>
public sealed record SyncLineError(long Line, string? IntegrationId, IReadOnlyDictionary<string, string[]> Errors);

/// <summary>How far a bulk sync has come: first the upload, then the server's job.</summary>
/// <param name="ProfilesUploaded">Profiles sent so far.</param>
/// <param name="Job">The job as last polled; null while uploading.</param>
public sealed record SyncProgress(long ProfilesUploaded, SyncJob? Job);

/// <summary>The lookup lists the server serves (<c>GET /api/v1/lookups/{kind}</c>).</summary>
public static class LookupKinds
{
    /// <summary><c>Home</c>, <c>Work</c>, <c>Other</c>.</summary>
    public const string AddressTypes = "addressTypes";

    /// <summary><c>HomePhone</c>, <c>MobilePhone</c>, <c>OtherPhone</c>.</summary>
    public const string ContactTypes = "contactTypes";

    /// <summary>The agency's genders.</summary>
    public const string Genders = "genders";

    /// <summary>The agency's ethnicities.</summary>
    public const string Ethnicities = "ethnicities";

    /// <summary>Windows time-zone ids.</summary>
    public const string TimeZones = "timeZones";

    /// <summary>The agency's static risk ratings.</summary>
    public const string StaticRiskRatings = "staticRiskRatings";

    /// <summary>The agency's needs classifications.</summary>
    public const string NeedsClassifications = "needsClassifications";

    /// <summary>The agency's offense categories.</summary>
    public const string OffenseCategories = "offenseCategories";

    /// <summary>The agency's caseloads.</summary>
    public const string Caseloads = "caseloads";

    /// <summary>The agency's officers.</summary>
    public const string Officers = "officers";
}
