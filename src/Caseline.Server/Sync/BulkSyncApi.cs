using Caseline.Server.Audit;
using Caseline.Server.Http;
using Caseline.Server.Identity;
using Caseline.Server.Storage;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Sync;

/// <summary>
/// Bulk full sync: the upload is spooled to disk and made durable, a job is recorded, and 202 answers
/// at once; <see cref="SyncJobRunner"/> then makes each stored profile equal to the one given.
/// </summary>
internal static class BulkSyncApi
{
    private static readonly string[] MediaTypes = ["application/x-ndjson", "application/ndjson", "application/jsonl", "application/jsonlines"];

    public static IServiceCollection AddBulkSync(this IServiceCollection services)
    {
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
        Caller caller, HttpRequest request, WriteQueue writes, Database database, SyncJobRunner runner, NodeIdentity node, IOptions<CaselineOptions> options, CancellationToken ct)
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

        var id = Guid.CreateVersion7().ToString("N");
        var path = runner.SpoolPath(id);
        long lines;
        try
        {
            lines = await Spool(request.Body, path, ct);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            File.Delete(path);
            return JsonBody.TooLarge();
        }
        catch
        {
            File.Delete(path);
            throw;
        }

        await writes.RunAsync(scope =>
        {
            SyncJobs.Insert(scope, id, new JobOwner(caller.AgencyId, caller.Login, caller.Origin), lines, node.Node);
            return true;
        }, ct);
        runner.Wake();

        using var connection = database.OpenReader();
        return TypedResults.Accepted($"/api/v1/sync/jobs/{id}", SyncJobs.Find(connection, caller.AgencyId, id));
    }

    private static Results<Ok<SyncJob>, ProblemHttpResult> Get(Caller caller, string id, Database database)
    {
        using var connection = database.OpenReader();
        return SyncJobs.Find(connection, caller.AgencyId, id) is { } job ? TypedResults.Ok(job) : Problems.NotFound("Sync job not found.");
    }

    private static Ok<IReadOnlyList<SyncJob>> List(Caller caller, Database database)
    {
        using var connection = database.OpenReader();
        return TypedResults.Ok<IReadOnlyList<SyncJob>>(SyncJobs.Recent(connection, caller.AgencyId, 50));
    }

    /// <summary>Copies the upload to disk and flushes it there before the job is recorded, counting its lines.</summary>
    private static async Task<long> Spool(Stream body, string path, CancellationToken ct)
    {
        var lines = 0L;
        var lastByte = (byte)'\n';
        var buffer = new byte[64 * 1024];
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
        int read;
        while ((read = await body.ReadAsync(buffer, ct)) > 0)
        {
            lines += buffer.AsSpan(0, read).Count((byte)'\n');
            lastByte = buffer[read - 1];
            await file.WriteAsync(buffer.AsMemory(0, read), ct);
        }

#pragma warning disable CA1849 // FlushAsync reaches the OS only; the upload must be on disk before 202 answers.
        file.Flush(flushToDisk: true);
#pragma warning restore CA1849
        return lastByte == '\n' ? lines : lines + 1;
    }
}
