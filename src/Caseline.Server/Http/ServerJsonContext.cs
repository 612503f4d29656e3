using System.Text.Json.Serialization;
using Caseline.Server.Audit;
using Caseline.Server.Identity;
using Caseline.Server.Lookups;
using Caseline.Server.Sync;
using Caseline.Server.Transmit;
using Caseline.Server.Webhooks;

namespace Caseline.Server.Http;

/// <summary>Source-generated JSON for the server's own request and response shapes.</summary>
[JsonSerializable(typeof(ClientFields))]
[JsonSerializable(typeof(ClientList))]
[JsonSerializable(typeof(MessagePageDocument))]
[JsonSerializable(typeof(FeedHead))]
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
[JsonSerializable(typeof(AuditPage))]
[JsonSerializable(typeof(AgencyRequest))]
[JsonSerializable(typeof(AgencyView))]
[JsonSerializable(typeof(List<AgencyView>))]
[JsonSerializable(typeof(UserRequest))]
[JsonSerializable(typeof(UserView))]
[JsonSerializable(typeof(List<UserView>))]
[JsonSerializable(typeof(ClientRequest))]
[JsonSerializable(typeof(ClientView))]
[JsonSerializable(typeof(List<ClientView>))]
[JsonSerializable(typeof(SecondFactorRule))]
internal sealed partial class ServerJsonContext : JsonSerializerContext;
