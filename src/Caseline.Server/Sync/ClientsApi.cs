using Caseline.Messages;
using Caseline.Server.Audit;
using Caseline.Server.Http;
using Caseline.Server.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Caseline.Server.Sync;

/// <summary>The fields a client body may carry: its identifier and the fields of Personal, Account and Email Details.</summary>
internal sealed record ClientFields(
    string? IntegrationId, string? FirstName, string? LastName, DateOnly? DateOfBirth, string? TimeZone, string? Gender, string? Ethinicity,
    string? StaticRiskRating, string? NeedsClassification, string? Status, string? AssignedCaseload, string? AssignedOfficer, string? Email);

/// <summary>The Sync API for clients and their items.</summary>
internal static class ClientsApi
{
    public static RouteGroupBuilder MapClients(this RouteGroupBuilder api)
    {
        var clients = api.MapGroup("/clients").WithTags("Clients").WithMetadata(new AuditedAttribute());
        clients.MapPost("/", Create).Accepts<ClientFields>("application/json")
            .WithSummary("Create a client").WithDescription("Body: IntegrationId and any fields of Personal, Account and Email Details. Emits one Created message per section with a value.");
        clients.MapPut("/{clientId}", Replace).Accepts<ClientFields>("application/json")
            .WithSummary("Create or replace a client's own sections").WithDescription("A section none of whose fields is in the body is left as it is; a section with any field present is replaced whole.");
        clients.MapGet("/{clientId}", Get)
            .WithSummary("Read a client's whole profile").WithDescription("With asOf, the profile as it stood at that instant, rebuilt from the message log.");
        clients.MapGet("/", List).WithSummary("List and search clients")
            .WithDescription("Filters, each optional and ignoring case: name (part of the first or last name, or of the IntegrationId), status, caseload and officer (whole values). In IntegrationId order; after is the previous page's cursor.");
        clients.MapGet("/{clientId}/messages", Timeline).WithSummary("A client's message timeline");

        foreach (var section in Section.All.Where(s => s.IsCollection))
        {
            var collection = $"/{{clientId}}/{section.CollectionName}";
            clients.MapPut(collection + "/{itemId}", (Caller caller, string clientId, string itemId, HttpRequest request, ClientOperations operations, CancellationToken ct) =>
                    PutItem(caller, section, clientId, itemId, request, operations, ct))
                .Accepts(section.DetailsType, "application/json")
                .Produces(StatusCodes.Status200OK, section.DetailsType)
                .Produces(StatusCodes.Status201Created, section.DetailsType)
                .ProducesValidationProblem()
                .ProducesProblem(StatusCodes.Status404NotFound)
                .WithSummary($"Create or replace one item of {section.Name}");
            clients.MapGet(collection, (Caller caller, string clientId, ClientOperations operations) => GetItems(caller, section, clientId, null, operations))
                .Produces(StatusCodes.Status200OK, section.DetailsType.MakeArrayType())
                .ProducesProblem(StatusCodes.Status404NotFound)
                .WithSummary($"Read a client's {section.Name} items");
            clients.MapGet(collection + "/{itemId}", (Caller caller, string clientId, string itemId, ClientOperations operations) => GetItems(caller, section, clientId, itemId, operations))
                .Produces(StatusCodes.Status200OK, section.DetailsType)
                .ProducesProblem(StatusCodes.Status404NotFound)
                .WithSummary($"Read one {section.Name} item");
            clients.MapDelete(collection + "/{itemId}", (Caller caller, string clientId, string itemId, HttpContext context, ClientOperations operations, CancellationToken ct) =>
                    DeleteItem(caller, section, clientId, itemId, AuditEntry.Of(context), operations, ct))
                .Produces(StatusCodes.Status204NoContent)
                .ProducesProblem(StatusCodes.Status404NotFound)
                .WithSummary($"Remove one {section.Name} item (emits {section.Name} Removed)");
        }

        return api;
    }

    private static async Task<Results<Created<ClientProfile>, ValidationProblem, ProblemHttpResult>> Create(
        Caller caller, HttpRequest request, ClientOperations clients, CancellationToken ct)
    {
        var (document, problem) = await JsonBody.ReadAsync(request, ct);
        if (problem is not null)
        {
            return problem;
        }

        using (document)
        {
            return await clients.CreateAsync(caller, document!.RootElement, AuditEntry.Of(request.HttpContext), ct) switch
            {
                SaveClientResult.Saved saved => TypedResults.Created(ClientPath(saved.Profile.IntegrationId), saved.Profile),
                SaveClientResult.Invalid invalid => Problems.Invalid(invalid.Errors),
                _ => Problems.Conflict("A client with this IntegrationId already exists."),
            };
        }
    }

