using System.Data.Common;
using System.Text.Json;
using Caseline.Messages;
using Caseline.Messages.Json;
using Caseline.Server.Storage;
using Caseline.Server.Sync;
using Caseline.Server.Webhooks;

namespace Caseline.Server.Web;

/// <summary>One section or item as the pages show it: its details as written on the wire, and its last change in the log.</summary>
internal sealed record SectionState(Section Section, string ItemId, JsonElement Details, LastChange? Changed)
{
    public static SectionState Of(SectionDetails details, LastChange? changed = null) =>
        new(details.Section, (details as ItemDetails)?.IntegrationId ?? "", Json(MessageWriter.DetailsToUtf8Bytes(details)), changed);

    public static JsonElement Json(byte[] utf8)
    {
        using var document = JsonDocument.Parse(utf8);
        return document.RootElement.Clone();
    }
}

/// <summary>Who changed a section or item last, when, and how.</summary>
internal sealed record LastChange(DateTimeOffset At, string By, ChangeVerb? Verb);

/// <summary>What the caseload page asks for.</summary>
internal sealed record CaseloadQuery(string? Name, string? Status, string? Caseload, string? Officer, string Sort, bool Descending, int Page, int PageSize = 25);

/// <summary>One page of the caseload, with how many clients match in all.</summary>
internal sealed record CaseloadPage(IReadOnlyList<ClientSummary> Clients, int Total, int Page, int PageSize)
{
    public int Pages => Math.Max(1, (Total + PageSize - 1) / PageSize);
}

/// <summary>A client as the profile page shows it: every section and item, each with its last change.</summary>
internal sealed record ClientPage(string ClientId, IReadOnlyList<SectionState> Sections)
{
    public SectionState? Own(Section section) => Sections.FirstOrDefault(s => s.Section == section);

    public IEnumerable<SectionState> Items(Section section) => Sections.Where(s => s.Section == section).OrderBy(s => s.ItemId, StringComparer.Ordinal);

    public string Name => Own(Section.PersonalDetails) is { } personal
        ? $"{Display.Text(personal.Details, "FirstName")} {Display.Text(personal.Details, "LastName")}".Trim()
        : "";
}

/// <summary>One message of a client's timeline: what changed in its section, and how far it got to each endpoint.</summary>
internal sealed record TimelineEntry(long Position, ClientMessage Message, IReadOnlyList<FieldChange> Changes, IReadOnlyList<DeliveryStatus> Deliveries);

/// <summary>A field whose value differs between two states of a section.</summary>
internal sealed record FieldChange(string Field, string? Before, string? After);

/// <summary>A message's delivery to one endpoint: its state, or why there is none.</summary>
internal sealed record DeliveryStatus(string EndpointId, string Endpoint, string State, int Attempts, long? DeliveryId);

/// <summary>One hour of an endpoint's last day: attempts that succeeded and that failed.</summary>
internal sealed record HourlyDeliveries(DateTimeOffset Hour, int Delivered, int Failed);

/// <summary>An endpoint's health: its last 24 hours and what waits to be sent.</summary>
internal sealed record EndpointHealth(WebhookEndpoint Endpoint, IReadOnlyList<HourlyDeliveries> Hours, IReadOnlyDictionary<string, int> ByState)
{
    public int Backlog => ByState.Where(s => s.Key is DeliveryState.Pending or DeliveryState.Retrying or DeliveryState.InFlight).Sum(s => s.Value);
}

/// <summary>The reads only the web UI makes. Every query names the agency, as <see cref="ProfileQueries"/> does.</summary>
internal sealed class WebQueries(Database database, ProfileQueries profiles, TimeProvider clock)
{
    // NULLs sort as empty text, so that both stores put clients with no value first.
    private static readonly Dictionary<string, string[]> SortColumns = new(StringComparer.OrdinalIgnoreCase)
    {
        ["id"] = ["client_id"],
        ["name"] = ["COALESCE(LOWER(last_name), '')", "COALESCE(LOWER(first_name), '')"],
        ["status"] = ["COALESCE(status, '')"],
        ["caseload"] = ["COALESCE(LOWER(caseload), '')"],
        ["officer"] = ["COALESCE(LOWER(officer), '')"],
    };

    public static IReadOnlyCollection<string> Sorts => SortColumns.Keys;

