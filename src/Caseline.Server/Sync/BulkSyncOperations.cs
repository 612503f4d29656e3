using Caseline.Server.Identity;
using Caseline.Server.Storage;

namespace Caseline.Server.Sync;

/// <summary>What uploading a bulk sync came to.</summary>
internal abstract record UploadResult
{
    private UploadResult()
    {
    }

    /// <summary>Spooled to disk and queued: the job as recorded.</summary>
    public sealed record Queued(SyncJob Job) : UploadResult;

    /// <summary>Nothing queued: the upload ran over the size limit.</summary>
    public sealed record TooLarge : UploadResult;
}

/// <summary>
/// Bulk full sync: the upload is spooled to disk and made durable, a job is recorded, and the caller is answered at once;
/// <see cref="SyncJobRunner"/> then makes each stored profile equal to the one given.
/// </summary>
internal sealed class BulkSyncOperations(JobStorage jobs, WriteQueue writes, SyncJobRunner runner, NodeIdentity node)
{
    /// <summary>How many jobs the agency's list shows.</summary>
    public const int RecentJobs = 50;

    /// <summary>Spools <paramref name="body"/> (one profile document per line), records its job and wakes the runner.</summary>
    public async Task<UploadResult> UploadAsync(Caller caller, Stream body, CancellationToken ct)
    {
        var id = Guid.CreateVersion7().ToString("N");
        var path = runner.SpoolPath(id);
        long lines;
        try
        {
            lines = await Spool(body, path, ct);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            File.Delete(path);
            return new UploadResult.TooLarge();
        }
        catch
        {
            File.Delete(path);
            throw;
        }

        await writes.RunAsync(scope =>
        {
            jobs.Insert(scope, id, new JobOwner(caller.AgencyId, caller.Login, caller.Origin), lines, node.Node);
            return true;
        }, ct);
        runner.Wake();
        return new UploadResult.Queued(jobs.Find(caller.AgencyId, id)!);
    }

    /// <summary>The agency's job <paramref name="id"/>; null when it has no such job.</summary>
    public SyncJob? Find(Caller caller, string id) => jobs.Find(caller.AgencyId, id);

    /// <summary>The agency's latest jobs, newest first.</summary>
    public IReadOnlyList<SyncJob> Recent(Caller caller) => jobs.Recent(caller.AgencyId, RecentJobs);

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

#pragma warning disable CA1849 // FlushAsync reaches the OS only; the upload must be on disk before the job is recorded.
        file.Flush(flushToDisk: true);
#pragma warning restore CA1849
        return lastByte == '\n' ? lines : lines + 1;
    }
}
