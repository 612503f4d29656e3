using System.Data.Common;
using Caseline.Messages;
using Caseline.Messages.Json;
using Caseline.Server.Storage;

namespace Caseline.Server.Sync;

/// <summary>One row of the client list.</summary>
internal sealed record ClientSummary(string IntegrationId, string? FirstName, string? LastName, string? Status, string? AssignedCaseload, string? AssignedOfficer);

/// <summary>Filters of the client list; each is optional. <c>Name</c> matches part of the first or last name, ignoring case.</summary>
internal sealed record ClientFilter(string? Name, string? Status, string? Caseload, string? Officer);

/// <summary>A stored message: its feed position, its bytes exactly as emitted, and whether the reader's own credentials wrote it.</summary>
internal readonly record struct StoredMessage(long Position, byte[] Body, bool OwnEcho)
{
    /// <summary>The select-list expression for <see cref="OwnEcho"/>, comparing with the <c>@origin</c> parameter (null-safe, portable).</summary>
    public const string OwnEchoColumn = "CASE WHEN origin = @origin THEN 1 ELSE 0 END";
}

/// <summary>Reads profiles, lists and timelines. Every query names the agency: no row of another agency can come back.</summary>
internal sealed class ProfileQueries(Database database)
{
    public ClientProfile? Profile(long agencyId, string clientId)
    {
        using var connection = database.OpenReader();
        if (!Exists(connection, agencyId, clientId))
        {
            return null;
        }

        using var command = connection.Command(
            "SELECT section, details FROM sections WHERE agency_id = @agency AND client_id = @client",
            null, ("@agency", agencyId), ("@client", clientId));
        return ClientProfile.FromSections(clientId, ReadSections(command));
    }

    public IReadOnlyList<ItemDetails>? Items(long agencyId, string clientId, Section section, string? itemId = null)
    {
        using var connection = database.OpenReader();
        if (!Exists(connection, agencyId, clientId))
        {
            return null;
        }

        using var command = connection.Command(
            "SELECT section, details FROM sections WHERE agency_id = @agency AND client_id = @client AND section = @section"
            + (itemId is null ? "" : " AND item_id = @item") + " ORDER BY item_id",
            null, ("@agency", agencyId), ("@client", clientId), ("@section", section.Name), ("@item", itemId));
        return [.. ReadSections(command).Cast<ItemDetails>()];
    }

    /// <summary>The profile as it stood at <paramref name="asOf"/>, rebuilt from the log alone; null when the client did not exist yet.</summary>
    public ClientProfile? ProfileAsOf(long agencyId, string clientId, DateTimeOffset asOf) =>
        SectionsAsOf(agencyId, clientId, asOf) is { } sections ? ClientProfile.FromSections(clientId, sections) : null;

    /// <summary>Every section and item as it stood at <paramref name="asOf"/>, in log order of their last change; null when the client did not exist yet.</summary>
    public IReadOnlyList<SectionDetails>? SectionsAsOf(long agencyId, string clientId, DateTimeOffset asOf)
    {
        using var connection = database.OpenReader();
        var createdAt = connection.Scalar<long?>(
            "SELECT created_at FROM clients WHERE agency_id = @agency AND client_id = @client", null, ("@agency", agencyId), ("@client", clientId));
        if (createdAt is null || createdAt > asOf.UtcTicks)
        {
            return null;
        }

        // Each message carries the whole state of its section or item, so the last one before the instant is that state.
        var state = new Dictionary<(Section, string), SectionDetails?>();
        using var command = connection.Command(
            "SELECT body FROM messages WHERE agency_id = @agency AND client_id = @client AND occurred_on <= @asOf ORDER BY position",
            null, ("@agency", agencyId), ("@client", clientId), ("@asOf", asOf.UtcTicks));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var message = MessageReader.Read(reader.Bytes(0));
            var key = (message.Details.Section, (message.Details as ItemDetails)?.IntegrationId ?? "");
            state[key] = message.Verb == ChangeVerb.Removed ? null : message.Details;
        }

        return [.. state.Values.OfType<SectionDetails>()];
    }

    public (IReadOnlyList<ClientSummary> Clients, bool HasMore) List(long agencyId, ClientFilter filter, string? after, int limit)
    {
        using var connection = database.OpenReader();
        var where = "agency_id = @agency"
            + (after is null ? "" : " AND client_id > @after")
            + (filter.Name is null ? "" : " AND search_name LIKE @name ESCAPE '\\'")
            + (filter.Status is null ? "" : " AND status = @status")
            + (filter.Caseload is null ? "" : " AND caseload = @caseload")
            + (filter.Officer is null ? "" : " AND officer = @officer");
        using var command = connection.Command(
            $"SELECT client_id, first_name, last_name, status, caseload, officer FROM clients WHERE {where} ORDER BY client_id LIMIT @limit",
            null, ("@agency", agencyId), ("@after", after), ("@name", filter.Name is null ? null : $"%{EscapeLike(filter.Name.ToLowerInvariant())}%"),
            ("@status", filter.Status), ("@caseload", filter.Caseload), ("@officer", filter.Officer), ("@limit", limit + 1));
        using var reader = command.ExecuteReader();
        var clients = new List<ClientSummary>();
        while (reader.Read())
        {
            clients.Add(new ClientSummary(reader.GetString(0), reader.NullableString(1), reader.NullableString(2), reader.NullableString(3), reader.NullableString(4), reader.NullableString(5)));
        }

        var hasMore = clients.Count > limit;
        return (hasMore ? clients[..limit] : clients, hasMore);
    }

    /// <summary>A client's messages after <paramref name="afterPosition"/>, oldest first; null when the client does not exist.</summary>
    public List<StoredMessage>? Timeline(long agencyId, string clientId, string origin, long afterPosition, int limit)
    {
        using var connection = database.OpenReader();
        if (!Exists(connection, agencyId, clientId))
        {
            return null;
        }

        using var command = connection.Command(
            $"SELECT position, body, {StoredMessage.OwnEchoColumn} FROM messages WHERE agency_id = @agency AND client_id = @client AND position > @after ORDER BY position LIMIT @limit",
            null, ("@agency", agencyId), ("@client", clientId), ("@origin", origin), ("@after", afterPosition), ("@limit", limit));
        using var reader = command.ExecuteReader();
        var messages = new List<StoredMessage>();
        while (reader.Read())
        {
            messages.Add(new StoredMessage(reader.GetInt64(0), reader.Bytes(1), reader.GetInt64(2) == 1));
        }

        return messages;
    }

    private static bool Exists(DbConnection connection, long agencyId, string clientId) =>
        connection.Scalar<long>(
            "SELECT COUNT(*) FROM clients WHERE agency_id = @agency AND client_id = @client", null, ("@agency", agencyId), ("@client", clientId)) > 0;

    private static IEnumerable<SectionDetails> ReadSections(DbCommand command)
    {
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return MessageReader.ReadDetails(reader.Bytes(1), Section.Find(reader.GetString(0)));
        }
    }

    private static string EscapeLike(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
