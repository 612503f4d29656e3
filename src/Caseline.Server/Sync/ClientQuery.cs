using Caseline.Server.Http;

namespace Caseline.Server.Sync;

/// <summary>One row of the client list.</summary>
internal sealed record ClientSummary(string IntegrationId, string? FirstName, string? LastName, string? Status, string? AssignedCaseload, string? AssignedOfficer);

/// <summary>
/// Which clients a list shows, the same for the API's list and the officer's caseload; each filter is optional, and all ignore case.
/// </summary>
/// <param name="Search">Part of the first or last name, or of the identifier.</param>
/// <param name="Status">The whole status (<c>Active</c>, <c>Inactive</c>).</param>
/// <param name="Caseload">The whole assigned caseload.</param>
/// <param name="Officer">The whole assigned officer.</param>
internal sealed record ClientFilter(string? Search = null, string? Status = null, string? Caseload = null, string? Officer = null)
{
    /// <summary>The filter as a form or a query string gives it: blank values filter nothing, others are trimmed.</summary>
    public static ClientFilter Of(string? search, string? status, string? caseload, string? officer) =>
        new(Input.Blank(search), Input.Blank(status), Input.Blank(caseload), Input.Blank(officer));
}

/// <summary>The sort orders of the client list.</summary>
internal static class ClientSort
{
    public const string Id = "id";
    public const string Name = "name";
    public const string Status = "status";
    public const string Caseload = "caseload";
    public const string Officer = "officer";
}

/// <summary>One read of the client list: the filter, the order, and where the page starts (a keyset cursor or an offset).</summary>
/// <param name="Filter">Which clients.</param>
/// <param name="Sort">One of <see cref="ClientSort"/> (the identifier breaks ties).</param>
/// <param name="Descending">Whether the order is reversed.</param>
/// <param name="After">Only clients whose identifier sorts after it (with <see cref="ClientSort.Id"/> ascending).</param>
/// <param name="Offset">How many matching clients to pass over.</param>
/// <param name="Limit">At most how many to return.</param>
internal sealed record ClientQuery(ClientFilter Filter, string Sort, bool Descending, string? After, int Offset, int Limit);

/// <summary>A stored message: its feed position, its bytes exactly as emitted, and whether the reader's own credentials wrote it.</summary>
internal readonly record struct StoredMessage(long Position, byte[] Body, bool OwnEcho)
{
    /// <summary>The select-list expression for <see cref="OwnEcho"/>, comparing with the <c>@origin</c> parameter (null-safe, portable).</summary>
    public const string OwnEchoColumn = "CASE WHEN origin = @origin THEN 1 ELSE 0 END";
}
