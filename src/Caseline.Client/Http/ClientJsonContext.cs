using System.Text.Json.Serialization;
using Caseline.Client.Webhooks;

namespace Caseline.Client.Http;

/// <summary>A page of the client list, as the server answers it.</summary>
internal sealed record ClientListPage(IReadOnlyList<ClientSummary> Clients, string? Cursor, bool HasMore);

/// <summary>A lookup list, as the server answers it.</summary>
internal sealed record LookupList(string Kind, IReadOnlyList<string> Values);

/// <summary>A page of an endpoint's deliveries, as the server answers it.</summary>
internal sealed record DeliveryPage(IReadOnlyList<Delivery> Deliveries, string? Cursor, bool HasMore);

/// <summary>The body of a bulk recover.</summary>
internal sealed record RecoverRequest(DateTimeOffset Since);

/// <summary>How many failed deliveries a recover queued again.</summary>
internal sealed record RecoverResult(int Recovered);

/// <summary>The token endpoint's answer, success or error.</summary>
internal sealed record TokenResponse(
    [property: JsonPropertyName("access_token")] string? AccessToken,
    [property: JsonPropertyName("expires_in")] long? ExpiresIn,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("error_description")] string? ErrorDescription);

/// <summary>An RFC 9457 problem document (the fields the SDK reads).</summary>
internal sealed record ProblemDocument(
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("detail")] string? Detail,
    [property: JsonPropertyName("errors")] Dictionary<string, string[]>? Errors,
    [property: JsonPropertyName("traceId")] string? TraceId);

/// <summary>Source-generated JSON for the SDK's own request and response shapes; message types come from Caseline.Messages.</summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(ClientListPage))]
[JsonSerializable(typeof(LookupList))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(ProblemDocument))]
[JsonSerializable(typeof(SyncJob))]
[JsonSerializable(typeof(WebhookEndpointRequest))]
[JsonSerializable(typeof(WebhookEndpoint))]
[JsonSerializable(typeof(List<WebhookEndpoint>))]
[JsonSerializable(typeof(RotatedSecret))]
[JsonSerializable(typeof(DeliveryPage))]
[JsonSerializable(typeof(Delivery))]
[JsonSerializable(typeof(RecoverRequest))]
[JsonSerializable(typeof(RecoverResult))]
[JsonSerializable(typeof(FeedHead))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;
