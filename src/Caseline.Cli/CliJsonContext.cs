using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Caseline.Cli.Feed;
using Caseline.Cli.Profiles;
using Caseline.Cli.Sync;
using Caseline.Cli.Webhooks;
using Caseline.Client;
using Caseline.Client.Webhooks;

namespace Caseline.Cli;

/// <summary>Source-generated JSON for the configuration file and everything <c>--output json</c> writes; messages and profiles use Caseline.Messages' own.</summary>
[JsonSourceGenerationOptions(UseStringEnumConverter = true)]
[JsonSerializable(typeof(ConfigFile))]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(ProfileView))]
[JsonSerializable(typeof(DoctorCheck))]
[JsonSerializable(typeof(ClientSummary))]
[JsonSerializable(typeof(MirrorState))]
[JsonSerializable(typeof(SyncReport))]
[JsonSerializable(typeof(SyncLineError))]
[JsonSerializable(typeof(SectionChange))]
[JsonSerializable(typeof(WebhookEndpoint))]
[JsonSerializable(typeof(RotatedSecret))]
[JsonSerializable(typeof(Delivery))]
[JsonSerializable(typeof(RecoverReport))]
[JsonSerializable(typeof(SignedHeaders))]
[JsonSerializable(typeof(TestReport))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
