using Caseline.Server.Audit;
using Caseline.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using static Caseline.Server.Identity.AdminResult;

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

/// <summary>
/// Platform administration (agencies) and agency administration (users, API clients, the second-factor rule): each
/// handler calls <see cref="AdminOperations"/> and maps its result onto the answer.
/// </summary>
internal static class AdminApi
{
    public static RouteGroupBuilder MapPlatformAdministration(this RouteGroupBuilder admin)
    {
        var agencies = admin.MapGroup("/agencies").WithTags("Administration").RequireAuthorization(Policies.PlatformAdministration);
        agencies.MapPost("/", CreateAgency).WithSummary("Create an agency and its first administrator");
        agencies.MapGet("/", ListAgencies).WithSummary("Every agency");
        agencies.MapPost("/{id:long}/administrators", AddAgencyAdministrator)
            .WithSummary("Add an administrator to an agency there is (the password is generated when none is given, and shown only now)");
        return admin;
    }

    public static RouteGroupBuilder MapAgencyAdministration(this RouteGroupBuilder admin)
    {
        // Every call is on the agency's audit trail, as the web UI's administration pages put theirs.
        var users = admin.MapGroup("/users").WithTags("Administration").WithMetadata(new AuditedAttribute());
        users.MapGet("/", ListUsers).WithSummary("The agency's users");
        users.MapPost("/", CreateUser).WithSummary("Add a user (Officer or AgencyAdministrator)");
        users.MapPut("/{id}", UpdateUser).WithSummary("Change a user's role, password, disabled or service-account flag (each ends the user's sessions and tokens)");
        users.MapPost("/{id}/unlock", UnlockUser).WithSummary("Unlock a user locked out by failed logons");
        users.MapDelete("/{id}/second-factor", ResetSecondFactor)
            .WithSummary("Take away a user's authenticator app and recovery codes (ends the user's sessions and tokens)");
        var agency = admin.MapGroup("/agency").WithTags("Administration").WithMetadata(new AuditedAttribute());
        agency.MapGet("/second-factor", GetSecondFactorRule).WithSummary("Whether the agency requires a second factor of every person");
        agency.MapPut("/second-factor", SetSecondFactorRule)
            .WithSummary("Require a second factor of every person of the agency, or make it optional (service accounts are exempt)");
        var clients = admin.MapGroup("/clients").WithTags("Administration").WithMetadata(new AuditedAttribute());
        clients.MapGet("/", ListClients).WithSummary("The agency's API clients");
        clients.MapPost("/", CreateClient).WithSummary("Add an API client; its secret is shown only now");
        clients.MapPut("/{clientId}", UpdateClient).WithSummary("Rename, disable or enable an API client");
        clients.MapPost("/{clientId}/rotate-secret", RotateClientSecret).WithSummary("Issue a new client secret (the old one stops working)");
        return admin;
    }

    internal static async Task<Results<Created<AgencyView>, ValidationProblem, ProblemHttpResult>> CreateAgency(
        AgencyRequest body, AdminOperations admin, CancellationToken ct) =>
        await admin.CreateAgencyAsync(body, oneTimePassword: false, ct) switch
        {
            AgencyCreated created => TypedResults.Created($"/api/v1/admin/agencies/{created.Agency.Id}", created.Agency),
            Invalid invalid => Problems.Invalid(invalid.Errors),
            var refused => Problem(refused),
        };

    internal static Ok<List<AgencyView>> ListAgencies(AdminOperations admin) => TypedResults.Ok(admin.Agencies());

    /// <summary>
    /// Adds an administrator to an existing agency, as the platform administrator's Agencies page does, and puts it on
    /// that agency's audit trail as the page does.
    /// </summary>
    internal static async Task<Results<Created<UserView>, ValidationProblem, ProblemHttpResult>> AddAgencyAdministrator(
        long id, UserRequest body, HttpContext http, AdminOperations admin, AuditTrail audit, CancellationToken ct)
    {
        var result = await admin.AddAdministratorAsync(id, body, oneTimePassword: false, ct);
        if (result is Invalid invalid)
        {
            return Problems.Invalid(invalid.Errors);
        }

        if (result is not UserCreated created)
        {
            return Problem(result);
        }

        await audit.RecordAsync(http, id, http.User.Identity?.Name ?? "", AdminOperations.Invited(created.User.Login, created.User.Role), null, StatusCodes.Status201Created, ct);
        return TypedResults.Created($"/api/v1/admin/users/{created.User.Id}", created.User);
    }

