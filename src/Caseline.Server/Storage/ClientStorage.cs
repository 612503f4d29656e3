using System.Data.Common;
using Caseline.Messages;
using Caseline.Server.Sync;

namespace Caseline.Server.Storage;

/// <summary>
/// Clients, their sections and items, a client's history in the log, and the agency's lookup values: its SQL, portable.
/// Every statement names the agency: no row of another agency can come back.
/// </summary>
internal class ClientStorage(Database database)
{
    /// <summary>The <c>item_id</c> of a client's own section (one row per section, no item).</summary>
    public const string NoItem = "";

    private const string ExistsQuery = "SELECT COUNT(*) FROM clients WHERE agency_id = @agency AND client_id = @client";

    private const string SummaryColumns = "client_id, first_name, last_name, status, caseload, officer";

    // The client list's sort orders; NULLs sort as empty text, so that both stores put clients with no value first.
    private static readonly Dictionary<string, string[]> SortColumns = new(StringComparer.OrdinalIgnoreCase)
    {
        [ClientSort.Id] = ["client_id"],
        [ClientSort.Name] = ["COALESCE(LOWER(last_name), '')", "COALESCE(LOWER(first_name), '')"],
        [ClientSort.Status] = ["COALESCE(status, '')"],
        [ClientSort.Caseload] = ["COALESCE(LOWER(caseload), '')"],
        [ClientSort.Officer] = ["COALESCE(LOWER(officer), '')"],
    };

    // The client columns whose values the caseloads and officers lookups gather.
    private static readonly Dictionary<string, string> InUseColumns = new(StringComparer.OrdinalIgnoreCase)
    {
        ["caseloads"] = "caseload",
        ["officers"] = "officer",
    };

    protected Database Database { get; } = database;

    // ---- Writes: a client and its sections, inside a write unit. ----

    /// <summary>Whether the agency has the client, as the unit sees it.</summary>
    public bool Exists(WriteScope scope, long agencyId, string clientId) =>
        scope.Scalar<long>(ExistsQuery, ("@agency", agencyId), ("@client", clientId)) > 0;

    /// <summary>Whether the client exists, and the stored bytes of one of its sections or items (null when not stored), in one query.</summary>
    public (bool Exists, byte[]? Stored) FindWithSection(WriteScope scope, long agencyId, string clientId, Section section, string? itemId)
    {
        using var reader = scope.Query(
            """
            SELECT c.client_id, s.details FROM clients c
            LEFT JOIN sections s ON s.agency_id = c.agency_id AND s.client_id = c.client_id AND s.section = @section AND s.item_id = @item
            WHERE c.agency_id = @agency AND c.client_id = @client
            """, ("@agency", agencyId), ("@client", clientId), ("@section", section.Name), ("@item", itemId ?? NoItem));
        return reader.Read() ? (true, reader.IsDBNull(1) ? null : reader.Bytes(1)) : (false, null);
    }

    /// <summary>Adds a client with no section yet, created at the batch's commit time.</summary>
    public void Insert(WriteScope scope, long agencyId, string clientId) =>
        scope.Execute(
            "INSERT INTO clients (agency_id, client_id, created_at) VALUES (@agency, @client, @now)",
            ("@agency", agencyId), ("@client", clientId), ("@now", scope.Now.UtcTicks));

    /// <summary>Every stored section and item of the client, keyed by section and item id.</summary>
    public Dictionary<(Section Section, string ItemId), byte[]> StoredSections(WriteScope scope, long agencyId, string clientId)
    {
        var stored = new Dictionary<(Section, string), byte[]>();
        using var reader = scope.Query(
            "SELECT section, item_id, details FROM sections WHERE agency_id = @agency AND client_id = @client",
            ("@agency", agencyId), ("@client", clientId));
        while (reader.Read())
        {
            stored[(Section.Find(reader.GetString(0))!, reader.GetString(1))] = reader.Bytes(2);
        }

        return stored;
    }

    /// <summary>The stored bytes of one section or item; null when it is not stored.</summary>
    public byte[]? StoredSection(WriteScope scope, long agencyId, string clientId, Section section, string? itemId) =>
        scope.Scalar<byte[]>(
            "SELECT details FROM sections WHERE agency_id = @agency AND client_id = @client AND section = @section AND item_id = @item",
            ("@agency", agencyId), ("@client", clientId), ("@section", section.Name), ("@item", itemId ?? NoItem));

    /// <summary>Stores a section's or item's bytes, inserting or replacing.</summary>
    public void PutSection(WriteScope scope, long agencyId, string clientId, Section section, string itemId, byte[] details) =>
        scope.Execute(
            """
            INSERT INTO sections (agency_id, client_id, section, item_id, details) VALUES (@agency, @client, @section, @item, @details)
            ON CONFLICT (agency_id, client_id, section, item_id) DO UPDATE SET details = excluded.details
            """, ("@agency", agencyId), ("@client", clientId), ("@section", section.Name), ("@item", itemId), ("@details", details));

