using System.Text.Encodings.Web;
using Caseline.Messages;
using Caseline.Messages.Json;
using Caseline.Server;
using Caseline.Server.Audit;
using Caseline.Server.Http;
using Caseline.Server.Identity;
using Caseline.Server.Lookups;
using Caseline.Server.Operations;
using Caseline.Server.Storage;
using Caseline.Server.Sync;
using Caseline.Server.Transmit;
using Caseline.Server.Web;
using Caseline.Server.Webhooks;

// Settings files travel with the binaries; relative data paths stay relative to where the server was started.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddOptions<CaselineOptions>().BindConfiguration(CaselineOptions.Section).ValidateDataAnnotations().ValidateOnStart();
var options = builder.Configuration.GetSection(CaselineOptions.Section).Get<CaselineOptions>() ?? new();
OwnerOnlyFiles.Apply(options.DataDirectory); // files 0600, folders 0700, whatever the umask

builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddProblemDetails();
builder.Services.AddReverseProxy();
builder.Services.AddApiDocument();
builder.Services.AddHttpContextAccessor();
builder.Services.ConfigureHttpJsonOptions(json =>
{
    json.SerializerOptions.PropertyNamingPolicy = null;
    json.SerializerOptions.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
    json.SerializerOptions.TypeInfoResolverChain.Insert(0, ServerJsonContext.Default);
    json.SerializerOptions.TypeInfoResolverChain.Insert(1, MessageJsonContext.Default);
});
builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);

builder.Services.AddStorage(builder.Configuration);
builder.Services.AddWebhooks(options);
builder.Services.AddTokenServer();
builder.Services.AddAccessControl();
builder.Services.AddSync();
builder.Services.AddLookups();
builder.Services.AddTransmit();
builder.Services.AddOperations(builder.Configuration);
builder.Services.AddWebUi();

var app = builder.Build();
app.UseReverseProxy();
app.UseNoStoreForApi();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseWebUi();
app.UseRouting();
app.Use(AuditApi.Middleware);
app.UseLogonThrottle();
app.UseFormGuard();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();

app.MapGet("/", () => TypedResults.Text("Caseline integration server. Web UI: /ui · API reference: /scalar\n")).ExcludeFromDescription();
app.MapOperations();
app.MapApiDocument();
app.MapGet("/schemas/client-profile-message.json", () => TypedResults.Text(MessageSchema.Text, MessageSchema.MediaType))
    .WithTags("Schemas").WithSummary("The JSON Schema of the Transmit message");
app.MapTokenEndpoint();
app.MapWebUi();

var api = app.MapGroup("/api/v1").RequireRateLimiting(AccessControl.RateLimitPolicy);
var integration = api.MapGroup("").RequireAuthorization(Policies.Integration);
integration.MapClients();
integration.MapLookups();
integration.MapBulkSync();
integration.MapFeed();
api.MapGroup("").RequireAuthorization(Policies.WebhookManagement).MapWebhooks();
var admin = api.MapGroup("/admin");
admin.MapPlatformAdministration().MapBackup();
admin.MapGroup("").RequireAuthorization(Policies.AgencyAdministration).MapAgencyAdministration().MapAudit();

try
{
    app.Run();
}
catch (StorageStartupException)
{
    // The migrator logged the one line that says why; the host's own report would only repeat it with a stack trace.
    return 1;
}

return 0;

/// <summary>The server's entry point, visible to the test host.</summary>
public partial class Program;