    public CaseloadPage Caseload(long agencyId, CaseloadQuery query)
    {
        var where = "agency_id = @agency"
            + (query.Name is null ? "" : " AND (search_name LIKE @name ESCAPE '\\' OR LOWER(client_id) LIKE @name ESCAPE '\\')")
            + (query.Status is null ? "" : " AND status = @status")
            + (query.Caseload is null ? "" : " AND caseload = @caseload")
            + (query.Officer is null ? "" : " AND LOWER(officer) = LOWER(@officer)");
        (string, object?)[] parameters =
        [
            ("@agency", agencyId), ("@name", query.Name is null ? null : $"%{EscapeLike(query.Name.ToLowerInvariant())}%"),
            ("@status", query.Status), ("@caseload", query.Caseload), ("@officer", query.Officer),
        ];
        using var connection = database.OpenReader();
        var total = (int)connection.Scalar<long>($"SELECT COUNT(*) FROM clients WHERE {where}", null, parameters);
        var pages = Math.Max(1, (total + query.PageSize - 1) / query.PageSize);
        var page = Math.Clamp(query.Page, 1, pages);
        var direction = query.Descending ? " DESC" : "";
        var order = string.Join(", ", SortColumns.GetValueOrDefault(query.Sort, ["client_id"]).Append("client_id").Distinct().Select(c => c + direction));
        using var command = connection.Command(
            $"SELECT client_id, first_name, last_name, status, caseload, officer FROM clients WHERE {where} ORDER BY {order} LIMIT @limit OFFSET @offset",
            null, [.. parameters, ("@limit", query.PageSize), ("@offset", (page - 1) * query.PageSize)]);
        using var reader = command.ExecuteReader();
        var clients = new List<ClientSummary>();
        while (reader.Read())
        {
            clients.Add(new ClientSummary(reader.GetString(0), reader.NullableString(1), reader.NullableString(2), reader.NullableString(3), reader.NullableString(4), reader.NullableString(5)));
        }

        return new CaseloadPage(clients, total, page, query.PageSize);
    }

    /// <summary>The client's stored sections, each with its last change from the log; null when the client is not of the agency.</summary>
    public ClientPage? Client(long agencyId, string clientId)
    {
        using var connection = database.OpenReader();
        if (connection.Scalar<long>("SELECT COUNT(*) FROM clients WHERE agency_id = @agency AND client_id = @client", null, ("@agency", agencyId), ("@client", clientId)) == 0)
        {
            return null;
        }

        var changes = new Dictionary<(Section, string), LastChange>();
        foreach (var (_, message) in Messages(connection, agencyId, clientId))
        {
            changes[Key(message.Details)] = new LastChange(message.Action.OccurredOn, message.Action.UpdatedBy, message.Verb);
        }

        var sections = new List<SectionState>();
        using var command = connection.Command(
            "SELECT section, item_id, details FROM sections WHERE agency_id = @agency AND client_id = @client", null, ("@agency", agencyId), ("@client", clientId));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var section = Section.Find(reader.GetString(0))!;
            var itemId = reader.GetString(1);
            sections.Add(new SectionState(section, itemId, SectionState.Json(reader.Bytes(2)), changes.GetValueOrDefault((section, itemId))));
        }