    private static async Task<Results<Created<ClientProfile>, Ok<ClientProfile>, ValidationProblem, ProblemHttpResult>> Replace(
        Caller caller, string clientId, HttpRequest request, ClientOperations clients, CancellationToken ct)
    {
        if (InvalidId("clientId", clientId) is { } invalidId)
        {
            return invalidId;
        }

        var (document, problem) = await JsonBody.ReadAsync(request, ct);
        if (problem is not null)
        {
            return problem;
        }

        using (document)
        {
            return await clients.ReplaceAsync(caller, clientId, document!.RootElement, AuditEntry.Of(request.HttpContext), ct) switch
            {
                SaveClientResult.Saved { IsNew: true } saved => TypedResults.Created(ClientPath(clientId), saved.Profile),
                SaveClientResult.Saved saved => TypedResults.Ok(saved.Profile),
                SaveClientResult.Invalid invalid => Problems.Invalid(invalid.Errors),
                _ => throw new InvalidOperationException("A replace never finds a conflict."),
            };
        }
    }

    private static Results<Ok<ClientProfile>, ValidationProblem, ProblemHttpResult> Get(Caller caller, string clientId, DateTimeOffset? asOf, ClientOperations clients) =>
        clients.Profile(caller, clientId, asOf) is { } profile
            ? TypedResults.Ok(profile)
            : Problems.NotFound(asOf is null ? "Client not found." : "The client did not exist at that instant.");

    private static Results<Ok<ClientList>, ValidationProblem> List(
        Caller caller, ClientOperations clients, string? name, string? status, string? caseload, string? officer, string? after, int? limit) =>
        clients.List(caller, ClientFilter.Of(name, status, caseload, officer), after, limit) switch
        {
            ListClientsResult.Listed listed => TypedResults.Ok(listed.Page),
            ListClientsResult.Invalid invalid => Problems.Invalid(invalid.Errors),
            _ => throw new InvalidOperationException(),
        };

    private static Results<MessagePage, ValidationProblem, ProblemHttpResult> Timeline(
        Caller caller, string clientId, ClientOperations clients, string? after, int? limit) =>
        clients.Timeline(caller, clientId, after, limit) switch
        {
            TimelineResult.Page page => new MessagePage(page.Messages, page.Cursor, page.HasMore),
            TimelineResult.Invalid invalid => Problems.Invalid(invalid.Errors),
            _ => Problems.NotFound("Client not found."),
        };

    private static async Task<IResult> PutItem(
        Caller caller, Section section, string clientId, string itemId, HttpRequest request, ClientOperations clients, CancellationToken ct)
    {
        if ((InvalidId("clientId", clientId) ?? InvalidId("itemId", itemId)) is { } invalidId)
        {
            return invalidId;
        }

        var (document, problem) = await JsonBody.ReadAsync(request, ct);
        if (problem is not null)
        {
            return problem;
        }

        using (document)
        {
            return await clients.PutItemAsync(caller, section, clientId, itemId, document!.RootElement, AuditEntry.Of(request.HttpContext), ct) switch
            {
                PutItemResult.Invalid invalid => Problems.Invalid(invalid.Errors),
                PutItemResult.Saved { IsNew: true } saved =>
                    ItemsResult.One(saved.Details, StatusCodes.Status201Created, $"{ClientPath(clientId)}/{section.CollectionName}/{Uri.EscapeDataString(itemId)}"),
                PutItemResult.Saved saved => ItemsResult.One(saved.Details),
                _ => Problems.NotFound("Client not found."),
            };
        }
    }

    private static IResult GetItems(Caller caller, Section section, string clientId, string? itemId, ClientOperations clients) =>
        clients.Items(caller, section, clientId, itemId) switch
        {
            ReadItemsResult.Found { Items: var items } when itemId is null => ItemsResult.Many(section.DetailsType, items),
            ReadItemsResult.Found { Items: var items } => ItemsResult.One(items[0]),
            ReadItemsResult.ItemNotFound => Problems.NotFound($"{section.Name} item not found."),
            _ => Problems.NotFound("Client not found."),
        };

    private static async Task<IResult> DeleteItem(
        Caller caller, Section section, string clientId, string itemId, AuditEntry? audit, ClientOperations clients, CancellationToken ct) =>
        await clients.RemoveItemAsync(caller, section, clientId, itemId, audit, ct) switch
        {
            RemoveItemResult.Removed => TypedResults.NoContent(),
            RemoveItemResult.ItemNotFound => Problems.NotFound($"{section.Name} item not found."),
            _ => Problems.NotFound("Client not found."),
        };

    private static ValidationProblem? InvalidId(string parameter, string id) =>
        ClientOperations.IdErrors(parameter, id) is { } errors ? Problems.Invalid(errors) : null;

    private static string ClientPath(string clientId) => $"/api/v1/clients/{Uri.EscapeDataString(clientId)}";
}
