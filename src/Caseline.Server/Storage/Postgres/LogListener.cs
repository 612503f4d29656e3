using Npgsql;

namespace Caseline.Server.Storage.Postgres;

/// <summary>
/// Wakes this process's feed readers and dispatcher when another process's commit appended messages: one
/// connection LISTENs on <see cref="PostgresDatabase.LogChannel"/> and pulses the <see cref="LogSignal"/>. It is
/// only the wake-up: a waiter re-reads the log, and polls it anyway, so a notification lost while the
/// connection was down costs at most a poll interval.
/// </summary>
internal sealed partial class LogListener(PostgresDatabase database, LogSignal signal, ILogger<LogListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = database.OpenListener();
                connection.Notification += (_, _) => signal.Pulse();
                await using (var listen = new NpgsqlCommand("LISTEN " + PostgresDatabase.LogChannel, connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                // Whatever was committed while nobody listened is read by the waiters' own polls; wake them once now.
                signal.Pulse();
                delay = TimeSpan.FromSeconds(1);
                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogListenFailed(e, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "Listening for other processes' commits failed; trying again in {Seconds} s (until then, waiters poll)")]
    private partial void LogListenFailed(Exception exception, double seconds);
}