        return new ClientPage(clientId, sections);
    }

    /// <summary>The profile at an instant, rebuilt from the log; null when the client did not exist then (or is not of the agency).</summary>
    public ClientPage? AsOf(long agencyId, string clientId, DateTimeOffset at) =>
        profiles.SectionsAsOf(agencyId, clientId, at) is { } sections ? new ClientPage(clientId, [.. sections.Select(d => SectionState.Of(d))]) : null;

    /// <summary>The client's messages, newest first, each with its field changes and its deliveries; null when the client is not of the agency.</summary>
    public IReadOnlyList<TimelineEntry>? Timeline(long agencyId, string clientId)
    {
        using var connection = database.OpenReader();
        if (connection.Scalar<long>("SELECT COUNT(*) FROM clients WHERE agency_id = @agency AND client_id = @client", null, ("@agency", agencyId), ("@client", clientId)) == 0)
        {
            return null;
        }

        var endpoints = Endpoints(connection, agencyId);
        var deliveries = new Dictionary<(long, string), (string State, int Attempts, long Id)>();
        using (var command = connection.Command(
            """
            SELECT d.position, d.endpoint_id, d.state, d.attempts, d.id FROM deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
            WHERE e.agency_id = @agency AND d.client_id = @client
            """, null, ("@agency", agencyId), ("@client", clientId)))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                deliveries[(reader.GetInt64(0), reader.GetString(1))] = (reader.GetString(2), reader.GetInt32(3), reader.GetInt64(4));
            }
        }

        var previous = new Dictionary<(Section, string), JsonElement>();
        var entries = new List<TimelineEntry>();
        foreach (var (position, message) in Messages(connection, agencyId, clientId))
        {
            var key = Key(message.Details);
            var state = SectionState.Of(message.Details).Details;
            var before = previous.TryGetValue(key, out var earlier) ? earlier : (JsonElement?)null;
            var after = message.Verb == ChangeVerb.Removed ? (JsonElement?)null : state;
            if (after is null)
            {
                previous.Remove(key);
            }
            else
            {
                previous[key] = state;
            }

            var statuses = endpoints
                .Where(e => e.SubTypes is null || e.SubTypes.Contains(message.Details.SubType, StringComparer.Ordinal))
                .Select(e => deliveries.TryGetValue((position, e.Id), out var d)
                    ? new DeliveryStatus(e.Id, e.Label, d.State, d.Attempts, d.Id)
                    : new DeliveryStatus(e.Id, e.Label, position > e.EnqueuedThrough ? "Waiting" : "No record", 0, null))
                .ToList();
            entries.Add(new TimelineEntry(position, message, Display.Diff(message.Details.Section, before, after), statuses));
        }

        entries.Reverse();
        return entries;
    }

    /// <summary>Every endpoint of the agency with its last 24 hours, hour by hour, and its deliveries by state.</summary>
    public IReadOnlyList<EndpointHealth> Health(long agencyId, string? endpointId = null)
    {
        using var connection = database.OpenReader();
        var now = clock.GetUtcNow();
        var firstHour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(-23);
        var health = new List<EndpointHealth>();
        foreach (var endpoint in database.Deliveries.Endpoints(agencyId).Where(e => endpointId is null || e.Id == endpointId))
        {
            var hours = Enumerable.Range(0, 24).Select(h => new HourlyDeliveries(firstHour.AddHours(h), 0, 0)).ToArray();
            using (var command = connection.Command(
                """
                SELECT (a.at - @since) / @hour, SUM(CASE WHEN a.status_code BETWEEN 200 AND 299 THEN 1 ELSE 0 END), SUM(CASE WHEN a.status_code BETWEEN 200 AND 299 THEN 0 ELSE 1 END)
                FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
                WHERE d.endpoint_id = @endpoint AND a.at >= @since GROUP BY (a.at - @since) / @hour
                """, null, ("@endpoint", endpoint.Id), ("@since", firstHour.UtcTicks), ("@hour", TimeSpan.TicksPerHour)))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    var index = (int)reader.GetInt64(0);
                    if (index is >= 0 and < 24)
                    {
                        hours[index] = hours[index] with { Delivered = (int)reader.GetInt64(1), Failed = (int)reader.GetInt64(2) };
                    }
                }
            }

            var byState = DeliveryState.All.ToDictionary(s => s, _ => 0, StringComparer.Ordinal);
            using (var command = connection.Command(
                "SELECT state, COUNT(*) FROM deliveries WHERE endpoint_id = @endpoint GROUP BY state", null, ("@endpoint", endpoint.Id)))
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    byState[reader.GetString(0)] = (int)reader.GetInt64(1);
                }
            }

            health.Add(new EndpointHealth(endpoint, hours, byState));
        }

        return health;
    }

    /// <summary>
    /// For each client, the earliest open delivery of its stream to the endpoint: the only one the dispatcher sends, so every
    /// later one waits for it, whatever its own next-attempt time says.
    /// </summary>
    public IReadOnlyDictionary<string, long> StreamHeads(string endpointId, IEnumerable<string> clientIds)
    {
        using var connection = database.OpenReader();
        var heads = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var clientId in clientIds.Distinct(StringComparer.Ordinal))
        {
            using var command = connection.Command(
                $"""
                SELECT id FROM deliveries WHERE endpoint_id = @endpoint AND client_id = @client
                AND state IN ('{DeliveryState.Pending}', '{DeliveryState.Retrying}', '{DeliveryState.InFlight}') ORDER BY position LIMIT 1
                """, null, ("@endpoint", endpointId), ("@client", clientId));
            if (command.ExecuteScalar() is { } id and not DBNull)
            {
                heads[clientId] = Convert.ToInt64(id, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return heads;
    }

    private sealed record EndpointRow(string Id, string Label, IReadOnlyList<string>? SubTypes, long EnqueuedThrough);

    private static List<EndpointRow> Endpoints(DbConnection connection, long agencyId)
    {
        using var command = connection.Command(
            "SELECT id, COALESCE(description, url), sub_types, enqueued_through FROM webhook_endpoints WHERE agency_id = @agency ORDER BY created_at, id", null, ("@agency", agencyId));
        using var reader = command.ExecuteReader();
        var endpoints = new List<EndpointRow>();
        while (reader.Read())
        {
            endpoints.Add(new EndpointRow(reader.GetString(0), reader.GetString(1), DeliveryStorage.ParseSubTypes(reader.NullableString(2)), reader.GetInt64(3)));
        }

        return endpoints;
    }

    private static IEnumerable<(long Position, ClientMessage Message)> Messages(DbConnection connection, long agencyId, string clientId)
    {
        using var command = connection.Command(
            "SELECT position, body FROM messages WHERE agency_id = @agency AND client_id = @client ORDER BY position", null, ("@agency", agencyId), ("@client", clientId));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return (reader.GetInt64(0), MessageReader.Read(reader.Bytes(1)));
        }
    }

    private static (Section, string) Key(SectionDetails details) => (details.Section, (details as ItemDetails)?.IntegrationId ?? "");

    private static string EscapeLike(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
