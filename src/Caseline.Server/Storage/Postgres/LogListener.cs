using Caseline.Server.Identity;
using Caseline.Server.Log;
using Npgsql;

namespace Caseline.Server.Storage.Postgres;

/// <summary>
/// Wakes this process's feed readers and dispatcher when another process's commit appended messages: one
/// connection LISTENs on <see cref="PostgresDatabase.LogChannel"/> and pulses the <see cref="LogSignal"/>. It is
/// only the wake-up: a waiter re-reads the log, and polls it anyway, so a notification lost while the
/// connection was down costs at most a poll interval. The same connection takes the commits that end tokens and
/// sessions (<see cref="PostgresDatabase.IdentityChannel"/>) to <see cref="Sessions"/>, which trusts its copies only
/// while it listens.
/// </summary>
internal sealed partial class LogListener(PostgresDatabase database, LogSignal signal, Sessions sessions, ILogger<LogListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = database.OpenListener();
                connection.Notification += (_, e) =>
                {
                    if (e.Channel == PostgresDatabase.IdentityChannel)
                    {
                        sessions.Changed(e.Payload);
                    }
                    else
                    {
                        signal.Pulse();
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {PostgresDatabase.LogChannel}; LISTEN {PostgresDatabase.IdentityChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                // Whatever was committed while nobody listened is read by the waiters' own polls; wake them once now.
                signal.Pulse();
                sessions.Listening = true;
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
                sessions.Listening = false;
                LogListenFailed(e, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "Listening for other processes' commits failed; trying again in {Seconds} s (until then, waiters poll and every request reads its account's stamp)")]
    private partial void LogListenFailed(Exception exception, double seconds);
}
