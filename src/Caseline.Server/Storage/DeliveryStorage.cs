using System.Data.Common;
using System.Text.Json;
using Caseline.Server.Http;
using Caseline.Server.Webhooks;

namespace Caseline.Server.Storage;

/// <summary>
/// Webhook endpoints and their deliveries; every state transition of a delivery is one method here: its SQL, portable.
/// State names are bound as parameters from <see cref="DeliveryState"/>, except <see cref="Finished"/>, which must read as
/// the partial indexes do.
/// </summary>
internal class DeliveryStorage(Database database)
{
    /// <summary>
    /// A delivery is open until it is finished: <c>state NOT IN {Finished}</c>, written exactly as in the
    /// <c>deliveries_open</c> index so that the index serves it (a bound parameter would not match its predicate).
    /// </summary>
    internal const string Finished = $"('{DeliveryState.Delivered}', '{DeliveryState.Failed}')";

    private const string EndpointColumns = "id, url, description, sub_types, enabled, disabled_reason, created_at, last_success_at, failing_since";
    private const string DeliveryColumns = "id, position, client_id, state, attempts, next_attempt_at, last_status, last_error, created_at, finished_at";

    /// <summary>
    /// An endpoint's due heads, earliest first, with what it takes to send them; a provider with many writers locks the
    /// rows it returns, skipping those another writer holds (<see cref="ClaimDue"/>).
    /// </summary>
    protected const string DueHeads =
        """
        SELECT d.id, d.endpoint_id, d.client_id, d.attempts, d.attempt_base, e.url, e.secret, e.previous_secret, e.previous_secret_until,
            m.activity_id, m.body, m.occurred_on, m.trace
        FROM deliveries d
        JOIN webhook_endpoints e ON e.id = d.endpoint_id
        JOIN messages m ON m.agency_id = e.agency_id AND m.position = d.position
        WHERE d.endpoint_id = @endpoint AND d.head = 1 AND d.next_attempt_at <= @now
        ORDER BY d.next_attempt_at, d.position
        LIMIT @limit
        """;

    /// <summary>The query that takes an endpoint's fan-out cursor when it is still where it was read (<see cref="TakeFanOut"/>).</summary>
    protected const string FanOutCursor = "SELECT id FROM webhook_endpoints WHERE id = @id AND enabled = 1 AND enqueued_through = @through";

    protected Database Database { get; } = database;

    /// <summary>The stored form of an endpoint's section filter: a JSON array, or null for every section.</summary>
    public static string? SubTypesJson(IReadOnlyList<string>? subTypes) =>
        subTypes is { Count: > 0 } ? JsonSerializer.Serialize(subTypes, ServerJsonContext.Default.IReadOnlyListString) : null;

    public static IReadOnlyList<string>? ParseSubTypes(string? json) =>
        json is null ? null : JsonSerializer.Deserialize(json, ServerJsonContext.Default.IReadOnlyListString);

    // Endpoints. Every read and change names the agency.

    /// <summary>Adds an enabled endpoint that receives what is written from now on (its cursor starts at the agency's log head).</summary>
    public void CreateEndpoint(WriteScope scope, long agencyId, string id, string url, string? description, IReadOnlyList<string>? subTypes, string protectedSecret) =>
        scope.Execute(
            """
            INSERT INTO webhook_endpoints (id, agency_id, url, description, sub_types, enabled, secret, created_at, updated_at, enqueued_through)
            SELECT @id, id, @url, @description, @subTypes, 1, @secret, @now, @now, last_position FROM agencies WHERE id = @agency
            """, ("@id", id), ("@agency", agencyId), ("@url", url), ("@description", description),
            ("@subTypes", SubTypesJson(subTypes)), ("@secret", protectedSecret), ("@now", scope.Now.UtcTicks));

