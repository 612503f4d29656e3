using Caseline.Server.Storage;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Identity;

/// <summary>A person who logs on; a service account is an integration's, which logs on to the API by password alone.</summary>
internal sealed record UserAccount(string Id, long? AgencyId, string Login, string Role, string PasswordHash, bool Disabled, string Stamp, bool ServiceAccount);

/// <summary>A program that logs on (a CMS's middleware). Public clients (the officer UI, the CLI) have no secret.</summary>
internal sealed record ApiClientAccount(string ClientId, long? AgencyId, string Name, string? SecretHash, bool Disabled, string Stamp);

/// <summary>Failed logons of one kind for one account within the lockout window: how many, and the last one's time.</summary>
internal readonly record struct Failures(int Count, DateTimeOffset Last);

/// <summary>Users, API clients, agencies and failed logons.</summary>
internal sealed class IdentityStore(Database database, WriteQueue writes, Sessions sessions, TimeProvider clock, IOptions<IdentityOptions> options)
{
    /// <summary>The first-party public client (officer UI, CLI): password grant only, no secret.</summary>
    public const string PublicClientId = "caseline";

    public static string LoginKey(string login) => login.Trim().ToLowerInvariant();

    public UserAccount? FindUser(string login) => ReadUser("login_key = @key", LoginKey(login));

    public UserAccount? FindUserById(string id) => ReadUser("id = @key", id);

    private UserAccount? ReadUser(string where, string key)
    {
        using var connection = database.OpenReader();
        using var command = connection.Command(
            $"SELECT id, agency_id, login, role, password_hash, disabled, stamp, service_account FROM users WHERE {where}", null, ("@key", key));
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new UserAccount(
                reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetInt64(5) != 0, reader.GetString(6), reader.GetInt64(7) != 0)
            : null;
    }

    public ApiClientAccount? FindClient(string clientId)
    {
        using var connection = database.OpenReader();
        using var command = connection.Command(
            "SELECT client_id, agency_id, name, secret_hash, disabled, stamp FROM api_clients WHERE client_id = @id", null, ("@id", clientId));
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new ApiClientAccount(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.GetString(2), reader.NullableString(3), reader.GetInt64(4) != 0, reader.GetString(5))
            : null;
    }

    /// <summary>The user's TOTP secret, still encrypted; null when they have no second factor.</summary>
    public string? ProtectedTotpSecret(string userId)
    {
        using var connection = database.OpenReader();
        return connection.Scalar<string>("SELECT totp_secret FROM users WHERE id = @id", null, ("@id", userId));
    }

    public bool AgencyRequiresMfa(long agencyId)
    {
        using var connection = database.OpenReader();
        return connection.Scalar<long>("SELECT require_mfa FROM agencies WHERE id = @id", null, ("@id", agencyId)) != 0;
    }

    public Task SetAgencyRequiresMfaAsync(long agencyId, bool required, CancellationToken ct) => writes.RunAsync(scope =>
        scope.Execute("UPDATE agencies SET require_mfa = @required WHERE id = @id", ("@id", agencyId), ("@required", required ? 1 : 0)), ct);

    /// <summary>
    /// Gives the user a second factor and recovery codes (stored as SHA-256 hashes), replacing any before. Replacing one
    /// ends the user's other sessions and tokens; the new stamp is returned for the session that made the change.
    /// </summary>
    public Task<string> EnrolTotpAsync(string userId, string protectedSecret, IEnumerable<string> recoveryCodes, CancellationToken ct) => writes.RunAsync(scope =>
    {
        var replacing = scope.Scalar<string>("SELECT totp_secret FROM users WHERE id = @id", ("@id", userId)) is not null;
        scope.Execute("UPDATE users SET totp_secret = @secret, totp_step = 0 WHERE id = @id", ("@id", userId), ("@secret", protectedSecret));
        scope.Execute("DELETE FROM recovery_codes WHERE user_id = @id", ("@id", userId));
        foreach (var code in recoveryCodes)
        {
            scope.Execute("INSERT INTO recovery_codes (user_id, code_hash) VALUES (@id, @hash)", ("@id", userId), ("@hash", RecoveryHash(code)));
        }

        if (replacing)
        {
            sessions.Renew(scope, Sessions.UserKey(userId));
        }

        return scope.Scalar<string>("SELECT stamp FROM users WHERE id = @id", ("@id", userId))!;
    }, ct);

    /// <summary>Takes away the user's own second factor (they proved the password and a code); ends their other sessions and returns the new stamp.</summary>
    public Task<string> RemoveTotpAsync(string userId, CancellationToken ct) => writes.RunAsync(scope =>
    {
        scope.Execute("UPDATE users SET totp_secret = NULL, totp_step = 0 WHERE id = @id", ("@id", userId));
        scope.Execute("DELETE FROM recovery_codes WHERE user_id = @id", ("@id", userId));
        sessions.Renew(scope, Sessions.UserKey(userId));
        return scope.Scalar<string>("SELECT stamp FROM users WHERE id = @id", ("@id", userId))!;
    }, ct);

