using System.Text.Json.Serialization;
using Caseline.Server.Clients;
using Caseline.Server.Lookups;
using Caseline.Server.Sync;

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
internal sealed partial class ServerJsonContext : JsonSerializerContext;
