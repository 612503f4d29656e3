namespace Caseline.Server.Storage.Sqlite;

/// <summary>
/// Checkpoints the SQLite WAL beside the writer, once a second, so that the write path never pays
/// for it. See <see cref="SqliteDatabase.Checkpoint"/>.
/// </summary>
internal sealed partial class Checkpointer(SqliteDatabase database, ILogger<Checkpointer> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>A WAL larger than this is truncated even if that means waiting for readers.</summary>
    private const long TruncateAbove = 256L * 1024 * 1024;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await Task.Run(() => database.Checkpoint(TruncateAbove), stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A failed checkpoint loses nothing (the frames stay in the WAL); the next one tries again.
                LogCheckpointFailed(e);
            }
        }
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "A WAL checkpoint failed; the next one will try again")]
    private partial void LogCheckpointFailed(Exception exception);
}