    /// <summary>
    /// Accepts an authenticator code once: false when it is not the code of the current step (or one next to it), or
    /// when a code of that step or a later one was accepted already.
    /// </summary>
    public Task<bool> UseTotpCodeAsync(string userId, byte[] secret, string? code, CancellationToken ct) =>
        Totp.Match(secret, code, clock.GetUtcNow()) is { } step
            ? writes.RunAsync(scope => scope.Execute("UPDATE users SET totp_step = @step WHERE id = @id AND totp_step < @step", ("@id", userId), ("@step", step)) == 1, ct)
            : Task.FromResult(false);

    /// <summary>Takes away a user's second factor and recovery codes (an administrator's reset); false when the user is not of the agency.</summary>
    public Task<bool> ResetMfaAsync(long agencyId, string userId, CancellationToken ct) => writes.RunAsync(scope =>
    {
        if (scope.Execute("UPDATE users SET totp_secret = NULL, totp_step = 0 WHERE id = @id AND agency_id = @agency", ("@id", userId), ("@agency", agencyId)) == 0)
        {
            return false;
        }

        scope.Execute("DELETE FROM recovery_codes WHERE user_id = @id", ("@id", userId));
        sessions.Renew(scope, Sessions.UserKey(userId));
        return true;
    }, ct);

    /// <summary>Uses up one recovery code; false when it is not one of the user's (or was used).</summary>
    public Task<bool> UseRecoveryCodeAsync(string userId, string code, CancellationToken ct) => writes.RunAsync(scope =>
        scope.Execute("DELETE FROM recovery_codes WHERE user_id = @id AND code_hash = @hash", ("@id", userId), ("@hash", RecoveryHash(code))) == 1, ct);

