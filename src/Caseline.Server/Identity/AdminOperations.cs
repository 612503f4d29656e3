using Caseline.Messages.Validation;
using Caseline.Server.Storage;
using static Caseline.Server.Identity.AdminResult;

namespace Caseline.Server.Identity;

/// <summary>What an administrative operation came to: what it made or changed, or why it was refused.</summary>
internal abstract record AdminResult
{
    private AdminResult()
    {
    }

    /// <summary>Why an operation was refused.</summary>
    public enum Refusal
    {
        /// <summary>The agency, user or API client is not there (or not of the caller's agency).</summary>
        NotFound,

        /// <summary>The name, login or client id is taken.</summary>
        Conflict,

        /// <summary>Nobody may do this to themselves.</summary>
        Forbidden,
    }

    /// <summary>An agency was made with its first administrator (whose password is shown when it was generated).</summary>
    public sealed record AgencyCreated(AgencyView Agency) : AdminResult;

    /// <summary>A user was added (the password is shown when it was generated).</summary>
    public sealed record UserCreated(UserView User) : AdminResult;

    /// <summary>A user was changed, unlocked or reset; the password is shown when the change made one.</summary>
    public sealed record UserChanged(UserView User) : AdminResult;

    /// <summary>An API client was added (its secret is shown now only).</summary>
    public sealed record ClientCreated(ClientView Client) : AdminResult;

    /// <summary>An API client was changed; the secret is shown when the change made one.</summary>
    public sealed record ClientChanged(ClientView Client) : AdminResult;

    /// <summary>The agency's second-factor rule is now <paramref name="Rule"/>.</summary>
    public sealed record SecondFactorRuleSet(SecondFactorRule Rule) : AdminResult;

    /// <summary>What was asked for is not valid: each field's messages (a field's name starts its message).</summary>
    public sealed record Invalid(IReadOnlyDictionary<string, string[]> Errors) : AdminResult;

    /// <summary>Refused, with a message that names no value the caller sent.</summary>
    public sealed record Refused(Refusal Reason, string Message) : AdminResult;
}

/// <summary>The agency's users, with which of them have a second factor (the Users page shows it).</summary>
internal sealed record UserList(IReadOnlyList<UserView> Users, IReadOnlySet<string> WithSecondFactor);

/// <summary>Whether every person of the agency must sign in with a second factor.</summary>
internal sealed record SecondFactorRule(bool? Required);

/// <summary>
/// Platform administration (agencies and their administrators) and agency administration (users, API clients, unlocking,
/// second factors, the agency's second-factor rule): the one place these rules live. The admin API and the web UI's
/// administration pages both call these and map the results to their answers.
/// </summary>
internal sealed class AdminOperations(IdentityStore identity, IdentityStorage storage, WriteQueue writes, Sessions sessions)
{
    // Logins are one namespace for the whole platform (a person signs in with an email address, before any agency is
    // known): the answer says the login cannot be used, never where it is.
    private const string LoginTaken = "This login is not available: choose another email address.";

    /// <summary>
    /// Creates an agency and its first administrator, in one unit (an agency is never left without one). A password is
    /// generated when none is given; <paramref name="oneTimePassword"/> makes the administrator replace it at the first sign-in.
    /// </summary>
    public async Task<AdminResult> CreateAgencyAsync(AgencyRequest body, bool oneTimePassword, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        Check(errors, "Name", body.Name, 100);
        CheckLogin(errors, "AdminEmail", body.AdminEmail);
        CheckPassword(errors, "AdminPassword", body.AdminPassword);
        if (errors.Count > 0)
        {
            return new Invalid(errors);
        }

        var name = body.Name!.Trim();
        var password = body.AdminPassword ?? PasswordHashing.NewSecret();
        var hash = identity.Hash(password);
        try
        {
            return await writes.RunAsync<AdminResult>(scope =>
            {
                if (IdentityStore.InsertAgency(scope, name) is not { } agency)
                {
                    return new Refused(Refusal.Conflict, "An agency with this name already exists.");
                }

                // Throwing rolls the agency back with the unit: an agency is never left without its administrator.
                return IdentityStore.InsertUser(scope, agency, body.AdminEmail!, Roles.AgencyAdministrator, hash, oneTimePassword) is null
                    ? throw new LoginTakenException()
                    : new AgencyCreated(new AgencyView(agency, name, body.AdminEmail!.Trim(), body.AdminPassword is null ? password : null));
            }, ct);
        }
        catch (LoginTakenException)
        {
            return new Refused(Refusal.Conflict, LoginTaken);
        }
    }

