using System.Data.Common;
using System.Text.Json;
using Caseline.Server.Http;
using Caseline.Server.Storage;

namespace Caseline.Server.Webhooks;

/// <summary>Endpoint and delivery rows. Every read and change names the agency.</summary>
internal static class WebhookStore
{
    private const string EndpointColumns = "id, url, description, sub_types, enabled, disabled_reason, created_at, last_success_at, failing_since";
    private const string DeliveryColumns = "id, position, client_id, state, attempts, next_attempt_at, last_status, last_error, created_at, finished_at";

    public static WebhookEndpoint? Find(DbConnection connection, DbTransaction? transaction, long agencyId, string id)
    {
        using var command = connection.Command(
            $"SELECT {EndpointColumns} FROM webhook_endpoints WHERE agency_id = @agency AND id = @id", transaction, ("@agency", agencyId), ("@id", id));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadEndpoint(reader) : null;
    }

    public static List<WebhookEndpoint> List(DbConnection connection, long agencyId)
    {
        using var command = connection.Command($"SELECT {EndpointColumns} FROM webhook_endpoints WHERE agency_id = @agency ORDER BY created_at, id", null, ("@agency", agencyId));
        using var reader = command.ExecuteReader();
        var endpoints = new List<WebhookEndpoint>();
        while (reader.Read())
        {
            endpoints.Add(ReadEndpoint(reader));
        }

        return endpoints;
    }

    public static string? SubTypesJson(IReadOnlyList<string>? subTypes) =>
        subTypes is { Count: > 0 } ? JsonSerializer.Serialize(subTypes, ServerJsonContext.Default.IReadOnlyListString) : null;

    public static IReadOnlyList<string>? ParseSubTypes(string? json) =>
        json is null ? null : JsonSerializer.Deserialize(json, ServerJsonContext.Default.IReadOnlyListString);

    public static Delivery? FindDelivery(DbConnection connection, long agencyId, string endpointId, long deliveryId)
    {
        using var command = connection.Command(
            $"""
            SELECT {DeliveryColumns} FROM deliveries
            WHERE id = @id AND endpoint_id = @endpoint AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE agency_id = @agency)
            """,
            null, ("@id", deliveryId), ("@endpoint", endpointId), ("@agency", agencyId));
        Delivery? delivery;
        using (var reader = command.ExecuteReader())
        {
            delivery = reader.Read() ? ReadDelivery(reader) : null;
        }

        return delivery is null ? null : delivery with { AttemptLog = Attempts(connection, deliveryId) };
    }

    public static (List<Delivery> Deliveries, bool HasMore) ListDeliveries(DbConnection connection, string endpointId, string? state, long afterId, int limit)
    {
        using var command = connection.Command(
            $"SELECT {DeliveryColumns} FROM deliveries WHERE endpoint_id = @endpoint AND id > @after"
            + (state is null ? "" : " AND state = @state") + " ORDER BY id LIMIT @limit",
            null, ("@endpoint", endpointId), ("@after", afterId), ("@state", state), ("@limit", limit + 1));
        using var reader = command.ExecuteReader();
        var deliveries = new List<Delivery>();
        while (reader.Read())
        {
            deliveries.Add(ReadDelivery(reader));
        }

        var hasMore = deliveries.Count > limit;
        return (hasMore ? deliveries[..limit] : deliveries, hasMore);
    }

    /// <summary>An endpoint's newest deliveries, in one state or any.</summary>
    public static List<Delivery> LatestDeliveries(DbConnection connection, string endpointId, string? state, int limit)
    {
        using var command = connection.Command(
            $"SELECT {DeliveryColumns} FROM deliveries WHERE endpoint_id = @endpoint" + (state is null ? "" : " AND state = @state") + " ORDER BY id DESC LIMIT @limit",
            null, ("@endpoint", endpointId), ("@state", state), ("@limit", limit));
        using var reader = command.ExecuteReader();
        var deliveries = new List<Delivery>();
        while (reader.Read())
        {
            deliveries.Add(ReadDelivery(reader));
        }

        return deliveries;
    }

    private static List<DeliveryAttempt> Attempts(DbConnection connection, long deliveryId)
    {
        using var command = connection.Command(
            "SELECT attempt, at, status_code, latency_ms, error FROM delivery_attempts WHERE delivery_id = @id ORDER BY attempt", null, ("@id", deliveryId));
        using var reader = command.ExecuteReader();
        var attempts = new List<DeliveryAttempt>();
        while (reader.Read())
        {
            attempts.Add(new DeliveryAttempt(
                reader.GetInt32(0), reader.Timestamp(1), reader.IsDBNull(2) ? null : reader.GetInt32(2), reader.GetDouble(3), reader.NullableString(4)));
        }

        return attempts;
    }

    private static WebhookEndpoint ReadEndpoint(DbDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.NullableString(2), ParseSubTypes(reader.NullableString(3)), reader.GetInt64(4) != 0,
        reader.NullableString(5), reader.Timestamp(6), reader.NullableTimestamp(7), reader.NullableTimestamp(8), Secret: null);

    private static Delivery ReadDelivery(DbDataReader reader)
    {
        var state = reader.GetString(3);
        var open = state is DeliveryState.Pending or DeliveryState.Retrying or DeliveryState.InFlight;
        return new(
            reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), state, reader.GetInt32(4), open ? reader.NullableTimestamp(5) : null,
            reader.IsDBNull(6) ? null : reader.GetInt32(6), reader.NullableString(7), reader.Timestamp(8), reader.NullableTimestamp(9), AttemptLog: null);
    }
}
