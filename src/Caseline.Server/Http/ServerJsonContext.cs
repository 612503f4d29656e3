using System.Text.Json.Serialization;
using Caseline.Server.Clients;
using Caseline.Server.Lookups;
using Caseline.Server.Sync;
using Caseline.Server.Webhooks;

namespace Caseline.Server.Http;

/// <summary>Source-generated JSON for the server's own request and response shapes.</summary>
[JsonSerializable(typeof(ClientFields))]
[JsonSerializable(typeof(ClientList))]
[JsonSerializable(typeof(MessagePageDocument))]
[JsonSerializable(typeof(LookupList))]
[JsonSerializable(typeof(LookupValues))]
[JsonSerializable(typeof(SyncJob))]
[JsonSerializable(typeof(IReadOnlyList<SyncJob>))]
[JsonSerializable(typeof(IReadOnlyList<SyncLineError>))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(WebhookEndpointRequest))]
[JsonSerializable(typeof(WebhookEndpoint))]
[JsonSerializable(typeof(List<WebhookEndpoint>))]
[JsonSerializable(typeof(RotatedSecret))]
[JsonSerializable(typeof(DeliveryList))]
[JsonSerializable(typeof(Delivery))]
[JsonSerializable(typeof(RecoverRequest))]
[JsonSerializable(typeof(RecoverResult))]
internal sealed partial class ServerJsonContext : JsonSerializerContext;
