using Caseline.Server.Identity;

namespace Caseline.Server.Storage;

/// <summary>A user of an agency as its administrators list them.</summary>
internal sealed record UserRow(string Id, string Login, string Role, bool Disabled, bool ServiceAccount, bool HasSecondFactor);

/// <summary>An API client of an agency as its administrators list them.</summary>
internal sealed record ApiClientRow(string ClientId, string Name, bool Disabled);

/// <summary>An agency.</summary>
internal sealed record AgencyRow(long Id, string Name);

/// <summary>A user to add: the login as typed and its <see cref="IdentityStore.LoginKey"/>, the hash, a first stamp.</summary>
internal sealed record NewUser(string Id, long? AgencyId, string Login, string LoginKey, string Role, string PasswordHash, string Stamp, bool MustChangePassword);

/// <summary>
/// Agencies, users, API clients, sign-in failures, second factors and ended sessions: its SQL, portable (the same
/// statements serve SQLite and PostgreSQL). Every flag column is an integer, 0 or 1; every instant is UTC ticks.
/// </summary>
internal class IdentityStorage(Database database)
{
    private const string UserColumns = "id, agency_id, login, role, password_hash, disabled, stamp, service_account";

    protected Database Database { get; } = database;

    // Agencies

    /// <summary>Adds an agency; null when one has the name already.</summary>
    public long? AddAgency(WriteScope scope, string name) =>
        scope.Scalar<long>("SELECT COUNT(*) FROM agencies WHERE name = @name", ("@name", name)) > 0
            ? null
            : scope.Scalar<long>("INSERT INTO agencies (name, created_at) VALUES (@name, @now) RETURNING id", ("@name", name), ("@now", scope.Now.UtcTicks));

    /// <summary>The id of the agency named <paramref name="name"/>, or null.</summary>
    public long? AgencyId(WriteScope scope, string name) => scope.Scalar<long?>("SELECT id FROM agencies WHERE name = @name", ("@name", name));

    /// <summary>Every agency, by id.</summary>
    public List<AgencyRow> Agencies()
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command("SELECT id, name FROM agencies ORDER BY id");
        using var reader = command.ExecuteReader();
        var agencies = new List<AgencyRow>();
        while (reader.Read())
        {
            agencies.Add(new AgencyRow(reader.GetInt64(0), reader.GetString(1)));
        }