    /// <summary>
    /// Changes an endpoint; <paramref name="enabled"/> true resumes it (clearing why it stopped and its failing clock), false pauses
    /// it as an administrator's choice, null leaves it as it is. False when the agency has no such endpoint.
    /// </summary>
    public bool UpdateEndpoint(WriteScope scope, long agencyId, string id, string url, string? description, IReadOnlyList<string>? subTypes, bool? enabled) =>
        scope.Execute(
            """
            UPDATE webhook_endpoints SET url = @url, description = @description, sub_types = @subTypes, updated_at = @now,
                enabled = COALESCE(@enabled, enabled),
                disabled_reason = CASE WHEN @enabled = 1 THEN NULL WHEN @enabled = 0 THEN 'Disabled by an administrator' ELSE disabled_reason END,
                failing_since = CASE WHEN @enabled = 1 THEN NULL ELSE failing_since END
            WHERE agency_id = @agency AND id = @id
            """, ("@id", id), ("@agency", agencyId), ("@url", url), ("@description", description),
            ("@subTypes", SubTypesJson(subTypes)), ("@enabled", enabled is { } on ? (on ? 1 : 0) : null), ("@now", scope.Now.UtcTicks)) > 0;

    /// <summary>Makes <paramref name="protectedSecret"/> the signing secret; the current one keeps signing until <paramref name="previousUntil"/>.</summary>
    public bool RotateSecret(WriteScope scope, long agencyId, string id, string protectedSecret, DateTimeOffset previousUntil) =>
        scope.Execute(
            """
            UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = @until, secret = @secret, updated_at = @now
            WHERE agency_id = @agency AND id = @id
            """, ("@id", id), ("@agency", agencyId), ("@secret", protectedSecret), ("@until", previousUntil.UtcTicks), ("@now", scope.Now.UtcTicks)) > 0;

    /// <summary>Whether the agency has the endpoint, as the write unit sees it.</summary>
    public bool EndpointExists(WriteScope scope, long agencyId, string id) =>
        scope.Scalar<long>("SELECT COUNT(*) FROM webhook_endpoints WHERE agency_id = @agency AND id = @id", ("@agency", agencyId), ("@id", id)) > 0;

    /// <summary>Removes an endpoint with its deliveries and their attempts.</summary>
    public void DeleteEndpoint(WriteScope scope, long agencyId, string id)
    {
        scope.Execute("DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE endpoint_id = @id)", ("@id", id));
        scope.Execute("DELETE FROM deliveries WHERE endpoint_id = @id", ("@id", id));
        scope.Execute("DELETE FROM webhook_endpoints WHERE agency_id = @agency AND id = @id", ("@agency", agencyId), ("@id", id));
    }

    /// <summary>The endpoint as the write unit sees it (without its secret).</summary>
    public WebhookEndpoint? FindEndpoint(WriteScope scope, long agencyId, string id)
    {
        using var reader = scope.Query($"SELECT {EndpointColumns} FROM webhook_endpoints WHERE agency_id = @agency AND id = @id", ("@agency", agencyId), ("@id", id));
        return reader.Read() ? ReadEndpoint(reader) : null;
    }

