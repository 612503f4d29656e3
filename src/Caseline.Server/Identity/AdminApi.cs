using Caseline.Messages.Validation;
using Caseline.Server.Http;
using Caseline.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Caseline.Server.Identity;

/// <summary>An agency to create, with its first administrator (a password is generated when none is given).</summary>
internal sealed record AgencyRequest(string? Name, string? AdminEmail, string? AdminPassword);

/// <summary>An agency; <paramref name="AdminPassword"/> appears only when it was generated.</summary>
internal sealed record AgencyView(long Id, string Name, string? AdminEmail, string? AdminPassword);

/// <summary>A user to create or change; a service account logs on to the API by password alone and never to the web UI.</summary>
internal sealed record UserRequest(string? Login, string? Role, string? Password, bool? Disabled, bool? ServiceAccount = null);

/// <summary>A user; <paramref name="Password"/> appears only when it was generated; <paramref name="Locked"/> after too many failed logons.</summary>
internal sealed record UserView(string Id, string Login, string Role, bool Disabled, string? Password, bool ServiceAccount = false, bool Locked = false);

/// <summary>An API client to create or change.</summary>
internal sealed record ClientRequest(string? Name, string? ClientId, bool? Disabled);

/// <summary>An API client; <paramref name="Secret"/> appears only when created or rotated.</summary>
internal sealed record ClientView(string ClientId, string Name, bool Disabled, string? Secret);

/// <summary>Platform administration (agencies) and agency administration (users, API clients).</summary>
internal static class AdminApi
{
    public static RouteGroupBuilder MapPlatformAdministration(this RouteGroupBuilder admin)
    {
        var agencies = admin.MapGroup("/agencies").WithTags("Administration").RequireAuthorization(Policies.PlatformAdministration);
        agencies.MapPost("/", CreateAgency).WithSummary("Create an agency and its first administrator");
        agencies.MapGet("/", ListAgencies).WithSummary("Every agency");
        return admin;
    }

    public static RouteGroupBuilder MapAgencyAdministration(this RouteGroupBuilder admin)
    {
        // Every call is on the agency's audit trail, as the web UI's administration pages put theirs.
        var users = admin.MapGroup("/users").WithTags("Administration").WithMetadata(new Audit.AuditedAttribute());
        users.MapGet("/", ListUsers).WithSummary("The agency's users");
        users.MapPost("/", CreateUser).WithSummary("Add a user (Officer or AgencyAdministrator)");
        users.MapPut("/{id}", UpdateUser).WithSummary("Change a user's role, password, disabled or service-account flag (each ends the user's sessions and tokens)");
        users.MapPost("/{id}/unlock", UnlockUser).WithSummary("Unlock a user locked out by failed logons");
        var clients = admin.MapGroup("/clients").WithTags("Administration").WithMetadata(new Audit.AuditedAttribute());
        clients.MapGet("/", ListClients).WithSummary("The agency's API clients");
        clients.MapPost("/", CreateClient).WithSummary("Add an API client; its secret is shown only now");
        clients.MapPut("/{clientId}", UpdateClient).WithSummary("Rename, disable or enable an API client");
        clients.MapPost("/{clientId}/rotate-secret", RotateClientSecret).WithSummary("Issue a new client secret (the old one stops working)");
        return admin;
    }

    internal static async Task<Results<Created<AgencyView>, ValidationProblem, ProblemHttpResult>> CreateAgency(
        AgencyRequest body, WriteQueue writes, IdentityStore identity, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        Check(errors, "Name", body.Name, 100);
        CheckLogin(errors, "AdminEmail", body.AdminEmail);
        CheckPassword(errors, "AdminPassword", body.AdminPassword);
        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        var password = body.AdminPassword ?? PasswordHashing.NewSecret();
        var hash = identity.Hash(password);
        long? id;
        try
        {
            id = await writes.RunAsync(scope =>
            {
                if (IdentityStore.InsertAgency(scope, body.Name!.Trim()) is not { } agency)
                {
                    return (long?)null;
                }

                // Throwing rolls the agency back with the unit: an agency is never left without its administrator.
                return IdentityStore.InsertUser(scope, agency, body.AdminEmail!, Roles.AgencyAdministrator, hash) is null
                    ? throw new ConflictException(LoginTaken)
                    : agency;
            }, ct);
        }
        catch (ConflictException e)
        {
            return Problems.Conflict(e.Message);
        }

        return id is { } agencyId
            ? TypedResults.Created($"/api/v1/admin/agencies/{agencyId}", new AgencyView(agencyId, body.Name!.Trim(), body.AdminEmail!.Trim(), body.AdminPassword is null ? password : null))
            : Problems.Conflict("An agency with this name already exists.");
    }

