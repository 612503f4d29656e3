using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Identity;

/// <summary>
/// Growing delays for failed logons, before and beside the lockout. Per source (an IPv4 address, or an IPv6 /64): a
/// few failures within the lockout window are free, then each makes the source wait twice as long as the one before,
/// up to <see cref="IdentityOptions.ThrottleMaxDelay"/>; a waiting source is answered at once, without a password
/// check. Per person: after <see cref="IdentityOptions.AccountFreeFailures"/>, each failure makes the next try wait
/// likewise until the lockout takes over. API clients are throttled by source only and never locked: their secrets are
/// too long to guess, and locking them would let anyone stop an agency's integration. Sources are counted per process.
/// </summary>
internal sealed class LogonThrottle(TimeProvider clock, IOptions<IdentityOptions> options)
{
    /// <summary>Sources remembered at most; past it, those whose window is over are forgotten first.</summary>
    private const int Capacity = 100_000;

    private readonly ConcurrentDictionary<string, Source> _sources = new(StringComparer.Ordinal);

    /// <summary>The source a request counts against: its address, or the /64 network of an IPv6 address.</summary>
    public static string SourceOf(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            return new IPAddress(bytes) + "/64";
        }

        return address.ToString();
    }

    /// <summary>How long <paramref name="source"/> must wait before its next logon; zero when it may try now.</summary>
    public TimeSpan SourceWait(string source)
    {
        if (!_sources.TryGetValue(source, out var entry))
        {
            return TimeSpan.Zero;
        }

        lock (entry)
        {
            var wait = entry.BlockedUntil - clock.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
    }

    /// <summary>Counts a failed logon from <paramref name="source"/>.</summary>
    public void SourceFailed(string source)
    {
        var settings = options.Value;
        var now = clock.GetUtcNow();
        if (_sources.Count >= Capacity)
        {
            foreach (var (key, old) in _sources)
            {
                if (old.WindowStart + settings.LockoutWindow < now)
                {
                    _sources.TryRemove(key, out _);
                }
            }
        }

        var entry = _sources.GetOrAdd(source, _ => new Source { WindowStart = now });
        lock (entry)
        {
            if (entry.WindowStart + settings.LockoutWindow < now)
            {
                (entry.WindowStart, entry.Failures) = (now, 0);
            }

            entry.Failures++;
            if (entry.Failures > settings.SourceFreeFailures)
            {
                entry.BlockedUntil = now + Delay(entry.Failures - settings.SourceFreeFailures);
            }
        }
    }

    /// <summary>How long a person must wait after their recent failures (<see cref="Failures"/> from the store); zero when they may try now.</summary>
    public TimeSpan AccountWait(Failures failures)
    {
        var over = failures.Count - options.Value.AccountFreeFailures;
        if (over <= 0)
        {
            return TimeSpan.Zero;
        }

        var wait = failures.Last + Delay(over) - clock.GetUtcNow();
        return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
    }

    // 1 s, 2 s, 4 s, … up to the maximum.
    private TimeSpan Delay(int failuresOver)
    {
        var max = options.Value.ThrottleMaxDelay;
        return failuresOver >= 30 ? max : TimeSpan.FromSeconds(Math.Min(Math.Pow(2, failuresOver - 1), max.TotalSeconds));
    }

    /// <summary>Seconds for a <c>Retry-After</c> header: whole, at least one.</summary>
    public static int Seconds(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));

    /// <summary>The wait as a person reads it: "1 second", "40 seconds", "3 minutes".</summary>
    public static string Phrase(TimeSpan wait) => Seconds(wait) switch
    {
        1 => "1 second",
        < 120 and var s => $"{s} seconds",
        var s => $"{(s + 59) / 60} minutes",
    };

    private sealed class Source
    {
        public DateTimeOffset WindowStart;
        public int Failures;
        public DateTimeOffset BlockedUntil;
    }
}
