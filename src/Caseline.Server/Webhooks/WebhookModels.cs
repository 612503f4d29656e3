namespace Caseline.Server.Webhooks;

/// <summary>What a caller sends to create or change an endpoint.</summary>
/// <param name="Url">Where to POST messages (https).</param>
/// <param name="Description">A note for the agency's administrators.</param>
/// <param name="SubTypes">The sections to send (<c>Address Details</c>, …); null or empty: all.</param>
/// <param name="Enabled">On update: false pauses the endpoint, true resumes it (and clears the reason it was disabled).</param>
internal sealed record WebhookEndpointRequest(string? Url, string? Description, IReadOnlyList<string>? SubTypes, bool? Enabled);

/// <summary>An endpoint as the API shows it. <paramref name="Secret"/> appears only when the endpoint is created.</summary>
internal sealed record WebhookEndpoint(
    string Id, string Url, string? Description, IReadOnlyList<string>? SubTypes, bool Enabled, string? DisabledReason,
    DateTimeOffset CreatedAt, DateTimeOffset? LastSuccessAt, DateTimeOffset? FailingSince, string? Secret);

/// <summary>A new signing secret; the previous one keeps signing beside it until <paramref name="PreviousSecretExpiresAt"/>.</summary>
internal sealed record RotatedSecret(string Secret, DateTimeOffset PreviousSecretExpiresAt);

/// <summary>The states of a delivery.</summary>
internal static class DeliveryState
{
    public const string Pending = "Pending";
    public const string InFlight = "InFlight";
    public const string Retrying = "Retrying";
    public const string Delivered = "Delivered";
    public const string Failed = "Failed";

    public static readonly string[] All = [Pending, InFlight, Retrying, Delivered, Failed];
}

/// <summary>One message's delivery to one endpoint.</summary>
internal sealed record Delivery(
    long Id, long Position, string ClientId, string State, int Attempts, DateTimeOffset? NextAttemptAt,
    int? LastStatus, string? LastError, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, IReadOnlyList<DeliveryAttempt>? AttemptLog);

/// <summary>One attempt to deliver: when, what came back, how long it took.</summary>
internal sealed record DeliveryAttempt(int Attempt, DateTimeOffset At, int? StatusCode, double LatencyMs, string? Error);

/// <summary>A page of deliveries.</summary>
internal sealed record DeliveryList(IReadOnlyList<Delivery> Deliveries, string? Cursor, bool HasMore);

/// <summary>Which failed deliveries to send again: those created at or after <paramref name="Since"/>.</summary>
internal sealed record RecoverRequest(DateTimeOffset? Since);

/// <summary>How many failed deliveries were queued again.</summary>
internal sealed record RecoverResult(int Recovered);
