namespace Caseline.Client.Webhooks;

/// <summary>What to register or change: where Caseline posts, a note, and which sections to send.</summary>
/// <param name="Url">Where to POST messages (https, unless the operator allows private networks).</param>
/// <param name="Description">A note for the agency's administrators.</param>
/// <param name="SubTypes">The sections to send (<c>Address Details</c>, …); null or empty: all.</param>
/// <param name="Enabled">On update: false pauses the endpoint, true resumes it (and clears why it was disabled); null leaves it.</param>
public sealed record WebhookEndpointRequest(string Url, string? Description = null, IReadOnlyList<string>? SubTypes = null, bool? Enabled = null);

/// <summary>A registered endpoint. <paramref name="Secret"/> is set only in the answer that created it.</summary>
/// <param name="Id">The endpoint's id.</param>
/// <param name="Url">Where Caseline posts.</param>
/// <param name="Description">The note.</param>
/// <param name="SubTypes">The sections sent; null: all.</param>
/// <param name="Enabled">Whether deliveries are sent.</param>
/// <param name="DisabledReason">Why the server disabled it (410 Gone, five days failing), when it did.</param>
/// <param name="CreatedAt">When it was registered.</param>
/// <param name="LastSuccessAt">Its last 2xx.</param>
/// <param name="FailingSince">When its current run of failures began.</param>
/// <param name="Secret">The signing secret (<c>whsec_…</c>), shown once.</param>
public sealed record WebhookEndpoint(
    string Id, string Url, string? Description, IReadOnlyList<string>? SubTypes, bool Enabled, string? DisabledReason,
    DateTimeOffset CreatedAt, DateTimeOffset? LastSuccessAt, DateTimeOffset? FailingSince, string? Secret);

/// <summary>A new signing secret; the previous one keeps signing beside it until <paramref name="PreviousSecretExpiresAt"/>.</summary>
/// <param name="Secret">The new secret, shown once.</param>
/// <param name="PreviousSecretExpiresAt">When the old secret stops signing.</param>
public sealed record RotatedSecret(string Secret, DateTimeOffset PreviousSecretExpiresAt);

/// <summary>One message's delivery to one endpoint.</summary>
/// <param name="Id">The delivery's id.</param>
/// <param name="Position">The message's feed position.</param>
/// <param name="ClientId">The client the message is about.</param>
/// <param name="State"><c>Pending</c>, <c>InFlight</c>, <c>Retrying</c>, <c>Delivered</c> or <c>Failed</c>.</param>
/// <param name="Attempts">Attempts so far.</param>
/// <param name="NextAttemptAt">When it is next tried, while open.</param>
/// <param name="LastStatus">The last answer's status code.</param>
/// <param name="LastError">The last attempt's error, when it got no answer.</param>
/// <param name="CreatedAt">When the delivery was made.</param>
/// <param name="FinishedAt">When it was delivered or given up.</param>
/// <param name="AttemptLog">Every attempt, on a single delivery's read.</param>
public sealed record Delivery(
    long Id, long Position, string ClientId, string State, int Attempts, DateTimeOffset? NextAttemptAt,
    int? LastStatus, string? LastError, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, IReadOnlyList<DeliveryAttempt>? AttemptLog);

/// <summary>One attempt to deliver.</summary>
/// <param name="Attempt">Its number, from 1.</param>
/// <param name="At">When.</param>
/// <param name="StatusCode">The receiver's answer; null when there was none.</param>
/// <param name="LatencyMs">How long it took.</param>
/// <param name="Error">What failed, when there was no answer.</param>
public sealed record DeliveryAttempt(int Attempt, DateTimeOffset At, int? StatusCode, double LatencyMs, string? Error);
