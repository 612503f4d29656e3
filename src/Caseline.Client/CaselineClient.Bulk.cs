using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Caseline.Client.Http;
using Caseline.Messages;
using Caseline.Messages.Json;

namespace Caseline.Client;

public sealed partial class CaselineClient
{
    /// <summary>
    /// A bulk full sync, to its end: uploads <paramref name="profiles"/> as NDJSON while the caller's enumeration
    /// yields them (nothing is held in memory), then polls the server's job until it finishes. Each stored
    /// profile is made equal to the one given; messages are emitted only for real differences. Lines the server
    /// refused are listed in <see cref="SyncJob.Errors"/> by line number.
    /// </summary>
    /// <param name="profiles">Whole profiles, one per client.</param>
    /// <param name="progress">Told as profiles are uploaded, then at each poll of the job.</param>
    /// <param name="pollInterval">How often the job is polled (default 1 s).</param>
    /// <param name="cancellationToken">Stops the upload or the polling; a job already accepted goes on on the server.</param>
    public async Task<SyncJob> SyncAsync(
        IAsyncEnumerable<ClientProfile> profiles, IProgress<SyncProgress>? progress = null, TimeSpan? pollInterval = null, CancellationToken cancellationToken = default)
    {
        var job = await StartSyncAsync(profiles, progress, cancellationToken).ConfigureAwait(false);
        return await WaitForSyncJobAsync(job.Id, progress, pollInterval, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Uploads a bulk sync and returns the queued job without waiting for it (<c>POST /api/v1/sync/clients</c>). Sent once: a stream cannot be retried.</summary>
    public async Task<SyncJob> StartSyncAsync(IAsyncEnumerable<ClientProfile> profiles, IProgress<SyncProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        var content = new NdjsonContent(profiles, progress);
        using var response = await SendCheckedAsync(
            () => new HttpRequestMessage(HttpMethod.Post, "api/v1/sync/clients") { Content = content }, Retry.Never, cancellationToken).ConfigureAwait(false);
        var job = await ReadAsync(response, ClientJsonContext.Default.SyncJob, cancellationToken).ConfigureAwait(false);
        progress?.Report(new SyncProgress(content.Written, job));
        return job;
    }

    /// <summary>A bulk sync job as it stands, or null when the agency has no such job.</summary>
    public async Task<SyncJob?> GetSyncJobAsync(string jobId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jobId);
        using var response = await SendCheckedAsync(
            () => new HttpRequestMessage(HttpMethod.Get, "api/v1/sync/jobs/" + Uri.EscapeDataString(jobId)), Retry.Idempotent, cancellationToken, HttpStatusCode.NotFound).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.NotFound ? null : await ReadAsync(response, ClientJsonContext.Default.SyncJob, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Polls a bulk sync job until it has completed or failed, and returns it.</summary>
    public async Task<SyncJob> WaitForSyncJobAsync(string jobId, IProgress<SyncProgress>? progress = null, TimeSpan? pollInterval = null, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var job = await GetSyncJobAsync(jobId, cancellationToken).ConfigureAwait(false)
                ?? throw new CaselineException(HttpStatusCode.NotFound, "Sync job not found.");
            progress?.Report(new SyncProgress(job.TotalLines, job));
            if (job.IsFinished)
            {
                return job;
            }

            await Task.Delay(pollInterval ?? TimeSpan.FromSeconds(1), _options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Profiles written as NDJSON straight onto the request stream, in chunks, as they are enumerated.</summary>
    private sealed class NdjsonContent : HttpContent
    {
        private const int ReportEvery = 1000;
        private readonly IAsyncEnumerable<ClientProfile> _profiles;
        private readonly IProgress<SyncProgress>? _progress;

        public NdjsonContent(IAsyncEnumerable<ClientProfile> profiles, IProgress<SyncProgress>? progress)
        {
            _profiles = profiles;
            _progress = progress;
            Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        }

        public long Written { get; private set; }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            // Lines gather in one buffer and go out 64 KiB at a time: a write per profile would be a chunk per profile.
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(128 * 1024);
            using var writer = new Utf8JsonWriter(buffer);
            await foreach (var profile in _profiles.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                JsonSerializer.Serialize(writer, profile, MessageJsonContext.Default.ClientProfile);
#pragma warning disable CA1849 // the writer's target is an in-memory buffer: flushing it does no I/O
                writer.Flush();
#pragma warning restore CA1849
                writer.Reset();
                System.Buffers.BuffersExtensions.Write(buffer, "\n"u8);
                if (++Written % ReportEvery == 0)
                {
                    _progress?.Report(new SyncProgress(Written, null));
                }

                if (buffer.WrittenCount >= 64 * 1024)
                {
                    await stream.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                    buffer.ResetWrittenCount();
                }
            }

            await stream.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
            _progress?.Report(new SyncProgress(Written, null));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