    internal static Ok<List<AgencyView>> ListAgencies(Database database)
    {
        using var connection = database.OpenReader();
        using var command = connection.Command("SELECT id, name FROM agencies ORDER BY id");
        using var reader = command.ExecuteReader();
        var agencies = new List<AgencyView>();
        while (reader.Read())
        {
            agencies.Add(new AgencyView(reader.GetInt64(0), reader.GetString(1), null, null));
        }

        return TypedResults.Ok(agencies);
    }

    /// <summary>
    /// Adds an administrator to an existing agency (the platform administrator's page): the password is generated when
    /// none is given and shown only in the answer.
    /// </summary>
    internal static async Task<Results<Created<UserView>, ValidationProblem, ProblemHttpResult>> AddAgencyAdministrator(
        long agencyId, UserRequest body, WriteQueue writes, IdentityStore identity, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        CheckLogin(errors, "Login", body.Login);
        CheckPassword(errors, "Password", body.Password);
        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        if (identity.AgencyName(agencyId) is null)
        {
            return Problems.NotFound("Agency not found.");
        }

        var password = body.Password ?? PasswordHashing.NewSecret();
        var hash = identity.Hash(password);
        var id = await writes.RunAsync(scope => IdentityStore.InsertUser(scope, agencyId, body.Login!, Roles.AgencyAdministrator, hash), ct);
        return id is null
            ? Problems.Conflict(LoginTaken)
            : TypedResults.Created($"/api/v1/admin/users/{id}", new UserView(id, body.Login!.Trim(), Roles.AgencyAdministrator, false, body.Password is null ? password : null));
    }

    internal static Ok<List<UserView>> ListUsers(Caller caller, Database database, IdentityStore identity)
    {
        var locked = identity.LockedUsers(caller.AgencyId);
        using var connection = database.OpenReader();
        using var command = connection.Command(
            "SELECT id, login, role, disabled, service_account FROM users WHERE agency_id = @agency ORDER BY login_key", null, ("@agency", caller.AgencyId));
        using var reader = command.ExecuteReader();
        var users = new List<UserView>();
        while (reader.Read())
        {
            var id = reader.GetString(0);
            users.Add(new UserView(id, reader.GetString(1), reader.GetString(2), reader.GetInt64(3) != 0, null, reader.GetInt64(4) != 0, locked.Contains(id)));
        }

        return TypedResults.Ok(users);
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> UnlockUser(string id, Caller caller, IdentityStore identity, CancellationToken ct) =>
        await identity.UnlockAsync(caller.AgencyId, id, ct) ? TypedResults.NoContent() : Problems.NotFound("User not found.");

    internal static async Task<Results<Created<UserView>, ValidationProblem, ProblemHttpResult>> CreateUser(
        UserRequest body, Caller caller, WriteQueue writes, IdentityStore identity, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        CheckLogin(errors, "Login", body.Login);
        CheckPassword(errors, "Password", body.Password);
        if (body.Role is not (Roles.Officer or Roles.AgencyAdministrator))
        {
            errors["Role"] = [body.Role is null ? "Role is required" : "Role is invalid"];
        }

        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        var password = body.Password ?? PasswordHashing.NewSecret();
        var hash = identity.Hash(password);
        var id = await writes.RunAsync(scope => IdentityStore.InsertUser(scope, caller.AgencyId, body.Login!, body.Role!, hash), ct);
        return id is null
            ? Problems.Conflict(LoginTaken)
            : TypedResults.Created($"/api/v1/admin/users/{id}", new UserView(id, body.Login!.Trim(), body.Role!, false, body.Password is null ? password : null));
    }

    internal static async Task<Results<Ok<UserView>, ValidationProblem, ProblemHttpResult>> UpdateUser(
        string id, UserRequest body, Caller caller, WriteQueue writes, IdentityStore identity, Database database, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        CheckPassword(errors, "Password", body.Password);
        if (body.Role is not (null or Roles.Officer or Roles.AgencyAdministrator))
        {
            errors["Role"] = ["Role is invalid"];
        }

        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        if (id == caller.Subject && (body.Role is not null || body.Disabled is not null || body.ServiceAccount is not null))
        {
            return Problems.Forbidden("Nobody changes their own role, disabled or service-account flag: ask another administrator.");
        }

        if (!await identity.UpdateUserAsync(caller.AgencyId, id, body.Role, body.Disabled, body.ServiceAccount, ct))
        {
            return Problems.NotFound("User not found.");
        }

        if (body.Password is not null)
        {
            // Every password write goes through the store's one method (an integration's service account keeps it as set).
            await identity.SetPasswordAsync(id, identity.Hash(body.Password), mustChange: false, ct);
        }

        return TypedResults.Ok(ReadUser(database, id));
    }

    private static UserView ReadUser(Database database, string id)
    {
        using var connection = database.OpenReader();
        using var command = connection.Command("SELECT login, role, disabled, service_account FROM users WHERE id = @id", null, ("@id", id));
        using var reader = command.ExecuteReader();
        reader.Read();
        return new UserView(id, reader.GetString(0), reader.GetString(1), reader.GetInt64(2) != 0, null, reader.GetInt64(3) != 0);
    }

    internal static Ok<List<ClientView>> ListClients(Caller caller, Database database)
    {
        using var connection = database.OpenReader();
        using var command = connection.Command("SELECT client_id, name, disabled FROM api_clients WHERE agency_id = @agency ORDER BY client_id", null, ("@agency", caller.AgencyId));
        using var reader = command.ExecuteReader();
        var clients = new List<ClientView>();
        while (reader.Read())
        {
            clients.Add(new ClientView(reader.GetString(0), reader.GetString(1), reader.GetInt64(2) != 0, null));
        }

        return TypedResults.Ok(clients);
    }

    internal static async Task<Results<Created<ClientView>, ValidationProblem, ProblemHttpResult>> CreateClient(
        ClientRequest body, Caller caller, WriteQueue writes, IdentityStore identity, CancellationToken ct)
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
            return Problems.Invalid(errors);
        }