    /// <summary>The endpoint (without its secret), or null when the agency has none by that id.</summary>
    public WebhookEndpoint? FindEndpoint(long agencyId, string id)
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command($"SELECT {EndpointColumns} FROM webhook_endpoints WHERE agency_id = @agency AND id = @id", null, ("@agency", agencyId), ("@id", id));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadEndpoint(reader) : null;
    }

    /// <summary>The agency's endpoints, oldest first.</summary>
    public List<WebhookEndpoint> Endpoints(long agencyId)
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command($"SELECT {EndpointColumns} FROM webhook_endpoints WHERE agency_id = @agency ORDER BY created_at, id", null, ("@agency", agencyId));
        using var reader = command.ExecuteReader();
        var endpoints = new List<WebhookEndpoint>();
        while (reader.Read())
        {
            endpoints.Add(ReadEndpoint(reader));
        }

        return endpoints;
    }

    // Deliveries as the API and the pages read them.

    /// <summary>One delivery of the agency's endpoint with its attempt log, read in one snapshot.</summary>
    public Delivery? FindDelivery(long agencyId, string endpointId, long deliveryId)
    {
        using var connection = Database.OpenReader();
        using var snapshot = Database.BeginRead(connection);
        Delivery? delivery;
        using (var command = connection.Command(
            $"""
            SELECT {DeliveryColumns} FROM deliveries
            WHERE id = @id AND endpoint_id = @endpoint AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE agency_id = @agency)
            """, snapshot, ("@id", deliveryId), ("@endpoint", endpointId), ("@agency", agencyId)))
        using (var reader = command.ExecuteReader())
        {
            delivery = reader.Read() ? ReadDelivery(reader) : null;
        }

        if (delivery is null)
        {
            return null;
        }

        using var attempts = connection.Command(
            "SELECT attempt, at, status_code, latency_ms, error FROM delivery_attempts WHERE delivery_id = @id ORDER BY attempt", snapshot, ("@id", deliveryId));
        using var rows = attempts.ExecuteReader();
        var log = new List<DeliveryAttempt>();
        while (rows.Read())
        {
            log.Add(new DeliveryAttempt(rows.GetInt32(0), rows.Timestamp(1), rows.IsDBNull(2) ? null : rows.GetInt32(2), rows.GetDouble(3), rows.NullableString(4)));
        }

        return delivery with { AttemptLog = log };
    }

    /// <summary>Up to <paramref name="limit"/> of an endpoint's deliveries after <paramref name="afterId"/>, oldest first, in one state or any; and whether more follow.</summary>
    public (List<Delivery> Deliveries, bool HasMore) ListDeliveries(string endpointId, string? state, long afterId, int limit)
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command(
            $"SELECT {DeliveryColumns} FROM deliveries WHERE endpoint_id = @endpoint AND id > @after"
            + (state is null ? "" : " AND state = @state") + " ORDER BY id LIMIT @limit",
            null, ("@endpoint", endpointId), ("@after", afterId), ("@state", state), ("@limit", limit + 1));
        var deliveries = ReadDeliveries(command);
        var hasMore = deliveries.Count > limit;
        return (hasMore ? deliveries[..limit] : deliveries, hasMore);
    }

    /// <summary>An endpoint's newest deliveries, in one state or any.</summary>
    public List<Delivery> LatestDeliveries(string endpointId, string? state, int limit)
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command(
            $"SELECT {DeliveryColumns} FROM deliveries WHERE endpoint_id = @endpoint" + (state is null ? "" : " AND state = @state") + " ORDER BY id DESC LIMIT @limit",
            null, ("@endpoint", endpointId), ("@state", state), ("@limit", limit));
        return ReadDeliveries(command);
    }

    /// <summary>Every endpoint's open deliveries (0 too) and the creation time of its oldest.</summary>
    public List<EndpointBacklog> Backlog()
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command(
            $"""
            SELECT e.id, COUNT(d.id), MIN(d.created_at) FROM webhook_endpoints e
            LEFT JOIN deliveries d ON d.endpoint_id = e.id AND d.state NOT IN {Finished}
            GROUP BY e.id
            """);
        using var reader = command.ExecuteReader();
        var rows = new List<EndpointBacklog>();
        while (reader.Read())
        {
            rows.Add(new EndpointBacklog(reader.GetString(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.Timestamp(2)));
        }

        return rows;
    }

    // The dispatcher's transitions.

    /// <summary>
    /// Each enabled endpoint behind its agency's log, with its next messages (up to <paramref name="batch"/>); read without
    /// locks. Every position up to <c>last_position</c> is committed (positions are given in commit order), so no watermark is needed.
    /// </summary>
    public List<EndpointBehind> EndpointsBehind(WriteScope scope, int batch)
    {
        var endpoints = new List<EndpointBehind>();
        using (var reader = scope.Query(
            """
            SELECT e.id, e.agency_id, e.sub_types, e.enqueued_through
            FROM webhook_endpoints e JOIN agencies a ON a.id = e.agency_id
            WHERE e.enabled = 1 AND e.enqueued_through < a.last_position
            """))
        {
            while (reader.Read())
            {
                endpoints.Add(new EndpointBehind(reader.GetString(0), reader.GetInt64(1), ParseSubTypes(reader.NullableString(2)), reader.GetInt64(3)));
            }
        }

        foreach (var endpoint in endpoints)
        {
            using var reader = scope.Query(
                "SELECT position, client_id, sub_type FROM messages WHERE agency_id = @agency AND position > @through ORDER BY position LIMIT @limit",
                ("@agency", endpoint.Agency), ("@through", endpoint.Through), ("@limit", batch));
            while (reader.Read())
            {
                endpoint.Messages.Add(new NewMessage(reader.GetInt64(0), reader.GetString(1), reader.GetString(2)));
            }
        }

        return endpoints;
    }

    /// <summary>
    /// Takes an endpoint's fan-out cursor for this transaction: false when it is disabled or moved on since it was read
    /// (or, with many writers, another one holds it), so that fan-out happens exactly once, wherever it happens.
    /// </summary>
    public virtual bool TakeFanOut(WriteScope scope, string endpointId, long through) =>
        scope.Scalar<string>(FanOutCursor, ("@id", endpointId), ("@through", through)) is not null;

    /// <summary>
    /// Creates a pending delivery per message (in position order, all after any the endpoint has); one heads its stream
    /// exactly when nothing else is open in it. A message already fanned out is skipped.
    /// </summary>
    public virtual void InsertDeliveries(WriteScope scope, string endpointId, IReadOnlyList<NewMessage> messages)
    {
        foreach (var message in messages)
        {
            scope.Execute(
                $"""
                INSERT INTO deliveries (endpoint_id, position, client_id, state, next_attempt_at, created_at, head)
                VALUES (@endpoint, @position, @client, @pending, @now, @now, CASE WHEN EXISTS (
                    SELECT 1 FROM deliveries WHERE endpoint_id = @endpoint AND client_id = @client AND state NOT IN {Finished}) THEN 0 ELSE 1 END)
                ON CONFLICT (endpoint_id, position) DO NOTHING
                """, ("@endpoint", endpointId), ("@position", message.Position), ("@client", message.ClientId), ("@pending", DeliveryState.Pending), ("@now", scope.Now.UtcTicks));
        }
    }

    /// <summary>Moves an endpoint's fan-out cursor to <paramref name="through"/>.</summary>
    public void AdvanceFanOut(WriteScope scope, string endpointId, long through) =>
        scope.Execute("UPDATE webhook_endpoints SET enqueued_through = @through WHERE id = @id", ("@through", through), ("@id", endpointId));

    /// <summary>The enabled endpoints with at least one head due now.</summary>
    public List<string> EndpointsWithDueHeads(WriteScope scope)
    {
        var endpoints = new List<string>();
        using var reader = scope.Query(
            "SELECT e.id FROM webhook_endpoints e WHERE e.enabled = 1 AND EXISTS (SELECT 1 FROM deliveries d WHERE d.endpoint_id = e.id AND d.head = 1 AND d.next_attempt_at <= @now)",
            ("@now", scope.Now.UtcTicks));
        while (reader.Read())
        {
            endpoints.Add(reader.GetString(0));
        }

        return endpoints;
    }

    /// <summary>Up to <paramref name="limit"/> of an endpoint's due heads, earliest first; they are leased with <see cref="Lease"/>.</summary>
    public virtual List<DueDelivery> ClaimDue(WriteScope scope, string endpointId, int limit) => ReadDue(scope, DueHeads, endpointId, limit);

    /// <summary>
    /// Leases claimed deliveries until <paramref name="until"/>, each under its token: a leased delivery is next due when its
    /// lease ends (sent again then, unless its outcome is recorded first), and the token fences the lease.
    /// </summary>
    public virtual void Lease(WriteScope scope, IReadOnlyList<(long Id, long Token)> leases, DateTimeOffset until)
    {
        foreach (var (id, token) in leases)
        {
            scope.Execute(
                "UPDATE deliveries SET state = @inFlight, lease_until = @until, next_attempt_at = @until, lease_token = @token WHERE id = @id",
                ("@inFlight", DeliveryState.InFlight), ("@until", until.UtcTicks), ("@token", token), ("@id", id));
        }
    }

    /// <summary>
    /// Records 2xx answers: each delivery still under the same lease becomes Delivered with its attempt, and hands the head
    /// of its stream on. Returns the deliveries recorded (those whose lease ran out meanwhile are not).
    /// </summary>
    public virtual IReadOnlyCollection<long> RecordDelivered(WriteScope scope, IReadOnlyList<AttemptRecord> delivered)
    {
        var recorded = new List<long>();
        foreach (var attempt in delivered)
        {
            if (RecordAttempt(scope, attempt, DeliveryState.Delivered, next: null, finished: scope.Now))
            {
                recorded.Add(attempt.Id);
            }
        }

        return recorded;
    }

    /// <summary>
    /// Records one attempt and the delivery's new state; false (nothing written) when the delivery is no longer under the
    /// attempt's lease, as when a late answer arrives after its lease ran out and another attempt was recorded. A delivery
    /// that is done (<paramref name="finished"/>) hands the head of its stream to the stream's earliest open delivery.
    /// </summary>
    public bool RecordAttempt(WriteScope scope, AttemptRecord attempt, string state, DateTimeOffset? next, DateTimeOffset? finished)
    {
        var done = finished is not null;
        var updated = scope.Execute(
            """
            UPDATE deliveries SET state = @state, attempts = @attempt, last_status = @status, last_error = @error, lease_until = NULL,
                next_attempt_at = COALESCE(@next, next_attempt_at), finished_at = @finished, head = @head, lease_token = NULL
            WHERE id = @id AND state = @inFlight AND lease_token = @token
            """, ("@id", attempt.Id), ("@token", attempt.LeaseToken), ("@state", state), ("@attempt", attempt.Attempt), ("@status", attempt.Status),
            ("@error", attempt.Error), ("@next", next?.UtcTicks), ("@finished", finished?.UtcTicks), ("@head", done ? 0 : 1), ("@inFlight", DeliveryState.InFlight));
        if (updated == 0)
        {
            return false;
        }

        scope.Execute(
            "INSERT INTO delivery_attempts (delivery_id, attempt, at, status_code, latency_ms, error) VALUES (@id, @attempt, @at, @status, @latency, @error)",
            ("@id", attempt.Id), ("@attempt", attempt.Attempt), ("@at", scope.Now.UtcTicks), ("@status", attempt.Status), ("@latency", attempt.LatencyMs), ("@error", attempt.Error));
        if (done)
        {
            scope.Execute(
                $"""
                UPDATE deliveries SET head = 1 WHERE id = (
                    SELECT n.id FROM deliveries d JOIN deliveries n ON n.endpoint_id = d.endpoint_id AND n.client_id = d.client_id AND n.state NOT IN {Finished}
                    WHERE d.id = @id ORDER BY n.position LIMIT 1)
                """, ("@id", attempt.Id));
        }

        return true;
    }

    /// <summary>Starts an endpoint's failing clock unless it runs already; returns when it started (null: the endpoint is gone).</summary>
    public DateTimeOffset? MarkFailing(WriteScope scope, string endpointId) =>
        scope.Scalar<long?>(
            "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, @now) WHERE id = @id RETURNING failing_since",
            ("@now", scope.Now.UtcTicks), ("@id", endpointId)) is { } since ? new DateTimeOffset(since, TimeSpan.Zero) : null;

    /// <summary>Notes an endpoint's success now and stops its failing clock.</summary>
    public void MarkSucceeded(WriteScope scope, string endpointId) =>
        scope.Execute("UPDATE webhook_endpoints SET last_success_at = @now, failing_since = NULL WHERE id = @id", ("@now", scope.Now.UtcTicks), ("@id", endpointId));

    /// <summary>Stops sending to an enabled endpoint, saying why; its deliveries wait until it is enabled again.</summary>
    public void DisableEndpoint(WriteScope scope, string endpointId, string reason) =>
        scope.Execute(
            "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = @reason, updated_at = @now WHERE id = @id AND enabled = 1",
            ("@id", endpointId), ("@reason", reason), ("@now", scope.Now.UtcTicks));

    /// <summary>Hands a lease back unused: the delivery is due now, as it was before it was leased, if the lease is still the one given.</summary>
    public void ReleaseLease(WriteScope scope, long id, long token) =>
        scope.Execute(
            "UPDATE deliveries SET state = CASE WHEN attempts = 0 THEN @pending ELSE @retrying END, lease_until = NULL, lease_token = NULL, next_attempt_at = @now WHERE id = @id AND state = @inFlight AND lease_token = @token",
            ("@id", id), ("@token", token), ("@now", scope.Now.UtcTicks), ("@pending", DeliveryState.Pending), ("@retrying", DeliveryState.Retrying), ("@inFlight", DeliveryState.InFlight));

    // Putting failed deliveries back (the endpoint's streams are locked first: every head of the endpoint is set afresh).

    /// <summary>A delivery's state, when it belongs to the agency's endpoint.</summary>
    public string? StateOf(WriteScope scope, long agencyId, string endpointId, long deliveryId) =>
        scope.Scalar<string>(
            "SELECT d.state FROM deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = @delivery AND e.id = @id AND e.agency_id = @agency",
            ("@delivery", deliveryId), ("@id", endpointId), ("@agency", agencyId));

    /// <summary>Puts one failed delivery back in its stream with a fresh retry schedule (its attempt log is kept).</summary>
    public int RequeueFailed(WriteScope scope, string endpointId, long deliveryId)
    {
        var requeued = scope.Execute(
            "UPDATE deliveries SET state = @pending, next_attempt_at = @now, attempt_base = attempts, finished_at = NULL WHERE state = @failed AND id = @delivery AND endpoint_id = @endpoint",
            ("@now", scope.Now.UtcTicks), ("@pending", DeliveryState.Pending), ("@failed", DeliveryState.Failed), ("@delivery", deliveryId), ("@endpoint", endpointId));
        RecomputeHeads(scope, endpointId);
        return requeued;
    }

    /// <summary>Puts every delivery of the endpoint that failed and was created at or after <paramref name="since"/> back, as <see cref="RequeueFailed"/> does.</summary>
    public int RequeueFailedSince(WriteScope scope, string endpointId, DateTimeOffset since)
    {
        var requeued = scope.Execute(
            "UPDATE deliveries SET state = @pending, next_attempt_at = @now, attempt_base = attempts, finished_at = NULL WHERE state = @failed AND endpoint_id = @endpoint AND created_at >= @since",
            ("@now", scope.Now.UtcTicks), ("@pending", DeliveryState.Pending), ("@failed", DeliveryState.Failed), ("@endpoint", endpointId), ("@since", since.UtcTicks));
        RecomputeHeads(scope, endpointId);
        return requeued;
    }

    /// <summary>Sets every head flag of an endpoint afresh: the earliest open delivery of each stream heads it.</summary>
    private void RecomputeHeads(WriteScope scope, string endpointId) =>
        scope.Execute(
            $"""
            UPDATE deliveries SET head = CASE WHEN state NOT IN {Finished} AND NOT EXISTS (
                    SELECT 1 FROM deliveries p
                    WHERE p.endpoint_id = deliveries.endpoint_id AND p.client_id = deliveries.client_id AND p.position < deliveries.position AND p.state NOT IN {Finished})
                THEN 1 ELSE 0 END
            WHERE endpoint_id = @endpoint AND (head = 1 OR state NOT IN {Finished})
            """, ("@endpoint", endpointId));

    /// <summary>Runs <paramref name="query"/> (<see cref="DueHeads"/>, as a provider locks it) for one endpoint's due heads.</summary>
    protected static List<DueDelivery> ReadDue(WriteScope scope, string query, string endpointId, int limit)
    {
        var due = new List<DueDelivery>();
        using var reader = scope.Query(query, ("@endpoint", endpointId), ("@now", scope.Now.UtcTicks), ("@limit", limit));
        while (reader.Read())
        {
            due.Add(new DueDelivery(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetInt32(4), reader.GetString(5), reader.GetString(6),
                reader.NullableString(7), reader.NullableTimestamp(8), reader.NullableString(9), reader.Bytes(10), reader.Timestamp(11), reader.NullableString(12)));
        }

        return due;
    }

    private static WebhookEndpoint ReadEndpoint(DbDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.NullableString(2), ParseSubTypes(reader.NullableString(3)), reader.GetInt64(4) != 0,
        reader.NullableString(5), reader.Timestamp(6), reader.NullableTimestamp(7), reader.NullableTimestamp(8), Secret: null);

    private static List<Delivery> ReadDeliveries(DbCommand command)
    {
        using var reader = command.ExecuteReader();
        var deliveries = new List<Delivery>();
        while (reader.Read())
        {
            deliveries.Add(ReadDelivery(reader));
        }

        return deliveries;
    }

    private static Delivery ReadDelivery(DbDataReader reader)
    {
        var state = reader.GetString(3);
        var open = state is DeliveryState.Pending or DeliveryState.Retrying or DeliveryState.InFlight;
        return new(
            reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), state, reader.GetInt32(4), open ? reader.NullableTimestamp(5) : null,
            reader.IsDBNull(6) ? null : reader.GetInt32(6), reader.NullableString(7), reader.Timestamp(8), reader.NullableTimestamp(9), AttemptLog: null);
    }

    /// <summary>
    /// Deletes up to <paramref name="batch"/> deliveries in <paramref name="state"/> that finished before <paramref name="before"/>, oldest first,
    /// with their attempts; returns how many deliveries went.
    /// </summary>
    public virtual int PruneFinished(WriteScope scope, string state, DateTimeOffset before, int batch)
    {
        // Attempts first, then their deliveries: both statements choose the same ids through the finished-at index, as
        // nothing else writes between them where one writer writes (PostgreSQL does it in one statement instead).
        const string Chosen = "SELECT id FROM deliveries WHERE finished_at IS NOT NULL AND finished_at < @before AND state = @state ORDER BY finished_at LIMIT @batch";
        scope.Execute($"DELETE FROM delivery_attempts WHERE delivery_id IN ({Chosen})", ("@before", before.UtcTicks), ("@state", state), ("@batch", batch));
        return scope.Execute($"DELETE FROM deliveries WHERE id IN ({Chosen})", ("@before", before.UtcTicks), ("@state", state), ("@batch", batch));
    }

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
            endpoints.Add(new TimelineEndpoint(reader.GetString(0), reader.GetString(1), ParseSubTypes(reader.NullableString(2)), reader.GetInt64(3)));
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
    public IReadOnlyList<WebhookEndpoint> Endpoints(long agencyId, string? endpointId) =>
        [.. Endpoints(agencyId).Where(e => endpointId is null || e.Id == endpointId)];

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

