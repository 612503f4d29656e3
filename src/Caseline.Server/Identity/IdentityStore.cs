using Caseline.Server.Storage;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Identity;

/// <summary>A person who logs on.</summary>
internal sealed record UserAccount(string Id, long? AgencyId, string Login, string Role, string PasswordHash, bool Disabled);

/// <summary>A program that logs on (a CMS's middleware). Public clients (the officer UI, the CLI) have no secret.</summary>
internal sealed record ApiClientAccount(string ClientId, long? AgencyId, string Name, string? SecretHash, bool Disabled);

/// <summary>Users, API clients, agencies and failed logons.</summary>
internal sealed class IdentityStore(Database database, WriteQueue writes, TimeProvider clock, IOptions<IdentityOptions> options)
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
            $"SELECT id, agency_id, login, role, password_hash, disabled FROM users WHERE {where}", null, ("@key", key));
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new UserAccount(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetInt64(5) != 0)
            : null;
    }

    public ApiClientAccount? FindClient(string clientId)
    {
        using var connection = database.OpenReader();
        using var command = connection.Command(
            "SELECT client_id, agency_id, name, secret_hash, disabled FROM api_clients WHERE client_id = @id", null, ("@id", clientId));
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new ApiClientAccount(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.GetString(2), reader.NullableString(3), reader.GetInt64(4) != 0)
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

    /// <summary>Gives the user a second factor and recovery codes (stored as SHA-256 hashes), replacing any before.</summary>
    public Task EnrolTotpAsync(string userId, string protectedSecret, IEnumerable<string> recoveryCodes, CancellationToken ct) => writes.RunAsync(scope =>
    {
        scope.Execute("UPDATE users SET totp_secret = @secret WHERE id = @id", ("@id", userId), ("@secret", protectedSecret));
        scope.Execute("DELETE FROM recovery_codes WHERE user_id = @id", ("@id", userId));
        foreach (var code in recoveryCodes)
        {
            scope.Execute("INSERT INTO recovery_codes (user_id, code_hash) VALUES (@id, @hash)", ("@id", userId), ("@hash", RecoveryHash(code)));
        }

        return true;
    }, ct);

    /// <summary>Takes away a user's second factor and recovery codes (an administrator's reset); false when the user is not of the agency.</summary>
    public Task<bool> ResetMfaAsync(long agencyId, string userId, CancellationToken ct) => writes.RunAsync(scope =>
    {
        if (scope.Execute("UPDATE users SET totp_secret = NULL WHERE id = @id AND agency_id = @agency", ("@id", userId), ("@agency", agencyId)) == 0)
        {
            return false;
        }

        scope.Execute("DELETE FROM recovery_codes WHERE user_id = @id", ("@id", userId));
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

    /// <summary>Whether the account has failed too often within the lockout window.</summary>
    public bool IsLockedOut(string login)
    {
        using var connection = database.OpenReader();
        var since = clock.GetUtcNow() - options.Value.LockoutWindow;
        return connection.Scalar<long>(
            "SELECT COUNT(*) FROM logon_failures WHERE login_key = @key AND at > @since", null, ("@key", LoginKey(login)), ("@since", since.UtcTicks))
            >= options.Value.LockoutFailures;
    }

    public Task RecordFailureAsync(string login, CancellationToken ct) => writes.RunAsync(scope =>
        scope.Execute("INSERT INTO logon_failures (login_key, at) VALUES (@key, @at)", ("@key", LoginKey(login)), ("@at", scope.Now.UtcTicks)), ct);

    public Task ClearFailuresAsync(string login, CancellationToken ct) => writes.RunAsync(scope =>
        scope.Execute("DELETE FROM logon_failures WHERE login_key = @key", ("@key", LoginKey(login))), ct);

    public string Hash(string secret) => PasswordHashing.Hash(secret, options.Value.PasswordHashIterations);

    /// <summary>
    /// Sets a user's password: the one place a password changes after the user was created (their own change, an
    /// administrator's reset, the API's <c>PUT /admin/users/{id}</c>). <paramref name="mustChange"/> makes the user replace
    /// it at the next sign-in to the web UI. False when there is no such user.
    /// </summary>
    public Task<bool> SetPasswordAsync(string userId, string passwordHash, bool mustChange, CancellationToken ct) => writes.RunAsync(scope =>
        scope.Execute(
            "UPDATE users SET password_hash = @hash, must_change_password = @must WHERE id = @id",
            ("@id", userId), ("@hash", passwordHash), ("@must", mustChange ? 1 : 0)) == 1, ct);

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
            "INSERT INTO users (id, agency_id, login, login_key, role, password_hash, created_at) VALUES (@id, @agency, @login, @key, @role, @hash, @now)",
            ("@id", id), ("@agency", agencyId), ("@login", login.Trim()), ("@key", LoginKey(login)), ("@role", role), ("@hash", passwordHash), ("@now", scope.Now.UtcTicks));
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
            "INSERT INTO api_clients (client_id, agency_id, name, secret_hash, created_at) VALUES (@id, @agency, @name, @hash, @now)",
            ("@id", clientId), ("@agency", agencyId), ("@name", name), ("@hash", secretHash), ("@now", scope.Now.UtcTicks));
        return true;
    }

    /// <summary>Adds an agency; null when the name is taken.</summary>
    public static long? InsertAgency(WriteScope scope, string name) =>
        scope.Scalar<long>("SELECT COUNT(*) FROM agencies WHERE name = @name", ("@name", name)) > 0
            ? null
            : scope.Scalar<long>("INSERT INTO agencies (name, created_at) VALUES (@name, @now) RETURNING id", ("@name", name), ("@now", scope.Now.UtcTicks));
}