    public void DeleteSection(WriteScope scope, long agencyId, string clientId, Section section, string itemId) =>
        scope.Execute(
            "DELETE FROM sections WHERE agency_id = @agency AND client_id = @client AND section = @section AND item_id = @item",
            ("@agency", agencyId), ("@client", clientId), ("@section", section.Name), ("@item", itemId));

    /// <summary>Keeps the names the client list shows and searches (null when Personal Details is removed).</summary>
    public void SetNames(WriteScope scope, long agencyId, string clientId, string? firstName, string? lastName, string? searchName) =>
        scope.Execute(
            "UPDATE clients SET first_name = @first, last_name = @last, search_name = @search WHERE agency_id = @agency AND client_id = @client",
            ("@agency", agencyId), ("@client", clientId), ("@first", firstName), ("@last", lastName), ("@search", searchName));

    /// <summary>Keeps the status, caseload and officer the client list shows and filters on (null when Account Details is removed).</summary>
    public void SetAssignment(WriteScope scope, long agencyId, string clientId, string? status, string? caseload, string? officer) =>
        scope.Execute(
            "UPDATE clients SET status = @status, caseload = @caseload, officer = @officer WHERE agency_id = @agency AND client_id = @client",
            ("@agency", agencyId), ("@client", clientId), ("@status", status), ("@caseload", caseload), ("@officer", officer));

    // ---- Reads: profiles, lists, a client's history. ----

    /// <summary>Whether the agency has the client.</summary>
    public bool Exists(long agencyId, string clientId)
    {
        using var connection = Database.OpenReader();
        return Exists(connection, agencyId, clientId);
    }

    /// <summary>Every stored section and item of the client; null when the agency has no such client.</summary>
    public IReadOnlyList<StoredSection>? Sections(long agencyId, string clientId)
    {
        using var connection = Database.OpenReader();
        if (!Exists(connection, agencyId, clientId))
        {
            return null;
        }

        using var command = connection.Command(
            "SELECT section, item_id, details FROM sections WHERE agency_id = @agency AND client_id = @client", null, ("@agency", agencyId), ("@client", clientId));
        return ReadSections(command);
    }

    /// <summary>The client's items of <paramref name="section"/> (or just <paramref name="itemId"/>) in item order; null when the agency has no such client.</summary>
    public IReadOnlyList<StoredSection>? Items(long agencyId, string clientId, Section section, string? itemId)
    {
        using var connection = Database.OpenReader();
        if (!Exists(connection, agencyId, clientId))
        {
            return null;
        }

        using var command = connection.Command(
            "SELECT section, item_id, details FROM sections WHERE agency_id = @agency AND client_id = @client AND section = @section"
            + (itemId is null ? "" : " AND item_id = @item") + " ORDER BY item_id",
            null, ("@agency", agencyId), ("@client", clientId), ("@section", section.Name), ("@item", itemId));
        return ReadSections(command);
    }

    /// <summary>When the client was created; null when the agency has no such client.</summary>
    public DateTimeOffset? CreatedAt(long agencyId, string clientId)
    {
        using var connection = Database.OpenReader();
        return connection.Scalar<long?>(
            "SELECT created_at FROM clients WHERE agency_id = @agency AND client_id = @client", null, ("@agency", agencyId), ("@client", clientId)) is { } ticks
            ? new DateTimeOffset(ticks, TimeSpan.Zero)
            : null;
    }

    /// <summary>The client's messages in log order, those that occurred at or before <paramref name="through"/> when given.</summary>
    public IReadOnlyList<LoggedMessage> Messages(long agencyId, string clientId, DateTimeOffset? through = null)
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command(
            "SELECT position, body FROM messages WHERE agency_id = @agency AND client_id = @client"
            + (through is null ? "" : " AND occurred_on <= @through") + " ORDER BY position",
            null, ("@agency", agencyId), ("@client", clientId), ("@through", through?.UtcTicks));
        using var reader = command.ExecuteReader();
        var messages = new List<LoggedMessage>();
        while (reader.Read())
        {
            messages.Add(new LoggedMessage(reader.GetInt64(0), reader.Bytes(1)));
        }