    internal static Ok<List<UserView>> ListUsers(Caller caller, AdminOperations admin) => TypedResults.Ok(admin.Users(caller.AgencyId).Users.ToList());

    internal static async Task<Results<NoContent, ProblemHttpResult>> UnlockUser(string id, Caller caller, AdminOperations admin, CancellationToken ct) =>
        await admin.UnlockAsync(caller, id, ct) switch
        {
            UserChanged => TypedResults.NoContent(),
            var refused => Problem(refused),
        };

    internal static async Task<Results<NoContent, ProblemHttpResult>> ResetSecondFactor(string id, Caller caller, AdminOperations admin, CancellationToken ct) =>
        await admin.ResetSecondFactorAsync(caller, id, ct) switch
        {
            UserChanged => TypedResults.NoContent(),
            var refused => Problem(refused),
        };

    internal static async Task<Results<Created<UserView>, ValidationProblem, ProblemHttpResult>> CreateUser(
        UserRequest body, Caller caller, AdminOperations admin, CancellationToken ct) =>
        await admin.CreateUserAsync(caller, body, oneTimePassword: false, ct) switch
        {
            UserCreated created => TypedResults.Created($"/api/v1/admin/users/{created.User.Id}", created.User),
            Invalid invalid => Problems.Invalid(invalid.Errors),
            var refused => Problem(refused),
        };

    internal static async Task<Results<Ok<UserView>, ValidationProblem, ProblemHttpResult>> UpdateUser(
        string id, UserRequest body, Caller caller, AdminOperations admin, CancellationToken ct) =>
        await admin.UpdateUserAsync(caller, id, body, ct) switch
        {
            UserChanged changed => TypedResults.Ok(changed.User),
            Invalid invalid => Problems.Invalid(invalid.Errors),
            var refused => Problem(refused),
        };

    internal static Ok<SecondFactorRule> GetSecondFactorRule(Caller caller, AdminOperations admin) => TypedResults.Ok(admin.SecondFactorRule(caller.AgencyId));

    internal static async Task<Results<Ok<SecondFactorRule>, ValidationProblem, ProblemHttpResult>> SetSecondFactorRule(
        SecondFactorRule body, Caller caller, AdminOperations admin, CancellationToken ct) =>
        await admin.SetSecondFactorRuleAsync(caller, body, ct) switch
        {
            SecondFactorRuleSet set => TypedResults.Ok(set.Rule),
            Invalid invalid => Problems.Invalid(invalid.Errors),
            var refused => Problem(refused),
        };

    internal static Ok<List<ClientView>> ListClients(Caller caller, AdminOperations admin) => TypedResults.Ok(admin.Clients(caller.AgencyId));

    internal static async Task<Results<Created<ClientView>, ValidationProblem, ProblemHttpResult>> CreateClient(
        ClientRequest body, Caller caller, AdminOperations admin, CancellationToken ct) =>
        await admin.CreateClientAsync(caller, body, ct) switch
        {
            ClientCreated created => TypedResults.Created($"/api/v1/admin/clients/{created.Client.ClientId}", created.Client),
            Invalid invalid => Problems.Invalid(invalid.Errors),
            var refused => Problem(refused),
        };

    internal static async Task<Results<Ok<ClientView>, ValidationProblem, ProblemHttpResult>> UpdateClient(
        string clientId, ClientRequest body, Caller caller, AdminOperations admin, CancellationToken ct) =>
        await admin.UpdateClientAsync(caller, clientId, body, ct) switch
        {
            ClientChanged changed => TypedResults.Ok(changed.Client),
            Invalid invalid => Problems.Invalid(invalid.Errors),
            var refused => Problem(refused),
        };

    internal static async Task<Results<Ok<ClientView>, ProblemHttpResult>> RotateClientSecret(
        string clientId, Caller caller, AdminOperations admin, CancellationToken ct) =>
        await admin.RotateClientSecretAsync(caller, clientId, ct) switch
        {
            ClientChanged rotated => TypedResults.Ok(rotated.Client),
            var refused => Problem(refused),
        };

    /// <summary>A refusal as a problem document: 404, 409 or 403 with the operation's message.</summary>
    private static ProblemHttpResult Problem(AdminResult result) => result switch
    {
        Refused { Reason: Refusal.NotFound } refused => Problems.NotFound(refused.Message),
        Refused { Reason: Refusal.Conflict } refused => Problems.Conflict(refused.Message),
        Refused { Reason: Refusal.Forbidden } refused => Problems.Forbidden(refused.Message),
        _ => throw new InvalidOperationException($"{result.GetType().Name} is not a refusal."),
    };
}
