using Caseline.Server.Audit;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Identity;

/// <summary>What one step of a logon came to.</summary>
internal enum LogonResult
{
    /// <summary>The password (or the code) was right.</summary>
    Succeeded,

    /// <summary>Too many recent failures from this source or for this person: try again after <see cref="LogonOutcome.RetryAfter"/>.</summary>
    Throttled,

    /// <summary>Locked after too many failures within the lockout window; an administrator can unlock it.</summary>
    LockedOut,

    /// <summary>Wrong, unknown, disabled or not allowed here: one answer for all, so none tells which.</summary>
    Invalid,
}

/// <summary>One step of a logon and, when it succeeded, whose.</summary>
internal readonly record struct LogonOutcome(LogonResult Result, UserAccount? User = null, TimeSpan RetryAfter = default);

/// <summary>
/// The sign-in sequence the token endpoint and the web UI share: throttling, lockout, the password, the second factor,
/// failure records and the audit trail, in one order. A person's password failures and code failures count apart, so
/// no password success clears a code failure.
/// </summary>
internal sealed class Logons(IdentityStore identity, AuditTrail audit, LogonThrottle throttle, SecondFactor mfa, IOptions<IdentityOptions> options)
{
    /// <summary>The longest login worth checking (an email address); a longer one is refused unread and unrecorded.</summary>
    public const int MaxLogin = 254;

    private const int MaxPassword = 1024;

    /// <summary>
    /// The first step: the password of <paramref name="login"/>. An unknown login costs what a wrong password costs.
    /// <paramref name="allowed"/> refuses a user this channel may not sign in (counted as a failure, answered alike).
    /// </summary>
    public async Task<LogonOutcome> PasswordAsync(HttpContext http, string? login, string? password, Func<UserAccount, bool> allowed, CancellationToken ct)
    {
        var source = LogonThrottle.SourceOf(http);
        if (throttle.SourceWait(source) is { Ticks: > 0 } sourceWait)
        {
            return new LogonOutcome(LogonResult.Throttled, RetryAfter: sourceWait);
        }

        if (string.IsNullOrWhiteSpace(login) || login.Length > MaxLogin || password is null || password.Length > MaxPassword)
        {
            throttle.SourceFailed(source);
            return new LogonOutcome(LogonResult.Invalid);
        }

        var key = IdentityStore.PasswordFailures(login);
        var failures = identity.FailuresOf(key);
        var user = identity.FindUser(login);
        if (failures.Count >= options.Value.LockoutFailures)
        {
            await audit.RecordAsync(http, user?.AgencyId, login, "logon", null, StatusCodes.Status423Locked, ct);
            return new LogonOutcome(LogonResult.LockedOut);
        }

        if (throttle.AccountWait(failures) is { Ticks: > 0 } accountWait)
        {
            return new LogonOutcome(LogonResult.Throttled, RetryAfter: accountWait);
        }

        var verified = PasswordHashing.Verify(password, user?.PasswordHash ?? identity.DummyHash);
        if (!verified || user is not { Disabled: false } || !allowed(user))
        {
            await identity.RecordFailureAsync(key, ct);
            throttle.SourceFailed(source);
            await audit.RecordAsync(http, user?.AgencyId, login, "logon", null, StatusCodes.Status400BadRequest, ct);
            return new LogonOutcome(LogonResult.Invalid);
        }

        if (failures.Count > 0)
        {
            await identity.ClearFailuresAsync(key, ct);
        }

        return new LogonOutcome(LogonResult.Succeeded, user);
    }

    /// <summary>
    /// The second step, for a user with an authenticator: its current code, good once; or, where
    /// <paramref name="recoveryCodes"/> allows, one of the user's recovery codes.
    /// </summary>
    public async Task<LogonOutcome> CodeAsync(HttpContext http, UserAccount user, string? code, bool recoveryCodes, CancellationToken ct)
    {
        var source = LogonThrottle.SourceOf(http);
        if (throttle.SourceWait(source) is { Ticks: > 0 } sourceWait)
        {
            return new LogonOutcome(LogonResult.Throttled, RetryAfter: sourceWait);
        }

        var key = IdentityStore.CodeFailures(user.Id);
        var failures = identity.FailuresOf(key);
        if (failures.Count >= options.Value.LockoutFailures)
        {
            await audit.RecordAsync(http, user.AgencyId, user.Login, "logon", null, StatusCodes.Status423Locked, ct);
            return new LogonOutcome(LogonResult.LockedOut);
        }

        if (!await VerifyCodeAsync(user, code, recoveryCodes, ct))
        {
            await identity.RecordFailureAsync(key, ct);
            throttle.SourceFailed(source);
            await audit.RecordAsync(http, user.AgencyId, user.Login, "logon", null, StatusCodes.Status400BadRequest, ct);
            return new LogonOutcome(LogonResult.Invalid);
        }

        if (failures.Count > 0)
        {
            await identity.ClearFailuresAsync(key, ct);
        }

        return new LogonOutcome(LogonResult.Succeeded, user);
    }

    /// <summary>Whether <paramref name="code"/> is the user's current code (used up now) or, where allowed, a recovery code (used up too).</summary>
    private async Task<bool> VerifyCodeAsync(UserAccount user, string? code, bool recoveryCodes, CancellationToken ct) =>
        identity.ProtectedTotpSecret(user.Id) is { } stored
        && (await identity.UseTotpCodeAsync(user.Id, mfa.Unprotect(stored), code, ct)
            || (recoveryCodes && code is { Length: > 6 and < 40 } && await identity.UseRecoveryCodeAsync(user.Id, code, ct)));

    /// <summary>Records an API client's logon (the client credentials grant).</summary>
    public Task ClientCompletedAsync(HttpContext http, ApiClientAccount client, CancellationToken ct) =>
        audit.RecordAsync(http, client.AgencyId, client.Name, "logon", null, StatusCodes.Status200OK, ct);

    /// <summary>Records the finished logon; a service account's is recorded as such.</summary>
    public Task CompletedAsync(HttpContext http, UserAccount user, CancellationToken ct) =>
        audit.RecordAsync(http, user.AgencyId, user.Login, user.ServiceAccount ? "service-logon" : "logon", null, StatusCodes.Status200OK, ct);
}
