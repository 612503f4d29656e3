using Caseline.Server.Webhooks;

namespace Caseline.Server.Storage;

/// <summary>Webhook endpoints and their deliveries; every state transition of a delivery is one method here: its SQL, portable.</summary>
internal class DeliveryStorage(Database database)
{
    protected Database Database { get; } = database;

    // ---- Reads of the officer's pages (moved from WebQueries). ----

    /// <summary>The agency's endpoints as a client's timeline shows them, oldest first.</summary>
    public IReadOnlyList<TimelineEndpoint> TimelineEndpoints(long agencyId)
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command(
            "SELECT id, COALESCE(description, url), sub_types, enqueued_through FROM webhook_endpoints WHERE agency_id = @agency ORDER BY created_at, id", null, ("@agency", agencyId));
        using var reader = command.ExecuteReader();
        var endpoints = new List<TimelineEndpoint>();
        while (reader.Read())
        {
            endpoints.Add(new TimelineEndpoint(reader.GetString(0), reader.GetString(1), WebhookStore.ParseSubTypes(reader.NullableString(2)), reader.GetInt64(3)));
        }

        return endpoints;
    }

    /// <summary>Every delivery of the client's messages to the agency's endpoints.</summary>
    public IReadOnlyList<ClientDelivery> ForClient(long agencyId, string clientId)
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command(
            """
            SELECT d.position, d.endpoint_id, d.state, d.attempts, d.id FROM deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
            WHERE e.agency_id = @agency AND d.client_id = @client
            """, null, ("@agency", agencyId), ("@client", clientId));
        using var reader = command.ExecuteReader();
        var deliveries = new List<ClientDelivery>();
        while (reader.Read())
        {
            deliveries.Add(new ClientDelivery(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetInt64(4)));
        }

        return deliveries;
    }

    /// <summary>The agency's endpoints (or just <paramref name="endpointId"/>).</summary>
    public IReadOnlyList<WebhookEndpoint> Endpoints(long agencyId, string? endpointId)
    {
        using var connection = Database.OpenReader();
        return [.. WebhookStore.List(connection, agencyId).Where(e => endpointId is null || e.Id == endpointId)];
    }

    /// <summary>The endpoint's attempts since <paramref name="since"/>, hour by hour: the hour's index from <paramref name="since"/>, how many succeeded, how many failed.</summary>
    public IReadOnlyList<(int Hour, int Delivered, int Failed)> HourlyAttempts(string endpointId, DateTimeOffset since)
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command(
            """
            SELECT (a.at - @since) / @hour, SUM(CASE WHEN a.status_code BETWEEN 200 AND 299 THEN 1 ELSE 0 END), SUM(CASE WHEN a.status_code BETWEEN 200 AND 299 THEN 0 ELSE 1 END)
            FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
            WHERE d.endpoint_id = @endpoint AND a.at >= @since GROUP BY (a.at - @since) / @hour
            """, null, ("@endpoint", endpointId), ("@since", since.UtcTicks), ("@hour", TimeSpan.TicksPerHour));
        using var reader = command.ExecuteReader();
        var hours = new List<(int, int, int)>();
        while (reader.Read())
        {
            hours.Add(((int)reader.GetInt64(0), (int)reader.GetInt64(1), (int)reader.GetInt64(2)));
        }

        return hours;
    }

    /// <summary>How many of the endpoint's deliveries are in each state (states with none are left out).</summary>
    public IReadOnlyDictionary<string, int> CountByState(string endpointId)
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command("SELECT state, COUNT(*) FROM deliveries WHERE endpoint_id = @endpoint GROUP BY state", null, ("@endpoint", endpointId));
        using var reader = command.ExecuteReader();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        while (reader.Read())
        {
            counts[reader.GetString(0)] = (int)reader.GetInt64(1);
        }

        return counts;
    }

    /// <summary>
    /// For each client, the earliest open delivery of its stream to the endpoint: the only one the dispatcher sends, so every
    /// later one waits for it, whatever its own next-attempt time says.
    /// </summary>
    public IReadOnlyDictionary<string, long> StreamHeads(string endpointId, IEnumerable<string> clientIds)
    {
        using var connection = Database.OpenReader();
        var heads = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var clientId in clientIds.Distinct(StringComparer.Ordinal))
        {
            if (connection.Scalar<long?>(
                $"""
                SELECT id FROM deliveries WHERE endpoint_id = @endpoint AND client_id = @client
                AND state IN ('{DeliveryState.Pending}', '{DeliveryState.Retrying}', '{DeliveryState.InFlight}') ORDER BY position LIMIT 1
                """, null, ("@endpoint", endpointId), ("@client", clientId)) is { } id)
            {
                heads[clientId] = id;
            }
        }

        return heads;
    }
}

/// <summary>An endpoint as a client's timeline shows it: its label, the sub-types it takes (null: all), and how far fan-out has reached.</summary>
internal sealed record TimelineEndpoint(string Id, string Label, IReadOnlyList<string>? SubTypes, long EnqueuedThrough);

/// <summary>A delivery of one of a client's messages: the message's position, the endpoint, its state and attempts.</summary>
internal sealed record ClientDelivery(long Position, string EndpointId, string State, int Attempts, long Id);