    /// <summary>Every agency, by id.</summary>
    public List<AgencyView> Agencies() => [.. storage.Agencies().Select(a => new AgencyView(a.Id, a.Name, null, null))];

    /// <summary>
    /// Adds an administrator to an existing agency (a platform administrator's act): the password is generated when none is
    /// given; <paramref name="oneTimePassword"/> makes them replace it at the first sign-in.
    /// </summary>
    public async Task<AdminResult> AddAdministratorAsync(long agencyId, UserRequest body, bool oneTimePassword, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        CheckLogin(errors, "Login", body.Login);
        CheckPassword(errors, "Password", body.Password);
        if (errors.Count > 0)
        {
            return new Invalid(errors);
        }

        return storage.AgencyName(agencyId) is null
            ? new Refused(Refusal.NotFound, "Agency not found.")
            : await AddUserAsync(agencyId, body.Login!, Roles.AgencyAdministrator, body.Password, oneTimePassword, ct);
    }

    /// <summary>The agency's users, by login, with who is locked out and who has a second factor.</summary>
    public UserList Users(long agencyId)
    {
        var rows = storage.Users(agencyId);
        var locked = identity.LockedUsers(rows);
        return new UserList(
            [.. rows.Select(u => new UserView(u.Id, u.Login, u.Role, u.Disabled, null, u.ServiceAccount, locked.Contains(u.Id)))],
            rows.Where(u => u.HasSecondFactor).Select(u => u.Id).ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>Adds an officer or administrator to the caller's agency; see <see cref="AddAdministratorAsync"/> for the password.</summary>
    public async Task<AdminResult> CreateUserAsync(Caller caller, UserRequest body, bool oneTimePassword, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        CheckLogin(errors, "Login", body.Login);
        CheckPassword(errors, "Password", body.Password);
        if (body.Role is not (Roles.Officer or Roles.AgencyAdministrator))
        {
            errors["Role"] = [body.Role is null ? "Role is required" : "Role is invalid"];
        }

        return errors.Count > 0 ? new Invalid(errors) : await AddUserAsync(caller.AgencyId, body.Login!, body.Role!, body.Password, oneTimePassword, ct);
    }

    private async Task<AdminResult> AddUserAsync(long agencyId, string login, string role, string? given, bool oneTimePassword, CancellationToken ct)
    {
        var password = given ?? PasswordHashing.NewSecret();
        var hash = identity.Hash(password);
        var id = await writes.RunAsync(scope => IdentityStore.InsertUser(scope, agencyId, login, role, hash, oneTimePassword), ct);
        return id is null
            ? new Refused(Refusal.Conflict, LoginTaken)
            : new UserCreated(new UserView(id, login.Trim(), role, false, given is null ? password : null));
    }

    /// <summary>
    /// Changes a user's role, password, disabled or service-account flag (each ends the user's sessions and tokens);
    /// nobody changes their own role or flags.
    /// </summary>
    public async Task<AdminResult> UpdateUserAsync(Caller caller, string id, UserRequest body, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        CheckPassword(errors, "Password", body.Password);
        if (body.Role is not (null or Roles.Officer or Roles.AgencyAdministrator))
        {
            errors["Role"] = ["Role is invalid"];
        }

        if (errors.Count > 0)
        {
            return new Invalid(errors);
        }

        if (id == caller.Subject && (body.Role is not null || body.Disabled is not null || body.ServiceAccount is not null))
        {
            return new Refused(Refusal.Forbidden, "Nobody changes their own role, disabled or service-account flag: ask another administrator.");
        }

        if (!await identity.UpdateUserAsync(caller.AgencyId, id, body.Role, body.Disabled, body.ServiceAccount, ct))
        {
            return UserNotFound;
        }

        if (body.Password is not null)
        {
            // Every password write goes through the store's one method (an integration's service account keeps it as set).
            await identity.SetPasswordAsync(id, identity.Hash(body.Password), mustChange: false, ct);
        }

        return Changed(id);
    }

    /// <summary>Unlocks a user of the caller's agency locked out by failed logons.</summary>
    public async Task<AdminResult> UnlockAsync(Caller caller, string id, CancellationToken ct) =>
        await identity.UnlockAsync(caller.AgencyId, id, ct) ? Changed(id) : UserNotFound;

    /// <summary>Takes away a user's second factor and recovery codes; the user's sessions and tokens end.</summary>
    public async Task<AdminResult> ResetSecondFactorAsync(Caller caller, string id, CancellationToken ct) =>
        await identity.ResetMfaAsync(caller.AgencyId, id, ct) ? Changed(id) : UserNotFound;

    /// <summary>
    /// Gives another user of the caller's agency a new one-time password (in the answer only), which they must replace at
    /// the next sign-in; the old one, and every session and token of theirs, stop working.
    /// </summary>
    public async Task<AdminResult> ResetPasswordAsync(Caller caller, string id, CancellationToken ct)
    {
        if (identity.FindUserById(id) is not { } user || user.AgencyId != caller.AgencyId)
        {
            return UserNotFound;
        }

        if (user.Id == caller.Subject)
        {
            return new Refused(Refusal.Forbidden, "Change your own password on the Password page, with your current one.");
        }

        var password = PasswordHashing.NewSecret();
        await identity.SetPasswordAsync(user.Id, identity.Hash(password), mustChange: true, ct);
        return new UserChanged(View(user) with { Password = password });
    }

    /// <summary>Whether the caller's agency requires a second factor of every person.</summary>
    public SecondFactorRule SecondFactorRule(long agencyId) => new(storage.AgencyRequiresMfa(agencyId));

    /// <summary>Requires a second factor of every person of the caller's agency, or makes it optional.</summary>
    public async Task<AdminResult> SetSecondFactorRuleAsync(Caller caller, SecondFactorRule body, CancellationToken ct)
    {
        if (body.Required is not { } required)
        {
            return new Invalid(new Dictionary<string, string[]>(StringComparer.Ordinal) { ["Required"] = ["Required is required"] });
        }

        await identity.SetAgencyRequiresMfaAsync(caller.AgencyId, required, ct);
        return new SecondFactorRuleSet(new SecondFactorRule(required));
    }

    /// <summary>The agency's API clients, by id.</summary>
    public List<ClientView> Clients(long agencyId) => [.. storage.Clients(agencyId).Select(c => new ClientView(c.ClientId, c.Name, c.Disabled, null))];

    /// <summary>Adds an API client to the caller's agency; its secret is in the answer only. An id is made when none is given.</summary>
    public async Task<AdminResult> CreateClientAsync(Caller caller, ClientRequest body, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        Check(errors, "Name", body.Name, 100);
        var clientId = body.ClientId?.Trim() ?? $"{caller.AgencyName}-{Guid.NewGuid().ToString("N")[..8]}";
        if (MessageValidator.ValidateIntegrationId(clientId) is { Length: > 0 })
        {
            errors["ClientId"] = ["ClientId is invalid"];
        }

        if (errors.Count > 0)
        {
            return new Invalid(errors);
        }

        var secret = PasswordHashing.NewSecret(32);
        var hash = identity.Hash(secret);
        var name = body.Name!.Trim();
        return await writes.RunAsync(scope => IdentityStore.InsertClient(scope, caller.AgencyId, clientId, name, hash), ct)
            ? new ClientCreated(new ClientView(clientId, name, false, secret))
            : new Refused(Refusal.Conflict, "This client id is not available: choose another, or leave it out and one is made.");
    }

    /// <summary>Renames, disables or enables an API client of the caller's agency; disabling or enabling ends its tokens.</summary>
    public async Task<AdminResult> UpdateClientAsync(Caller caller, string clientId, ClientRequest body, CancellationToken ct)
    {
        if (body.Name is not null && (body.Name.Trim().Length is 0 or > 100 || !MessageValidator.IsAllowedText(body.Name)))
        {
            return new Invalid(new Dictionary<string, string[]>(StringComparer.Ordinal) { ["Name"] = ["Name is invalid"] });
        }

        var client = await writes.RunAsync(scope =>
        {
            var changed = storage.UpdateClient(scope, caller.AgencyId, clientId, body.Name?.Trim(), body.Disabled);
            if (changed is not null && body.Disabled is not null)
            {
                sessions.Renew(scope, Sessions.ClientKey(clientId)); // disabling ends its tokens; enabling starts afresh
            }

            return changed;
        }, ct);
        return client is null ? ClientNotFound : new ClientChanged(new ClientView(client.ClientId, client.Name, client.Disabled, null));
    }

    /// <summary>Issues a new secret for an API client of the caller's agency (in the answer only); the old one and its tokens stop working.</summary>
    public async Task<AdminResult> RotateClientSecretAsync(Caller caller, string clientId, CancellationToken ct)
    {
        var secret = PasswordHashing.NewSecret(32);
        var hash = identity.Hash(secret);
        var name = await writes.RunAsync(scope =>
        {
            var renamed = storage.SetClientSecret(scope, caller.AgencyId, clientId, hash);
            if (renamed is not null)
            {
                sessions.Renew(scope, Sessions.ClientKey(clientId)); // the old secret's tokens end with it
            }

            return renamed;
        }, ct);
        return name is null ? ClientNotFound : new ClientChanged(new ClientView(clientId, name, false, secret));
    }

    /// <summary>The audit trail's words for a user added by an administrator (the API and the pages record it alike).</summary>
    public static string Invited(string login, string role) => $"user invited: {login} as {role}";

    private static Refused UserNotFound { get; } = new(Refusal.NotFound, "User not found.");

    private static Refused ClientNotFound { get; } = new(Refusal.NotFound, "API client not found.");

    private UserChanged Changed(string id) => new(View(identity.FindUserById(id)!));

    private static UserView View(UserAccount user) => new(user.Id, user.Login, user.Role, user.Disabled, null, user.ServiceAccount);

    private static void Check(Dictionary<string, string[]> errors, string field, string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors[field] = [$"{field} is required"];
        }
        else if (!MessageValidator.IsAllowedText(value))
        {
            errors[field] = [$"{field} contains some characters which are not allowed"];
        }
        else if (value.Trim().Length > maxLength)
        {
            errors[field] = [$"{field} must be at most {maxLength} characters long"];
        }
    }

    private static void CheckLogin(Dictionary<string, string[]> errors, string field, string? login)
    {
        Check(errors, field, login, 254);
        if (!errors.ContainsKey(field) && login!.Trim().Contains(' ', StringComparison.Ordinal))
        {
            errors[field] = [$"{field} is invalid"];
        }
    }

    private static void CheckPassword(Dictionary<string, string[]> errors, string field, string? password)
    {
        if (password is not null && password.Length is < 12 or > 200)
        {
            errors[field] = [$"{field} is invalid"];
        }
    }

    /// <summary>Rolls back a unit that made an agency whose administrator's login turned out to be taken.</summary>
    private sealed class LoginTakenException : Exception;
}
