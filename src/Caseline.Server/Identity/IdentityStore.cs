using Caseline.Server.Storage;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Identity;

/// <summary>A person who logs on; a service account is an integration's, which logs on to the API by password alone.</summary>
internal sealed record UserAccount(string Id, long? AgencyId, string Login, string Role, string PasswordHash, bool Disabled, string Stamp, bool ServiceAccount);

/// <summary>A program that logs on (a CMS's middleware). Public clients (the officer UI, the CLI) have no secret.</summary>
internal sealed record ApiClientAccount(string ClientId, long? AgencyId, string Name, string? SecretHash, bool Disabled, string Stamp);

/// <summary>Failed logons of one kind for one account within the lockout window: how many, and the last one's time.</summary>
internal readonly record struct Failures(int Count, DateTimeOffset Last);

/// <summary>
/// The identity feature's service over <see cref="IdentityStorage"/>: what a login key, a failure key and a recovery code's
/// hash are, the lockout window, password hashing, and the write units that change an account (each ending the account's
/// sessions where it must, through <see cref="Sessions"/>). The token endpoint, the sign-in sequence, the account pages and
/// <see cref="AdminOperations"/> all go through it, so each rule is written once.
/// </summary>
internal sealed class IdentityStore(IdentityStorage storage, WriteQueue writes, Sessions sessions, TimeProvider clock, IOptions<IdentityOptions> options)
{
    /// <summary>The first-party public client (officer UI, CLI): password grant only, no secret.</summary>
    public const string PublicClientId = "caseline";

    public static string LoginKey(string login) => login.Trim().ToLowerInvariant();

    public UserAccount? FindUser(string login) => storage.FindUserByLogin(LoginKey(login));

    public UserAccount? FindUserById(string id) => storage.FindUser(id);

    public ApiClientAccount? FindClient(string clientId) => storage.FindClient(clientId);

    /// <summary>The user's TOTP secret, still encrypted; null when they have no second factor.</summary>
    public string? ProtectedTotpSecret(string userId) => storage.TotpSecret(userId);

    public bool AgencyRequiresMfa(long agencyId) => storage.AgencyRequiresMfa(agencyId);

    public Task SetAgencyRequiresMfaAsync(long agencyId, bool required, CancellationToken ct) =>
        writes.RunAsync(scope => storage.SetAgencyRequiresMfa(scope, agencyId, required), ct);

    /// <summary>
    /// Gives the user a second factor and recovery codes (stored as SHA-256 hashes), replacing any before. Replacing one
    /// ends the user's other sessions and tokens; the new stamp is returned for the session that made the change.
    /// </summary>
    public Task<string> EnrolTotpAsync(string userId, string protectedSecret, IEnumerable<string> recoveryCodes, CancellationToken ct) => writes.RunAsync(scope =>
    {
        var replacing = storage.TotpSecret(scope, userId) is not null;
        storage.SetSecondFactor(scope, userId, protectedSecret, recoveryCodes.Select(RecoveryHash));
        if (replacing)
        {
            sessions.Renew(scope, Sessions.UserKey(userId));
        }

        return storage.UserStamp(scope, userId)!;
    }, ct);

    /// <summary>Takes away the user's own second factor (they proved the password and a code); ends their other sessions and returns the new stamp.</summary>
    public Task<string> RemoveTotpAsync(string userId, CancellationToken ct) => writes.RunAsync(scope =>
    {
        storage.RemoveSecondFactor(scope, userId);
        sessions.Renew(scope, Sessions.UserKey(userId));
        return storage.UserStamp(scope, userId)!;
    }, ct);

    /// <summary>
    /// Accepts an authenticator code once: false when it is not the code of the current step (or one next to it), or
    /// when a code of that step or a later one was accepted already.
    /// </summary>
    public Task<bool> UseTotpCodeAsync(string userId, byte[] secret, string? code, CancellationToken ct) =>
        Totp.Match(secret, code, clock.GetUtcNow()) is { } step
            ? writes.RunAsync(scope => storage.UseTotpStep(scope, userId, step), ct)
            : Task.FromResult(false);

    /// <summary>Takes away a user's second factor and recovery codes (an administrator's reset); false when the user is not of the agency.</summary>
    public Task<bool> ResetMfaAsync(long agencyId, string userId, CancellationToken ct) => writes.RunAsync(scope =>
    {
        if (!storage.RemoveSecondFactor(scope, agencyId, userId))
        {
            return false;
        }

        sessions.Renew(scope, Sessions.UserKey(userId));
        return true;
    }, ct);

    /// <summary>Uses up one recovery code; false when it is not one of the user's (or was used).</summary>
    public Task<bool> UseRecoveryCodeAsync(string userId, string code, CancellationToken ct) =>
        writes.RunAsync(scope => storage.UseRecoveryCode(scope, userId, RecoveryHash(code)), ct);

