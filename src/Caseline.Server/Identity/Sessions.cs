using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using Caseline.Server.Storage;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Caseline.Server.Identity;

/// <summary>
/// Which access tokens and web sessions still stand. Each carries the security stamp its user and its API client had
/// when it was issued, and a session id. A change that must end every session of an account (disabled, role, password,
/// second factor, secret) draws the account a new stamp; signing out or revoking a token ends its session id. Every
/// request is checked against copies kept here, so it costs no database round trip: a copy is dropped after the commit
/// that changed it, and on a shared store every other process drops it when the commit's notification arrives. While
/// that notification channel is down (<see cref="Listening"/> false), nothing is taken from the copies.
/// </summary>
internal sealed class Sessions(Database database, TimeProvider clock)
{
    public const string UserStampClaim = "caseline:user_stamp";
    public const string ClientStampClaim = "caseline:client_stamp";
    public const string SessionClaim = "caseline:sid";

    // A stamp no account has: an account that does not exist matches no token.
    private const string NoAccount = "\0";

    private readonly ConcurrentDictionary<string, string> _stamps = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _ended = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _generation;
    private volatile bool _endedLoaded;
    private readonly IdentityStorage _storage = database.Identity;
    private volatile bool _listening = !database.IsShared;

    /// <summary>Whether every change committed elsewhere reaches this process (always, where it is the only one).</summary>
    public bool Listening
    {
        get => _listening;
        set
        {
            if (value)
            {
                // What changed while nobody listened is unknown: start from the store again.
                Forget(null);
                _endedLoaded = false;
            }

            _listening = value;
        }
    }

    public static string UserKey(string userId) => "u:" + userId;

    public static string ClientKey(string clientId) => "c:" + clientId;

    public static string NewStamp() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    public static string NewSessionId() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    /// <summary>Whether the token or session <paramref name="principal"/> stands for is still current.</summary>
    public bool IsCurrent(ClaimsPrincipal principal)
    {
        var userStamp = principal.FindFirstValue(UserStampClaim);
        var clientStamp = principal.FindFirstValue(ClientStampClaim);
        if (userStamp is null && clientStamp is null)
        {
            return false; // issued before stamps existed, or not by us
        }

        if (userStamp is not null && Stamp(UserKey(principal.FindFirstValue(Claims.Subject) ?? "")) != userStamp)
        {
            return false;
        }

        if (clientStamp is not null && Stamp(ClientKey(principal.FindFirstValue(TokenEndpoint.ClientClaim) ?? "")) != clientStamp)
        {
            return false;
        }

        return principal.FindFirstValue(SessionClaim) is not { } session || !IsEnded(session);
    }

    /// <summary>The account's current stamp (<see cref="UserKey"/> or <see cref="ClientKey"/>).</summary>
    public string Stamp(string key)
    {
        if (_listening && _stamps.TryGetValue(key, out var stamp))
        {
            return stamp;
        }

        // A change committed while this read ran bumps the generation; then what was read may be the old stamp, and is
        // answered this once but not kept.
        var generation = Interlocked.Read(ref _generation);
        stamp = ReadStamp(key);
        if (_listening)
        {
            lock (_gate)
            {
                if (generation == _generation)
                {
                    _stamps[key] = stamp;
                }
            }
        }

        return stamp;
    }

    /// <summary>
    /// Gives the account a new stamp in the unit's transaction, ending every token and session it has: here once the
    /// batch commits, in the other processes when the commit's notification reaches them.
    /// </summary>
    public void Renew(WriteScope scope, string key)
    {
        var (user, id) = Account(key);
        if (user)
        {
            _storage.SetUserStamp(scope, id, NewStamp());
        }
        else
        {
            _storage.SetClientStamp(scope, id, NewStamp());
        }

        scope.Database.IdentityChanged(scope, key);
        scope.AfterCommit.Add(() => Forget(key));
    }

    /// <summary>Ends one session (a sign-out, a revoked token), remembered until <paramref name="until"/>, when it would have ended anyway.</summary>
    public void End(WriteScope scope, string sessionId, DateTimeOffset until)
    {
        _storage.EndSession(scope, sessionId, until);
        var key = $"s:{sessionId}:{until.UtcTicks}";
        scope.Database.IdentityChanged(scope, key);
        scope.AfterCommit.Add(() => Changed(key));
    }

    /// <summary>Takes in a change another process committed (the payload of its notification).</summary>
    public void Changed(string key)
    {
        if (key.StartsWith("s:", StringComparison.Ordinal) && key.LastIndexOf(':') is var colon and > 2
            && long.TryParse(key.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var until))
        {
            _ended[key[2..colon]] = until;
            return;
        }

        Forget(key);
    }

    /// <summary>Forgets ended sessions that have expired anyway (the store's rows go with retention).</summary>
    public void Prune()
    {
        var now = clock.GetUtcNow().UtcTicks;
        foreach (var (session, until) in _ended)
        {
            if (until <= now)
            {
                _ended.TryRemove(session, out _);
            }
        }
    }

    private void Forget(string? key)
    {
        lock (_gate)
        {
            if (key is null)
            {
                _stamps.Clear();
            }
            else
            {
                _stamps.TryRemove(key, out _);
            }

            _generation++;
        }
    }

    private bool IsEnded(string session)
    {
        var now = clock.GetUtcNow();
        if (!_listening)
        {
            return _storage.IsEnded(session, now);
        }

        if (!_endedLoaded)
        {
            LoadEnded(now);
        }

        return _ended.TryGetValue(session, out var until) && until > now.UtcTicks;
    }

    private void LoadEnded(DateTimeOffset now)
    {
        lock (_gate)
        {
            if (_endedLoaded)
            {
                return;
            }

            foreach (var (session, until) in _storage.EndedSessions(now))
            {
                _ended[session] = until;
            }

            _endedLoaded = true;
        }
    }

    private string ReadStamp(string key)
    {
        var (user, id) = Account(key);
        return (user ? _storage.UserStamp(id) : _storage.ClientStamp(id)) ?? NoAccount;
    }

    /// <summary>Whether <paramref name="key"/> is a user's (else an API client's), and the account's id.</summary>
    private static (bool User, string Id) Account(string key) => key[0] switch
    {
        'u' => (true, key[2..]),
        'c' => (false, key[2..]),
        _ => throw new ArgumentException("Not an account key.", nameof(key)),
    };
}
