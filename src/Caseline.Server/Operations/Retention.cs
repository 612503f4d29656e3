using System.ComponentModel.DataAnnotations;
using Caseline.Server.Identity;
using Caseline.Server.Storage;
using Caseline.Server.Sync;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Operations;

/// <summary>
/// The <c>Caseline:Retention</c> section. Messages and the audit trail are never pruned: the log is what
/// consumers rebuild from and the audit trail is append-only; only delivery bookkeeping ages out.
/// </summary>
internal sealed class RetentionOptions
{
    public const string Section = "Caseline:Retention";

    /// <summary>How long a delivered delivery and its attempts are kept after it finished. Default 30 days.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00")]
    public TimeSpan Delivered { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long a failed (dead-lettered) delivery is kept for a retry. Default 90 days.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00")]
    public TimeSpan Failed { get; set; } = TimeSpan.FromDays(90);

    /// <summary>How often the sweep runs. Default every hour.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Deliveries deleted per write unit, so that the sweep never holds the writer for long. Default 500.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 500;
}

/// <summary>What one sweep removed.</summary>
internal sealed record RetentionSweep(long Delivered, long Failed, int SpoolFiles, int LogonRecords = 0);

/// <summary>
/// Prunes finished deliveries past their age, in small write units queued beside the Sync writes (each one
/// a short transaction in the group commit, never a long one), and deletes bulk-sync spool files that no
/// unfinished job owns (a job deletes its own when it ends; this catches an upload cut off before its job),
/// and forgets failed logons and ended sessions that count for nothing any more.
/// </summary>
internal sealed partial class RetentionSweeper(
    Database database, WriteQueue writes, SyncJobRunner jobs, ClusterLease leader, Sessions sessions, TimeProvider clock,
    IOptions<RetentionOptions> options, IOptions<IdentityOptions> identity, ILogger<RetentionSweeper> logger) : BackgroundService
{
    /// <summary>A spool file younger than this may belong to an upload still being received.</summary>
    private static readonly TimeSpan SpoolGrace = TimeSpan.FromHours(6);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Interval, clock);
        do
        {
            try
            {
                // Deliveries are pruned by one process of those sharing the store (the lease outlives a missed tick, so the
                // holder keeps it); each process deletes the spool files of its own data folder.
                var leading = await leader.HoldAsync("retention", (2 * options.Value.Interval) + TimeSpan.FromMinutes(1), stoppingToken);
                var swept = await SweepAsync(stoppingToken, pruneDeliveries: leading);
                if (swept.Delivered + swept.Failed + swept.SpoolFiles > 0)
                {
                    LogSwept(swept.Delivered, swept.Failed, swept.SpoolFiles);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogSweepFailed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task<RetentionSweep> SweepAsync(CancellationToken ct, bool pruneDeliveries = true)
    {
        var now = clock.GetUtcNow();
        var delivered = pruneDeliveries ? await PruneAsync("Delivered", now - options.Value.Delivered, ct) : 0;
        var failed = pruneDeliveries ? await PruneAsync("Failed", now - options.Value.Failed, ct) : 0;
        // Failed logons outside the lockout window, and ended sessions past their expiry, count for nothing any more.
        var logons = pruneDeliveries ? await writes.RunAsync(scope => IdentityStore.Prune(scope, now, identity.Value.LockoutWindow), ct) : 0;
        sessions.Prune();
        return new RetentionSweep(delivered, failed, DeleteOrphanedSpoolFiles(now), logons);
    }

    private async Task<long> PruneAsync(string state, DateTimeOffset before, CancellationToken ct)
    {
        long total = 0;
        while (true)
        {
            var deleted = await writes.RunAsync(
                scope => database.Deliveries.PruneFinished(scope, state, before, options.Value.BatchSize), ct);
            total += deleted;
            if (deleted < options.Value.BatchSize)
            {
                return total;
            }

            // Let the Sync writes queued meanwhile go first.
            await Task.Yield();
        }
    }

    private int DeleteOrphanedSpoolFiles(DateTimeOffset now)
    {
        var folder = Path.GetDirectoryName(jobs.SpoolPath("probe"))!;
        HashSet<string> open = [.. database.Jobs.UnfinishedIds()];

        var deleted = 0;
        foreach (var file in new DirectoryInfo(folder).EnumerateFiles("*.ndjson"))
        {
            if (!open.Contains(Path.GetFileNameWithoutExtension(file.Name)) && now - file.LastWriteTimeUtc > SpoolGrace)
            {
                file.Delete();
                deleted++;
            }
        }

        return deleted;
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Retention removed {Delivered} delivered and {Failed} failed deliveries past their age, and {SpoolFiles} orphaned bulk-sync spool files")]
    private partial void LogSwept(long delivered, long failed, int spoolFiles);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "The retention sweep failed; it runs again at its next interval")]
    private partial void LogSweepFailed(Exception exception);
}