    // Recovery codes are 50 random bits each, so a plain hash suffices (a slow one would make ten of them cost seconds).
    private static string RecoveryHash(string code) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(code.Replace("-", "", StringComparison.Ordinal).Trim().ToUpperInvariant())));

    public string? AgencyName(long agencyId)
    {
        using var connection = database.OpenReader();
        return connection.Scalar<string>("SELECT name FROM agencies WHERE id = @id", null, ("@id", agencyId));
    }

    /// <summary>The failure key of a password logon with <paramref name="login"/>.</summary>
    public static string PasswordFailures(string login) => FailureKey("password", LoginKey(login));

    /// <summary>The failure key of a user's second-factor codes: they lock on their own, and no password clears them.</summary>
    public static string CodeFailures(string userId) => FailureKey("code", userId);

    // What a stranger typed is kept only as a hash of bounded size.
    private static string FailureKey(string kind, string value) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(kind + ":" + value)));

    /// <summary>The failures of <paramref name="key"/> within the lockout window.</summary>
    public Failures FailuresOf(string key)
    {
        using var connection = database.OpenReader();
        var since = clock.GetUtcNow() - options.Value.LockoutWindow;
        using var command = connection.Command(
            "SELECT COUNT(*), MAX(at) FROM logon_failures WHERE login_key = @key AND at > @since", null, ("@key", key), ("@since", since.UtcTicks));
        using var reader = command.ExecuteReader();
        reader.Read();
        return new Failures((int)reader.GetInt64(0), reader.IsDBNull(1) ? default : new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero));
    }

    public Task RecordFailureAsync(string key, CancellationToken ct) => writes.RunAsync(scope =>
        scope.Execute("INSERT INTO logon_failures (login_key, at) VALUES (@key, @at)", ("@key", key), ("@at", scope.Now.UtcTicks)), ct);

    public Task ClearFailuresAsync(string key, CancellationToken ct) => writes.RunAsync(scope =>
        scope.Execute("DELETE FROM logon_failures WHERE login_key = @key", ("@key", key)), ct);

    /// <summary>Unlocks a user of the agency (an administrator's act): their password and code failures are forgotten; false when not of the agency.</summary>
    public Task<bool> UnlockAsync(long agencyId, string userId, CancellationToken ct) => writes.RunAsync(scope =>
    {
        var login = scope.Scalar<string>("SELECT login FROM users WHERE id = @id AND agency_id = @agency", ("@id", userId), ("@agency", agencyId));
        if (login is null)
        {
            return false;
        }

        scope.Execute("DELETE FROM logon_failures WHERE login_key = @password OR login_key = @code", ("@password", PasswordFailures(login)), ("@code", CodeFailures(userId)));
        return true;
    }, ct);

    /// <summary>The agency's users locked out now (by password or by code failures).</summary>
    public IReadOnlySet<string> LockedUsers(long agencyId)
    {
        var since = (clock.GetUtcNow() - options.Value.LockoutWindow).UtcTicks;
        var locked = new HashSet<string>(StringComparer.Ordinal);
        using var connection = database.OpenReader();
        var failures = new Dictionary<string, int>(StringComparer.Ordinal);
        using (var counts = connection.Command(
            "SELECT login_key, COUNT(*) FROM logon_failures WHERE at > @since GROUP BY login_key HAVING COUNT(*) >= @limit", null,
            ("@since", since), ("@limit", options.Value.LockoutFailures)))
        using (var rows = counts.ExecuteReader())
        {
            while (rows.Read())
            {
                failures[rows.GetString(0)] = (int)rows.GetInt64(1);
            }
        }

        using var command = connection.Command("SELECT id, login FROM users WHERE agency_id = @agency", null, ("@agency", agencyId));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (failures.ContainsKey(PasswordFailures(reader.GetString(1))) || failures.ContainsKey(CodeFailures(reader.GetString(0))))
            {
                locked.Add(reader.GetString(0));
            }
        }

        return locked;
    }

    /// <summary>Deletes failure records older than the lockout window, and ended sessions that have expired anyway.</summary>
    public static int Prune(WriteScope scope, DateTimeOffset now, TimeSpan window) =>
        scope.Execute("DELETE FROM logon_failures WHERE at <= @since", ("@since", (now - window).UtcTicks))
        + scope.Execute("DELETE FROM ended_sessions WHERE until <= @now", ("@now", now.UtcTicks));

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
            using (var reader = scope.Query("SELECT role, disabled, service_account FROM users WHERE id = @id AND agency_id = @agency", ("@id", userId), ("@agency", agencyId)))
            {
                if (!reader.Read())
                {
                    return false;
                }

                var ends = (role is not null && role != reader.GetString(0))
                    || (disabled is { } d && d != (reader.GetInt64(1) != 0))
                    || (serviceAccount is { } s && s != (reader.GetInt64(2) != 0));
                if (!ends)
                {
                    return true;
                }
            }

            scope.Execute(
                """
                UPDATE users SET role = COALESCE(@role, role), disabled = COALESCE(@disabled, disabled),
                    service_account = COALESCE(@service, service_account)
                WHERE id = @id
                """,
                ("@id", userId), ("@role", role), ("@disabled", disabled is { } off ? (off ? 1 : 0) : null),
                ("@service", serviceAccount is { } service ? (service ? 1 : 0) : null));
            sessions.Renew(scope, Sessions.UserKey(userId));
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
        if (scope.Execute(
            "UPDATE users SET password_hash = @hash, must_change_password = @must WHERE id = @id",
            ("@id", userId), ("@hash", passwordHash), ("@must", mustChange ? 1 : 0)) == 0)
        {
            return null;
        }

        sessions.Renew(scope, Sessions.UserKey(userId));
        return scope.Scalar<string>("SELECT stamp FROM users WHERE id = @id", ("@id", userId));
    }, ct);

    /// <summary>Makes a new user replace the one-time password they were given (an invitation) at the next sign-in.</summary>
    public Task RequirePasswordChangeAsync(string userId, CancellationToken ct) => writes.RunAsync(scope =>
        scope.Execute("UPDATE users SET must_change_password = 1 WHERE id = @id", ("@id", userId)), ct);

    /// <summary>Whether the user must replace a password someone else set before doing anything else in the web UI.</summary>
    public bool MustChangePassword(string userId)
    {
        using var connection = database.OpenReader();
        return connection.Scalar<long>("SELECT must_change_password FROM users WHERE id = @id", null, ("@id", userId)) != 0;
    }

    /// <summary>Adds a user; null when the login is taken.</summary>
    public static string? InsertUser(WriteScope scope, long? agencyId, string login, string role, string passwordHash)
    {
        if (scope.Scalar<long>("SELECT COUNT(*) FROM users WHERE login_key = @key", ("@key", LoginKey(login))) > 0)
        {
            return null;
        }

        var id = Guid.CreateVersion7().ToString("D");
        scope.Execute(
            "INSERT INTO users (id, agency_id, login, login_key, role, password_hash, created_at, stamp) VALUES (@id, @agency, @login, @key, @role, @hash, @now, @stamp)",
            ("@id", id), ("@stamp", Sessions.NewStamp()), ("@agency", agencyId), ("@login", login.Trim()), ("@key", LoginKey(login)), ("@role", role), ("@hash", passwordHash), ("@now", scope.Now.UtcTicks));
        return id;
    }

    /// <summary>Adds an API client; false when the id is taken.</summary>
    public static bool InsertClient(WriteScope scope, long? agencyId, string clientId, string name, string? secretHash)
    {
        if (scope.Scalar<long>("SELECT COUNT(*) FROM api_clients WHERE client_id = @id", ("@id", clientId)) > 0)
        {
            return false;
        }

        scope.Execute(
            "INSERT INTO api_clients (client_id, agency_id, name, secret_hash, created_at, stamp) VALUES (@id, @agency, @name, @hash, @now, @stamp)",
            ("@id", clientId), ("@stamp", Sessions.NewStamp()), ("@agency", agencyId), ("@name", name), ("@hash", secretHash), ("@now", scope.Now.UtcTicks));
        return true;
    }

    /// <summary>Adds an agency; null when the name is taken.</summary>
    public static long? InsertAgency(WriteScope scope, string name) =>
        scope.Scalar<long>("SELECT COUNT(*) FROM agencies WHERE name = @name", ("@name", name)) > 0
            ? null
            : scope.Scalar<long>("INSERT INTO agencies (name, created_at) VALUES (@name, @now) RETURNING id", ("@name", name), ("@now", scope.Now.UtcTicks));
}
