namespace Caseline.Server.Webhooks;

/// <summary>
/// When to try a failed delivery again: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after the first eight
/// attempts' failures, each stretched by up to a tenth at random so that receivers coming back are not
/// hit by every stream at once. After the eighth attempt fails the delivery is dead-lettered.
/// </summary>
internal static class RetrySchedule
{
    public static readonly TimeSpan[] Delays =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
        TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(10),
    ];

    /// <summary>Attempts in all: the first and one per delay.</summary>
    public static int MaxAttempts => Delays.Length + 1;

    /// <summary>An endpoint failing this long without one success is disabled.</summary>
    public static readonly TimeSpan DisableAfter = TimeSpan.FromDays(5);

    /// <summary>The delay after failed attempt number <paramref name="attempt"/> (from 1), or null when it was the last.</summary>
    public static TimeSpan? After(int attempt, double jitter)
    {
        if (attempt >= MaxAttempts)
        {
            return null;
        }

        var delay = Delays[attempt - 1];
        return delay + (delay * 0.1 * jitter);
    }
}