    // Recovery codes are 50 random bits each, so a plain hash suffices (a slow one would make ten of them cost seconds).
    private static string RecoveryHash(string code) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(code.Replace("-", "", StringComparison.Ordinal).Trim().ToUpperInvariant())));

    public string? AgencyName(long agencyId) => storage.AgencyName(agencyId);

    /// <summary>The failure key of a password logon with <paramref name="login"/>.</summary>
    public static string PasswordFailures(string login) => FailureKey("password", LoginKey(login));

    /// <summary>The failure key of a user's second-factor codes: they lock on their own, and no password clears them.</summary>
    public static string CodeFailures(string userId) => FailureKey("code", userId);

    // What a stranger typed is kept only as a hash of bounded size.
    private static string FailureKey(string kind, string value) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(kind + ":" + value)));

    /// <summary>The failures of <paramref name="key"/> within the lockout window.</summary>
    public Failures FailuresOf(string key) => storage.FailuresOf(key, clock.GetUtcNow() - options.Value.LockoutWindow);

    public Task RecordFailureAsync(string key, CancellationToken ct) => writes.RunAsync(scope =>
    {
        storage.RecordFailure(scope, key);
        return true;
    }, ct);

    public Task ClearFailuresAsync(string key, CancellationToken ct) => writes.RunAsync(scope =>
    {
        storage.ClearFailures(scope, key);
        return true;
    }, ct);

    /// <summary>Unlocks a user of the agency (an administrator's act): their password and code failures are forgotten; false when not of the agency.</summary>
    public Task<bool> UnlockAsync(long agencyId, string userId, CancellationToken ct) => writes.RunAsync(scope =>
    {
        if (storage.LoginOf(scope, agencyId, userId) is not { } login)
        {
            return false;
        }

        storage.ClearFailures(scope, PasswordFailures(login));
        storage.ClearFailures(scope, CodeFailures(userId));
        return true;
    }, ct);

    /// <summary>Which of <paramref name="users"/> are locked out now (by password or by code failures).</summary>
    public IReadOnlySet<string> LockedUsers(IEnumerable<UserRow> users)
    {
        var failing = storage.LockedKeys(clock.GetUtcNow() - options.Value.LockoutWindow, options.Value.LockoutFailures);
        return users.Where(u => failing.Contains(PasswordFailures(u.Login)) || failing.Contains(CodeFailures(u.Id))).Select(u => u.Id).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Deletes failure records older than the lockout window, and ended sessions that have expired anyway.</summary>
    public static int Prune(WriteScope scope, DateTimeOffset now, TimeSpan window) => scope.Database.Identity.Prune(scope, now - window, now);

    public string Hash(string secret) => PasswordHashing.Hash(secret, options.Value.PasswordHashIterations);

    private string? _dummyHash;

    /// <summary>A hash of nothing anyone knows, at today's cost: checking a password against it makes an unknown login cost what a wrong password costs.</summary>
    public string DummyHash => _dummyHash ??= Hash(PasswordHashing.NewSecret());

    /// <summary>
    /// Changes what is given of a user of the agency; a change of role, disabled or service-account flag ends every
    /// session and token the user has. False when the user is not of the agency.
    /// </summary>
    public Task<bool> UpdateUserAsync(long agencyId, string userId, string? role, bool? disabled, bool? serviceAccount, CancellationToken ct) =>
        writes.RunAsync(scope =>
        {
            if (storage.Flags(scope, agencyId, userId) is not { } now)
            {
                return false;
            }

            var ends = (role is not null && role != now.Role)
                || (disabled is { } d && d != now.Disabled)
                || (serviceAccount is { } s && s != now.ServiceAccount);
            if (ends)
            {
                storage.SetFlags(scope, userId, role, disabled, serviceAccount);
                sessions.Renew(scope, Sessions.UserKey(userId));
            }

            return true;
        }, ct);

    /// <summary>
    /// Sets a user's password: the one place a password changes after the user was created (their own change, an
    /// administrator's reset, the API's <c>PUT /admin/users/{id}</c>). <paramref name="mustChange"/> makes the user replace
    /// it at the next sign-in to the web UI. Every session and token of the user ends; the new stamp is returned for the
    /// session that made the change (null when there is no such user).
    /// </summary>
    public Task<string?> SetPasswordAsync(string userId, string passwordHash, bool mustChange, CancellationToken ct) => writes.RunAsync(scope =>
    {
        if (!storage.SetPassword(scope, userId, passwordHash, mustChange))
        {
            return null;
        }

        sessions.Renew(scope, Sessions.UserKey(userId));
        return storage.UserStamp(scope, userId);
    }, ct);

    /// <summary>Makes a new user replace the one-time password they were given (an invitation) at the next sign-in.</summary>
    public Task RequirePasswordChangeAsync(string userId, CancellationToken ct) => writes.RunAsync(scope =>
    {
        storage.RequirePasswordChange(scope, userId);
        return true;
    }, ct);

    /// <summary>Whether the user must replace a password someone else set before doing anything else in the web UI.</summary>
    public bool MustChangePassword(string userId) => storage.MustChangePassword(userId);

    /// <summary>
    /// Adds a user; null when the login is taken. <paramref name="mustChange"/> makes them replace the password at their
    /// first sign-in to the web UI (someone else knows it).
    /// </summary>
    public static string? InsertUser(WriteScope scope, long? agencyId, string login, string role, string passwordHash, bool mustChange = false)
    {
        var id = Guid.CreateVersion7().ToString("D");
        return scope.Database.Identity.AddUser(scope, new NewUser(id, agencyId, login.Trim(), LoginKey(login), role, passwordHash, Sessions.NewStamp(), mustChange)) ? id : null;
    }

    /// <summary>Adds an API client; false when the id is taken.</summary>
    public static bool InsertClient(WriteScope scope, long? agencyId, string clientId, string name, string? secretHash) =>
        scope.Database.Identity.AddClient(scope, agencyId, clientId, name, secretHash, Sessions.NewStamp());

    /// <summary>Adds an agency; null when the name is taken.</summary>
    public static long? InsertAgency(WriteScope scope, string name) => scope.Database.Identity.AddAgency(scope, name);
}