        return agencies;
    }

    /// <summary>The agency's name; null when there is no such agency.</summary>
    public string? AgencyName(long agencyId)
    {
        using var connection = Database.OpenReader();
        return connection.Scalar<string>("SELECT name FROM agencies WHERE id = @id", null, ("@id", agencyId));
    }

    public bool AgencyRequiresMfa(long agencyId)
    {
        using var connection = Database.OpenReader();
        return connection.Scalar<long>("SELECT require_mfa FROM agencies WHERE id = @id", null, ("@id", agencyId)) != 0;
    }

    /// <summary>Sets whether every person of the agency must have a second factor; false when there is no such agency.</summary>
    public bool SetAgencyRequiresMfa(WriteScope scope, long agencyId, bool required) =>
        scope.Execute("UPDATE agencies SET require_mfa = @required WHERE id = @id", ("@id", agencyId), ("@required", required ? 1 : 0)) == 1;

    // Users

    /// <summary>Whether anyone at all has an account (the first start's bootstrap runs on an empty store only).</summary>
    public bool AnyUsers()
    {
        using var connection = Database.OpenReader();
        return connection.Scalar<long>("SELECT COUNT(*) FROM users") > 0;
    }

    /// <summary>The same, within the unit that would bootstrap.</summary>
    public bool AnyUsers(WriteScope scope) => scope.Scalar<long>("SELECT COUNT(*) FROM users") > 0;

    /// <summary>Adds a user; false when the login key is taken (logins are one namespace for the whole platform).</summary>
    public bool AddUser(WriteScope scope, NewUser user)
    {
        if (scope.Scalar<long>("SELECT COUNT(*) FROM users WHERE login_key = @key", ("@key", user.LoginKey)) > 0)
        {
            return false;
        }

        scope.Execute(
            """
            INSERT INTO users (id, agency_id, login, login_key, role, password_hash, created_at, stamp, must_change_password)
            VALUES (@id, @agency, @login, @key, @role, @hash, @now, @stamp, @must)
            """,
            ("@id", user.Id), ("@stamp", user.Stamp), ("@agency", user.AgencyId), ("@login", user.Login), ("@key", user.LoginKey), ("@role", user.Role),
            ("@hash", user.PasswordHash), ("@now", scope.Now.UtcTicks), ("@must", user.MustChangePassword ? 1 : 0));
        return true;
    }

    /// <summary>The user whose login key is <paramref name="loginKey"/>, or null.</summary>
    public UserAccount? FindUserByLogin(string loginKey) => FindUser("login_key", loginKey);

    /// <summary>The user <paramref name="id"/>, or null.</summary>
    public UserAccount? FindUser(string id) => FindUser("id", id);

    private UserAccount? FindUser(string column, string key)
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command($"SELECT {UserColumns} FROM users WHERE {column} = @key", null, ("@key", key));
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new UserAccount(
                reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetInt64(5) != 0, reader.GetString(6), reader.GetInt64(7) != 0)
            : null;
    }

    /// <summary>The agency's users, by login.</summary>
    public List<UserRow> Users(long agencyId)
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command(
            "SELECT id, login, role, disabled, service_account, CASE WHEN totp_secret IS NULL THEN 0 ELSE 1 END FROM users WHERE agency_id = @agency ORDER BY login_key",
            null, ("@agency", agencyId));
        using var reader = command.ExecuteReader();
        var users = new List<UserRow>();
        while (reader.Read())
        {
            users.Add(new UserRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3) != 0, reader.GetInt64(4) != 0, reader.GetInt64(5) != 0));
        }

        return users;
    }

    /// <summary>The login of a user of the agency; null when the user is not of it.</summary>
    public string? LoginOf(WriteScope scope, long agencyId, string userId) =>
        scope.Scalar<string>("SELECT login FROM users WHERE id = @id AND agency_id = @agency", ("@id", userId), ("@agency", agencyId));

    /// <summary>A user of the agency's role, disabled and service-account flags, read in the unit that changes them; null when not of the agency.</summary>
    public (string Role, bool Disabled, bool ServiceAccount)? Flags(WriteScope scope, long agencyId, string userId)
    {
        using var reader = scope.Query("SELECT role, disabled, service_account FROM users WHERE id = @id AND agency_id = @agency", ("@id", userId), ("@agency", agencyId));
        return reader.Read() ? (reader.GetString(0), reader.GetInt64(1) != 0, reader.GetInt64(2) != 0) : null;
    }

    /// <summary>Changes what is given (null leaves it) of a user's role, disabled and service-account flags.</summary>
    public void SetFlags(WriteScope scope, string userId, string? role, bool? disabled, bool? serviceAccount) =>
        scope.Execute(
            """
            UPDATE users SET role = COALESCE(@role, role), disabled = COALESCE(@disabled, disabled),
                service_account = COALESCE(@service, service_account)
            WHERE id = @id
            """,
            ("@id", userId), ("@role", role), ("@disabled", disabled is { } off ? (off ? 1 : 0) : null),
            ("@service", serviceAccount is { } service ? (service ? 1 : 0) : null));

    /// <summary>Sets a user's password hash and whether it must be replaced at the next sign-in; false when there is no such user.</summary>
    public bool SetPassword(WriteScope scope, string userId, string passwordHash, bool mustChange) =>
        scope.Execute(
            "UPDATE users SET password_hash = @hash, must_change_password = @must WHERE id = @id",
            ("@id", userId), ("@hash", passwordHash), ("@must", mustChange ? 1 : 0)) == 1;

    /// <summary>Makes the user replace their password at the next sign-in to the web UI.</summary>
    public void RequirePasswordChange(WriteScope scope, string userId) =>
        scope.Execute("UPDATE users SET must_change_password = 1 WHERE id = @id", ("@id", userId));

    public bool MustChangePassword(string userId)
    {
        using var connection = Database.OpenReader();
        return connection.Scalar<long>("SELECT must_change_password FROM users WHERE id = @id", null, ("@id", userId)) != 0;
    }

    // Second factors

    /// <summary>The user's TOTP secret, still encrypted; null when they have none.</summary>
    public string? TotpSecret(string userId)
    {
        using var connection = Database.OpenReader();
        return connection.Scalar<string>("SELECT totp_secret FROM users WHERE id = @id", null, ("@id", userId));
    }

    /// <summary>The same, within a unit.</summary>
    public string? TotpSecret(WriteScope scope, string userId) => scope.Scalar<string>("SELECT totp_secret FROM users WHERE id = @id", ("@id", userId));

    /// <summary>Gives the user a TOTP secret (no code of it used yet) and these recovery code hashes, replacing any before.</summary>
    public void SetSecondFactor(WriteScope scope, string userId, string protectedSecret, IEnumerable<string> recoveryHashes)
    {
        scope.Execute("UPDATE users SET totp_secret = @secret, totp_step = 0 WHERE id = @id", ("@id", userId), ("@secret", protectedSecret));
        scope.Execute("DELETE FROM recovery_codes WHERE user_id = @id", ("@id", userId));
        foreach (var hash in recoveryHashes)
        {
            scope.Execute("INSERT INTO recovery_codes (user_id, code_hash) VALUES (@id, @hash)", ("@id", userId), ("@hash", hash));
        }
    }

    /// <summary>Takes away the user's TOTP secret and recovery codes; false when there is no such user.</summary>
    public bool RemoveSecondFactor(WriteScope scope, string userId)
    {
        var found = scope.Execute("UPDATE users SET totp_secret = NULL, totp_step = 0 WHERE id = @id", ("@id", userId)) == 1;
        scope.Execute("DELETE FROM recovery_codes WHERE user_id = @id", ("@id", userId));
        return found;
    }

    /// <summary>The same for a user of the agency only (an administrator's reset); false, and nothing changed, when not of it.</summary>
    public bool RemoveSecondFactor(WriteScope scope, long agencyId, string userId)
    {
        if (scope.Execute("UPDATE users SET totp_secret = NULL, totp_step = 0 WHERE id = @id AND agency_id = @agency", ("@id", userId), ("@agency", agencyId)) == 0)
        {
            return false;
        }

        scope.Execute("DELETE FROM recovery_codes WHERE user_id = @id", ("@id", userId));
        return true;
    }

    /// <summary>Records that the code of time step <paramref name="step"/> was used; false when it or a later one was already.</summary>
    public bool UseTotpStep(WriteScope scope, string userId, long step) =>
        scope.Execute("UPDATE users SET totp_step = @step WHERE id = @id AND totp_step < @step", ("@id", userId), ("@step", step)) == 1;

    /// <summary>Uses up one recovery code by its hash; false when it is not one of the user's (or was used).</summary>
    public bool UseRecoveryCode(WriteScope scope, string userId, string codeHash) =>
        scope.Execute("DELETE FROM recovery_codes WHERE user_id = @id AND code_hash = @hash", ("@id", userId), ("@hash", codeHash)) == 1;

    // API clients

    /// <summary>Adds an API client; false when the id is taken.</summary>
    public bool AddClient(WriteScope scope, long? agencyId, string clientId, string name, string? secretHash, string stamp)
    {
        if (scope.Scalar<long>("SELECT COUNT(*) FROM api_clients WHERE client_id = @id", ("@id", clientId)) > 0)
        {
            return false;
        }

        scope.Execute(
            "INSERT INTO api_clients (client_id, agency_id, name, secret_hash, created_at, stamp) VALUES (@id, @agency, @name, @hash, @now, @stamp)",
            ("@id", clientId), ("@stamp", stamp), ("@agency", agencyId), ("@name", name), ("@hash", secretHash), ("@now", scope.Now.UtcTicks));
        return true;
    }

    public ApiClientAccount? FindClient(string clientId)
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command(
            "SELECT client_id, agency_id, name, secret_hash, disabled, stamp FROM api_clients WHERE client_id = @id", null, ("@id", clientId));
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new ApiClientAccount(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.GetString(2), reader.NullableString(3), reader.GetInt64(4) != 0, reader.GetString(5))
            : null;
    }

    /// <summary>The agency's API clients, by id.</summary>
    public List<ApiClientRow> Clients(long agencyId)
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command("SELECT client_id, name, disabled FROM api_clients WHERE agency_id = @agency ORDER BY client_id", null, ("@agency", agencyId));
        using var reader = command.ExecuteReader();
        var clients = new List<ApiClientRow>();
        while (reader.Read())
        {
            clients.Add(new ApiClientRow(reader.GetString(0), reader.GetString(1), reader.GetInt64(2) != 0));
        }

        return clients;
    }

    /// <summary>Renames, disables or enables (null leaves it) an API client of the agency, and returns it as it is now; null when not of the agency.</summary>
    public ApiClientRow? UpdateClient(WriteScope scope, long agencyId, string clientId, string? name, bool? disabled)
    {
        if (scope.Execute(
            "UPDATE api_clients SET name = COALESCE(@name, name), disabled = COALESCE(@disabled, disabled) WHERE agency_id = @agency AND client_id = @id",
            ("@id", clientId), ("@agency", agencyId), ("@name", name), ("@disabled", disabled is { } d ? (d ? 1 : 0) : null)) == 0)
        {
            return null;
        }

        using var reader = scope.Query("SELECT name, disabled FROM api_clients WHERE client_id = @id", ("@id", clientId));
        reader.Read();
        return new ApiClientRow(clientId, reader.GetString(0), reader.GetInt64(1) != 0);
    }

    /// <summary>Replaces the secret hash of an API client of the agency and returns the client's name; null when not of the agency.</summary>
    public string? SetClientSecret(WriteScope scope, long agencyId, string clientId, string secretHash) =>
        scope.Execute(
            "UPDATE api_clients SET secret_hash = @hash WHERE agency_id = @agency AND client_id = @id",
            ("@id", clientId), ("@agency", agencyId), ("@hash", secretHash)) == 0
            ? null
            : scope.Scalar<string>("SELECT name FROM api_clients WHERE client_id = @id", ("@id", clientId));

    // Sign-in failures

    /// <summary>How many failures <paramref name="key"/> has after <paramref name="since"/>, and when the last was.</summary>
    public Failures FailuresOf(string key, DateTimeOffset since)
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command(
            "SELECT COUNT(*), MAX(at) FROM logon_failures WHERE login_key = @key AND at > @since", null, ("@key", key), ("@since", since.UtcTicks));
        using var reader = command.ExecuteReader();
        reader.Read();
        return new Failures((int)reader.GetInt64(0), reader.IsDBNull(1) ? default : reader.Timestamp(1));
    }

    /// <summary>The failure keys with at least <paramref name="limit"/> failures after <paramref name="since"/> (locked out now).</summary>
    public HashSet<string> LockedKeys(DateTimeOffset since, int limit)
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command(
            "SELECT login_key FROM logon_failures WHERE at > @since GROUP BY login_key HAVING COUNT(*) >= @limit", null,
            ("@since", since.UtcTicks), ("@limit", limit));
        using var reader = command.ExecuteReader();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }

    /// <summary>Records one failure of <paramref name="key"/> at the batch's time.</summary>
    public void RecordFailure(WriteScope scope, string key) =>
        scope.Execute("INSERT INTO logon_failures (login_key, at) VALUES (@key, @at)", ("@key", key), ("@at", scope.Now.UtcTicks));

    /// <summary>Forgets every failure of <paramref name="key"/>.</summary>
    public void ClearFailures(WriteScope scope, string key) =>
        scope.Execute("DELETE FROM logon_failures WHERE login_key = @key", ("@key", key));

    /// <summary>Deletes failures at or before <paramref name="before"/>, and ended sessions that have expired by <paramref name="now"/>; returns how many rows went.</summary>
    public int Prune(WriteScope scope, DateTimeOffset before, DateTimeOffset now) =>
        scope.Execute("DELETE FROM logon_failures WHERE at <= @since", ("@since", before.UtcTicks))
        + scope.Execute("DELETE FROM ended_sessions WHERE until <= @now", ("@now", now.UtcTicks));

    // Stamps and ended sessions

    /// <summary>The user's security stamp; null when there is no such user.</summary>
    public string? UserStamp(string userId)
    {
        using var connection = Database.OpenReader();
        return connection.Scalar<string>("SELECT stamp FROM users WHERE id = @id", null, ("@id", userId));
    }

    /// <summary>The same, within a unit (the stamp it just drew).</summary>
    public string? UserStamp(WriteScope scope, string userId) => scope.Scalar<string>("SELECT stamp FROM users WHERE id = @id", ("@id", userId));

    /// <summary>The API client's security stamp; null when there is no such client.</summary>
    public string? ClientStamp(string clientId)
    {
        using var connection = Database.OpenReader();
        return connection.Scalar<string>("SELECT stamp FROM api_clients WHERE client_id = @id", null, ("@id", clientId));
    }

    public void SetUserStamp(WriteScope scope, string userId, string stamp) =>
        scope.Execute("UPDATE users SET stamp = @stamp WHERE id = @id", ("@stamp", stamp), ("@id", userId));

    public void SetClientStamp(WriteScope scope, string clientId, string stamp) =>
        scope.Execute("UPDATE api_clients SET stamp = @stamp WHERE client_id = @id", ("@stamp", stamp), ("@id", clientId));

    /// <summary>Remembers that a session ended, until <paramref name="until"/>; ending it again changes nothing.</summary>
    public void EndSession(WriteScope scope, string sessionId, DateTimeOffset until) =>
        scope.Execute("INSERT INTO ended_sessions (id, until) VALUES (@id, @until) ON CONFLICT (id) DO NOTHING", ("@id", sessionId), ("@until", until.UtcTicks));

    /// <summary>Whether the session was ended and would still run at <paramref name="now"/>.</summary>
    public bool IsEnded(string sessionId, DateTimeOffset now)
    {
        using var connection = Database.OpenReader();
        return connection.Scalar<long>("SELECT COUNT(*) FROM ended_sessions WHERE id = @id AND until > @now", null, ("@id", sessionId), ("@now", now.UtcTicks)) > 0;
    }

    /// <summary>Every ended session that would still run at <paramref name="now"/>, with when it would have ended (UTC ticks).</summary>
    public Dictionary<string, long> EndedSessions(DateTimeOffset now)
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command("SELECT id, until FROM ended_sessions WHERE until > @now", null, ("@now", now.UtcTicks));
        using var reader = command.ExecuteReader();
        var ended = new Dictionary<string, long>(StringComparer.Ordinal);
        while (reader.Read())
        {
            ended[reader.GetString(0)] = reader.GetInt64(1);
        }

        return ended;
    }
}