        return messages;
    }

    /// <summary>
    /// Up to <paramref name="limit"/> of the client's messages after <paramref name="afterPosition"/>, oldest first, <paramref name="origin"/>
    /// marking the reader's own echoes; null when the agency has no such client.
    /// </summary>
    public IReadOnlyList<StoredMessage>? Timeline(long agencyId, string clientId, string origin, long afterPosition, int limit)
    {
        using var connection = Database.OpenReader();
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

    /// <summary>The sort keys <see cref="List"/> takes.</summary>
    public static IReadOnlyCollection<string> Sorts => SortColumns.Keys;

    /// <summary>
    /// The clients <paramref name="query"/> asks for: those its filter matches, in its order, after its keyset cursor or past its offset,
    /// at most its limit.
    /// </summary>
    public IReadOnlyList<ClientSummary> List(long agencyId, ClientQuery query)
    {
        var (where, parameters) = Where(agencyId, query.Filter);
        var direction = query.Descending ? " DESC" : "";
        var order = string.Join(", ", SortColumns.GetValueOrDefault(query.Sort, ["client_id"]).Append("client_id").Distinct().Select(c => c + direction));
        using var connection = Database.OpenReader();
        using var command = connection.Command(
            $"SELECT {SummaryColumns} FROM clients WHERE {where}" + (query.After is null ? "" : " AND client_id > @after")
            + $" ORDER BY {order} LIMIT @limit" + (query.Offset == 0 ? "" : " OFFSET @offset"),
            null, [.. parameters, ("@after", query.After), ("@limit", query.Limit), ("@offset", query.Offset)]);
        using var reader = command.ExecuteReader();
        var clients = new List<ClientSummary>();
        while (reader.Read())
        {
            clients.Add(new ClientSummary(reader.GetString(0), reader.NullableString(1), reader.NullableString(2), reader.NullableString(3), reader.NullableString(4), reader.NullableString(5)));
        }

        return clients;
    }

    /// <summary>How many of the agency's clients <paramref name="filter"/> matches.</summary>
    public int Count(long agencyId, ClientFilter filter)
    {
        var (where, parameters) = Where(agencyId, filter);
        using var connection = Database.OpenReader();
        return (int)connection.Scalar<long>($"SELECT COUNT(*) FROM clients WHERE {where}", null, parameters);
    }

    // ---- Lookups. ----

    /// <summary>The values the agency configured for a lookup list, in their order; empty when it configured none.</summary>
    public IReadOnlyList<string> LookupValues(long agencyId, string kind)
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command(
            "SELECT value FROM lookups WHERE agency_id = @agency AND kind = @kind ORDER BY sort", null, ("@agency", agencyId), ("@kind", kind));
        return ReadStrings(command);
    }

    /// <summary>The distinct values the agency's clients carry for a lookup that gathers them (caseloads, officers), in order; empty for any other kind.</summary>
    public IReadOnlyList<string> ValuesInUse(long agencyId, string kind)
    {
        if (!InUseColumns.TryGetValue(kind, out var column))
        {
            return [];
        }

        using var connection = Database.OpenReader();
        using var command = connection.Command(
            $"SELECT DISTINCT {column} FROM clients WHERE agency_id = @agency AND {column} IS NOT NULL ORDER BY {column}", null, ("@agency", agencyId));
        return ReadStrings(command);
    }

    /// <summary>Replaces the agency's values of a lookup list (none: the defaults apply again).</summary>
    public void ReplaceLookup(WriteScope scope, long agencyId, string kind, IReadOnlyList<string> values)
    {
        scope.Execute("DELETE FROM lookups WHERE agency_id = @agency AND kind = @kind", ("@agency", agencyId), ("@kind", kind));
        for (var i = 0; i < values.Count; i++)
        {
            scope.Execute(
                "INSERT INTO lookups (agency_id, kind, value, sort) VALUES (@agency, @kind, @value, @sort)",
                ("@agency", agencyId), ("@kind", kind), ("@value", values[i]), ("@sort", i));
        }
    }

    /// <summary>
    /// The filter as SQL: the search matches part of either name or of the identifier, status, caseload and officer match
    /// whole values; all ignore case. Names are kept lower-cased (<c>search_name</c>), so one query serves every provider.
    /// </summary>
    private static (string Where, (string, object?)[] Parameters) Where(long agencyId, ClientFilter filter) =>
        ("agency_id = @agency"
            + (filter.Search is null ? "" : " AND (search_name LIKE @search ESCAPE '\\' OR LOWER(client_id) LIKE @search ESCAPE '\\')")
            + (filter.Status is null ? "" : " AND LOWER(status) = @status")
            + (filter.Caseload is null ? "" : " AND LOWER(caseload) = @caseload")
            + (filter.Officer is null ? "" : " AND LOWER(officer) = @officer"),
        [
            ("@agency", agencyId), ("@search", filter.Search is null ? null : $"%{EscapeLike(filter.Search.ToLowerInvariant())}%"),
            ("@status", filter.Status?.ToLowerInvariant()), ("@caseload", filter.Caseload?.ToLowerInvariant()), ("@officer", filter.Officer?.ToLowerInvariant()),
        ]);

    /// <summary>Text for a <c>LIKE … ESCAPE '\'</c> pattern that matches it literally.</summary>
    private static string EscapeLike(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    private static bool Exists(DbConnection connection, long agencyId, string clientId) =>
        connection.Scalar<long>(ExistsQuery, null, ("@agency", agencyId), ("@client", clientId)) > 0;

    private static List<StoredSection> ReadSections(DbCommand command)
    {
        using var reader = command.ExecuteReader();
        var sections = new List<StoredSection>();
        while (reader.Read())
        {
            sections.Add(new StoredSection(Section.Find(reader.GetString(0))!, reader.GetString(1), reader.Bytes(2)));
        }

        return sections;
    }

    private static List<string> ReadStrings(DbCommand command)
    {
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}

/// <summary>A stored section or item: its section, its item id (empty for a client's own section) and its details as stored.</summary>
internal sealed record StoredSection(Section Section, string ItemId, byte[] Details);

/// <summary>One of a client's messages: its feed position and its bytes as emitted.</summary>
internal sealed record LoggedMessage(long Position, byte[] Body);