/// <summary>A message not yet fanned out to an endpoint.</summary>
internal sealed record NewMessage(long Position, string ClientId, string SubType);

/// <summary>An enabled endpoint behind its agency's log, and the next messages it has not fanned out.</summary>
internal sealed record EndpointBehind(string Id, long Agency, IReadOnlyList<string>? SubTypes, long Through)
{
    public List<NewMessage> Messages { get; } = [];

    public bool Wants(string subType) => SubTypes is null || SubTypes.Contains(subType, StringComparer.Ordinal);
}

/// <summary>A due head as claimed: the delivery, where it goes, the endpoint's protected secrets, and its message.</summary>
internal sealed record DueDelivery(
    long Id, string EndpointId, string ClientId, int Attempts, int AttemptBase, string Url, string Secret, string? PreviousSecret, DateTimeOffset? PreviousSecretUntil,
    string? ActivityId, byte[] Body, DateTimeOffset CommittedAt, string? Trace);

/// <summary>One attempt to record against the lease it was made under: <see cref="Attempt"/> is its number, counted from 1.</summary>
internal sealed record AttemptRecord(long Id, long LeaseToken, int Attempt, int? Status, string? Error, double LatencyMs);

/// <summary>An endpoint's open deliveries and the creation time of its oldest one.</summary>
internal sealed record EndpointBacklog(string EndpointId, long Open, DateTimeOffset? Oldest);

/// <summary>An endpoint as a client's timeline shows it: its label, the sub-types it takes (null: all), and how far fan-out has reached.</summary>
internal sealed record TimelineEndpoint(string Id, string Label, IReadOnlyList<string>? SubTypes, long EnqueuedThrough);

/// <summary>A delivery of one of a client's messages: the message's position, the endpoint, its state and attempts.</summary>
internal sealed record ClientDelivery(long Position, string EndpointId, string State, int Attempts, long Id);
