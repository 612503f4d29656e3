using Caseline.Server.Audit;
using Caseline.Server.Http;
using Caseline.Server.Identity;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Sync;

/// <summary>
/// The Sync feature's services, and the bulk sync API: an NDJSON upload answered 202 at once (<see cref="BulkSyncOperations"/>),
/// and its job's progress.
/// </summary>
internal static class BulkSyncApi
{
    private static readonly string[] MediaTypes = ["application/x-ndjson", "application/ndjson", "application/jsonl", "application/jsonlines"];

    /// <summary>The clients' operations, bulk sync's operations, and the runner of bulk sync jobs.</summary>
    public static IServiceCollection AddSync(this IServiceCollection services)
    {
        services.AddSingleton<ClientOperations>();
        services.AddSingleton<BulkSyncOperations>();
        services.AddSingleton<SyncJobRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<SyncJobRunner>());
        return services;
    }

    public static RouteGroupBuilder MapBulkSync(this RouteGroupBuilder api)
    {
        var sync = api.MapGroup("/sync").WithTags("Bulk sync").WithMetadata(new AuditedAttribute());
        sync.MapPost("/clients", Upload)
            .Accepts<string>("application/x-ndjson")
            .WithSummary("Start a bulk full sync")
            .WithDescription("One whole profile document per line (NDJSON). Each stored profile is made equal to the one given: items missing from it are removed. Messages are emitted only for real differences.");
        sync.MapGet("/jobs/{id}", Get).WithSummary("A bulk sync job's progress and counts");
        sync.MapGet("/jobs", List).WithSummary("The agency's recent bulk sync jobs");
        return api;
    }

    private static async Task<Results<Accepted<SyncJob>, ProblemHttpResult>> Upload(
        Caller caller, HttpRequest request, BulkSyncOperations bulkSync, IOptions<CaselineOptions> options, CancellationToken ct)
    {
        var mediaType = request.ContentType?.Split(';')[0].Trim();
        if (!MediaTypes.Contains(mediaType, StringComparer.OrdinalIgnoreCase))
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "The body must be NDJSON.",
                detail: "Send one profile document per line with Content-Type: application/x-ndjson.");
        }

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = options.Value.MaxBulkSyncBytes;
        }

        return await bulkSync.UploadAsync(caller, request.Body, ct) switch
        {
            UploadResult.Queued queued => TypedResults.Accepted($"/api/v1/sync/jobs/{queued.Job.Id}", queued.Job),
            _ => JsonBody.TooLarge(),
        };
    }

    private static Results<Ok<SyncJob>, ProblemHttpResult> Get(Caller caller, string id, BulkSyncOperations bulkSync) =>
        bulkSync.Find(caller, id) is { } job ? TypedResults.Ok(job) : Problems.NotFound("Sync job not found.");

    private static Ok<IReadOnlyList<SyncJob>> List(Caller caller, BulkSyncOperations bulkSync) => TypedResults.Ok(bulkSync.Recent(caller));
}