        var secret = PasswordHashing.NewSecret(32);
        var hash = identity.Hash(secret);
        var created = await writes.RunAsync(scope => IdentityStore.InsertClient(scope, caller.AgencyId, clientId, body.Name!.Trim(), hash), ct);
        return created
            ? TypedResults.Created($"/api/v1/admin/clients/{clientId}", new ClientView(clientId, body.Name!.Trim(), false, secret))
            : Problems.Conflict("This client id is not available: choose another, or leave it out and one is made.");
    }

    internal static async Task<Results<Ok<ClientView>, ValidationProblem, ProblemHttpResult>> UpdateClient(
        string clientId, ClientRequest body, Caller caller, WriteQueue writes, Sessions sessions, CancellationToken ct)
    {
        if (body.Name is not null && (body.Name.Trim().Length is 0 or > 100 || !MessageValidator.IsAllowedText(body.Name)))
        {
            return Problems.Invalid("Name", "Name is invalid");
        }

        var view = await writes.RunAsync(scope =>
        {
            var changed = scope.Execute(
                "UPDATE api_clients SET name = COALESCE(@name, name), disabled = COALESCE(@disabled, disabled) WHERE agency_id = @agency AND client_id = @id",
                ("@id", clientId), ("@agency", caller.AgencyId), ("@name", body.Name?.Trim()), ("@disabled", body.Disabled is { } d ? (d ? 1 : 0) : null));
            if (changed == 0)
            {
                return null;
            }

            if (body.Disabled is not null)
            {
                sessions.Renew(scope, Sessions.ClientKey(clientId)); // disabling ends its tokens; enabling starts afresh
            }

            using var reader = scope.Query("SELECT name, disabled FROM api_clients WHERE client_id = @id", ("@id", clientId));
            reader.Read();
            return new ClientView(clientId, reader.GetString(0), reader.GetInt64(1) != 0, null);
        }, ct);
        return view is null ? Problems.NotFound("API client not found.") : TypedResults.Ok(view);
    }

    internal static async Task<Results<Ok<ClientView>, ProblemHttpResult>> RotateClientSecret(
        string clientId, Caller caller, WriteQueue writes, IdentityStore identity, Sessions sessions, CancellationToken ct)
    {
        var secret = PasswordHashing.NewSecret(32);
        var hash = identity.Hash(secret);
        var name = await writes.RunAsync(scope =>
        {
            if (scope.Execute(
                "UPDATE api_clients SET secret_hash = @hash WHERE agency_id = @agency AND client_id = @id",
                ("@id", clientId), ("@agency", caller.AgencyId), ("@hash", hash)) == 0)
            {
                return null;
            }

            sessions.Renew(scope, Sessions.ClientKey(clientId)); // the old secret's tokens end with it
            return scope.Scalar<string>("SELECT name FROM api_clients WHERE client_id = @id", ("@id", clientId));
        }, ct);
        return name is null ? Problems.NotFound("API client not found.") : TypedResults.Ok(new ClientView(clientId, name, false, secret));
    }

    // Logins are one namespace for the whole platform (a person signs in with an email address, before any agency is
    // known): the answer says the login cannot be used, never where it is.
    private const string LoginTaken = "This login is not available: choose another email address.";

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
}

/// <summary>A write unit found a conflict after checking: the unit is rolled back and the request answered 409.</summary>
internal sealed class ConflictException(string message) : Exception(message);
