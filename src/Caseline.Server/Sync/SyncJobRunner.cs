using System.Text.Json;
using System.Text.Unicode;
using Caseline.Messages;
using Caseline.Messages.Json;
using Caseline.Server.Operations;
using Caseline.Server.Storage;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Sync;

/// <summary>
/// Runs this node's bulk sync jobs (their uploads are spooled in its data folder) one at a time, oldest first. Lines are parsed and validated outside the writer,
/// then applied a batch at a time; each batch commits together with the job's counters and its line
/// position, so a restarted server resumes exactly where the last commit left off and counts nothing twice.
/// </summary>
internal sealed partial class SyncJobRunner(
    JobStorage jobs, WriteQueue writes, NodeIdentity node, TimeProvider clock, IOptions<CaselineOptions> options, ILogger<SyncJobRunner> logger, CaselineTelemetry telemetry) : BackgroundService
{
    /// <summary>How many refused lines a job lists with their errors (it counts them all).</summary>
    public const int MaxListedErrors = 1000;

    private const int ProfilesPerBatch = 200;

    private readonly SemaphoreSlim _wake = new(0);

    public string SpoolPath(string jobId)
    {
        var directory = Path.Combine(options.Value.DataDirectory, "sync");
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, jobId + ".ndjson");
    }

    public void Wake() => _wake.Release();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (jobs.NextUnfinished(node.Node) is { } work)
                {
                    await RunAsync(work.Job, work.Owner, stoppingToken);
                    continue;
                }

                await _wake.WaitAsync(TimeSpan.FromSeconds(5), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogLoopFailed(e);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    private async Task RunAsync(SyncJob job, JobOwner owner, CancellationToken ct)
    {
        var path = SpoolPath(job.Id);
        if (!File.Exists(path))
        {
            await writes.RunAsync(scope => Finish(scope, job.Id, SyncJobState.Failed, "The uploaded file is missing."), ct);
            return;
        }

        await writes.RunAsync(scope => Start(scope, job.Id), ct);
        LogJobStarted(job.Id, job.LinesProcessed);
        var errors = new List<SyncLineError>(job.Errors);
        var batch = new List<(long Line, ProfileInput Profile)>(ProfilesPerBatch);
        long invalid = 0;

        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan))
        using (var lines = new NdjsonLines(file))
        {
            while (await lines.NextAsync(ct) is { } line)
            {
                if (lines.LineNumber <= job.LinesProcessed || (!lines.TooLong && IsBlank(line.Span)))
                {
                    continue;
                }

                var profile = Parse(line, lines.TooLong);
                if (profile.Errors.Count > 0 || string.IsNullOrEmpty(profile.IntegrationId))
                {
                    invalid++;
                    if (errors.Count < MaxListedErrors)
                    {
                        var reasons = profile.Errors.Count > 0 ? profile.Errors : new Dictionary<string, string[]> { ["IntegrationId"] = ["IntegrationId is required"] };
                        errors.Add(new SyncLineError(lines.LineNumber, profile.IntegrationId, reasons));
                    }
                }
                else
                {
                    batch.Add((lines.LineNumber, profile));
                }

                if (batch.Count == ProfilesPerBatch || invalid >= ProfilesPerBatch)
                {
                    await ApplyAsync(job.Id, owner, batch, invalid, lines.LineNumber, errors, ct);
                    batch.Clear();
                    invalid = 0;
                }
            }

            await ApplyAsync(job.Id, owner, batch, invalid, lines.LineNumber, errors, ct);
        }

        await writes.RunAsync(scope => Finish(scope, job.Id, SyncJobState.Completed, null), ct);
        File.Delete(path);
        LogJobFinished(job.Id);
    }

    private async Task<bool> ApplyAsync(
        string jobId, JobOwner owner, List<(long Line, ProfileInput Profile)> batch, long invalid, long linesDone,
        List<SyncLineError> errors, CancellationToken ct)
    {
        var listed = errors.ToArray();
        var applied = await writes.RunForAsync(owner.AgencyId, batch.Select(b => b.Profile.IntegrationId!), scope =>
        {
            var writer = new ProfileWriter(scope, owner.AgencyId, owner.Login, owner.Origin);
            long created = 0, updated = 0, unchanged = 0, removed = 0;
            foreach (var (_, profile) in batch)
            {
                var (outcome, itemsRemoved) = MakeEqual(writer, profile);
                removed += itemsRemoved;
                _ = outcome switch
                {
                    ChangeVerb.Created => created++,
                    ChangeVerb.Updated => updated++,
                    _ => unchanged++,
                };
            }

            jobs.Advance(scope, jobId, new SyncProgress(linesDone, created, updated, unchanged, invalid, removed, writer.MessagesWritten), listed);
            return true;
        }, ct);
        telemetry.SyncProcessed(batch.Count + invalid);
        return applied;
    }

    /// <summary>Makes the stored profile equal to <paramref name="profile"/>: every section and item set, every other stored item removed.</summary>
    internal static (ChangeVerb? Outcome, int ItemsRemoved) MakeEqual(ProfileWriter writer, ProfileInput profile)
    {
        var clientId = profile.IntegrationId!;
        var isNew = !writer.ClientExists(clientId);
        if (isNew)
        {
            writer.CreateClient(clientId);
        }

        var before = writer.MessagesWritten;
        var stored = writer.Stored(clientId);
        var wanted = new HashSet<(Section, string)>();
        foreach (var section in profile.Sections.Concat(profile.Items ?? []))
        {
            var key = (section.Section, (section as ItemDetails)?.IntegrationId ?? "");
            wanted.Add(key);
            writer.Put(clientId, section, stored.GetValueOrDefault(key), known: true);
        }

        var removed = 0;
        foreach (var (key, bytes) in stored)
        {
            if (!wanted.Contains(key))
            {
                writer.Remove(clientId, key.Section, key.ItemId, bytes);
                removed++;
            }
        }

        return (isNew ? ChangeVerb.Created : writer.MessagesWritten > before ? ChangeVerb.Updated : null, removed);
    }

    private ProfileInput Parse(ReadOnlyMemory<byte> line, bool tooLong)
    {
        if (tooLong)
        {
            return Refused($"The line is longer than {NdjsonLines.MaxLineBytes} bytes");
        }

        if (!Utf8.IsValid(line.Span))
        {
            return Refused("The line is not valid UTF-8");
        }

        try
        {
            using var document = JsonDocument.Parse(line);
            return SyncInput.ReadProfile(document.RootElement, clock);
        }
        catch (JsonException)
        {
            return Refused("The line is not valid JSON");
        }
    }

    private static ProfileInput Refused(string reason) =>
        new(null, [], [], null, new Dictionary<string, string[]> { [""] = [reason] });

    private static bool IsBlank(ReadOnlySpan<byte> line) => line.Trim(" \t"u8).IsEmpty;

    private bool Start(WriteScope scope, string id)
    {
        jobs.Start(scope, id);
        return true;
    }

    private bool Finish(WriteScope scope, string id, string state, string? failure)
    {
        jobs.Finish(scope, id, state, failure);
        return true;
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Bulk sync job {JobId} started after line {LinesDone}")]
    private partial void LogJobStarted(string jobId, long linesDone);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Bulk sync job {JobId} completed")]
    private partial void LogJobFinished(string jobId);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Error, Message = "The bulk sync runner failed; it will try again")]
    private partial void LogLoopFailed(Exception exception);
}
