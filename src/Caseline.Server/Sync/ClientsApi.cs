using System.Text.Json;
using Caseline.Messages;
using Caseline.Messages.Json;
using Caseline.Messages.Validation;
using Caseline.Server.Audit;
using Caseline.Server.Http;
using Caseline.Server.Identity;
using Caseline.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Caseline.Server.Sync;

/// <summary>The fields a client body may carry: its identifier and the fields of Personal, Account and Email Details.</summary>
internal sealed record ClientFields(
    string? IntegrationId, string? FirstName, string? LastName, DateOnly? DateOfBirth, string? TimeZone, string? Gender, string? Ethinicity,
    string? StaticRiskRating, string? NeedsClassification, string? Status, string? AssignedCaseload, string? AssignedOfficer, string? Email);

/// <summary>A page of the client list.</summary>
internal sealed record ClientList(IReadOnlyList<ClientSummary> Clients, string? Cursor, bool HasMore);

/// <summary>The Sync API for clients and their items.</summary>
internal static class ClientsApi
{
    private const int DefaultLimit = 100;
    private const int MaxLimit = 1000;

    public static RouteGroupBuilder MapClients(this RouteGroupBuilder api)
    {
        var clients = api.MapGroup("/clients").WithTags("Clients").WithMetadata(new AuditedAttribute());
        clients.MapPost("/", Create).Accepts<ClientFields>("application/json")
            .WithSummary("Create a client").WithDescription("Body: IntegrationId and any fields of Personal, Account and Email Details. Emits one Created message per section with a value.");
        clients.MapPut("/{clientId}", Replace).Accepts<ClientFields>("application/json")
            .WithSummary("Create or replace a client's own sections").WithDescription("A section none of whose fields is in the body is left as it is; a section with any field present is replaced whole.");
        clients.MapGet("/{clientId}", Get)
            .WithSummary("Read a client's whole profile").WithDescription("With asOf, the profile as it stood at that instant, rebuilt from the message log.");
        clients.MapGet("/", List).WithSummary("List and search clients");
        clients.MapGet("/{clientId}/messages", Timeline).WithSummary("A client's message timeline");

        foreach (var section in Section.All.Where(s => s.IsCollection))
        {
            var collection = $"/{{clientId}}/{section.CollectionName}";
            clients.MapPut(collection + "/{itemId}", (Caller caller, string clientId, string itemId, HttpRequest request, WriteQueue writes, TimeProvider clock, CancellationToken ct) =>
                    PutItem(caller, section, clientId, itemId, request, writes, clock, ct))
                .Accepts(section.DetailsType, "application/json")
                .Produces(StatusCodes.Status200OK, section.DetailsType)
                .Produces(StatusCodes.Status201Created, section.DetailsType)
                .ProducesValidationProblem()
                .ProducesProblem(StatusCodes.Status404NotFound)
                .WithSummary($"Create or replace one item of {section.Name}");
            clients.MapGet(collection, (Caller caller, string clientId, ProfileQueries queries) => GetItems(caller, section, clientId, null, queries))
                .Produces(StatusCodes.Status200OK, section.DetailsType.MakeArrayType())
                .ProducesProblem(StatusCodes.Status404NotFound)
                .WithSummary($"Read a client's {section.Name} items");
            clients.MapGet(collection + "/{itemId}", (Caller caller, string clientId, string itemId, ProfileQueries queries) => GetItems(caller, section, clientId, itemId, queries))
                .Produces(StatusCodes.Status200OK, section.DetailsType)
                .ProducesProblem(StatusCodes.Status404NotFound)
                .WithSummary($"Read one {section.Name} item");
            clients.MapDelete(collection + "/{itemId}", (Caller caller, string clientId, string itemId, HttpContext context, WriteQueue writes, CancellationToken ct) =>
                    DeleteItem(caller, section, clientId, itemId, AuditEntry.Of(context), writes, ct))
                .Produces(StatusCodes.Status204NoContent)
                .ProducesProblem(StatusCodes.Status404NotFound)
                .WithSummary($"Remove one {section.Name} item (emits {section.Name} Removed)");
        }

        return api;
    }

    private static async Task<Results<Created<ClientProfile>, ValidationProblem, ProblemHttpResult>> Create(
        Caller caller, HttpRequest request, WriteQueue writes, ProfileQueries queries, TimeProvider clock, CancellationToken ct)
    {
        var (document, problem) = await JsonBody.ReadAsync(request, ct);
        if (problem is not null)
        {
            return problem;
        }

        using (document)
        {
            var input = ClientInput(document!.RootElement, clock);
            if (string.IsNullOrEmpty(input.IntegrationId) && !input.Errors.ContainsKey("IntegrationId"))
            {
                input.Errors["IntegrationId"] = ["IntegrationId is required"];
            }

            if (input.Errors.Count > 0)
            {
                return Problems.Invalid(input.Errors);
            }

            var clientId = input.IntegrationId!;
            var audit = AuditEntry.Of(request.HttpContext);
            var created = await writes.RunForAsync(caller.AgencyId, [clientId], scope =>
            {
                var profile = new ProfileWriter(scope, caller.AgencyId, caller.Login, caller.Origin);
                if (profile.ClientExists(clientId))
                {
                    audit?.WriteIn(scope, StatusCodes.Status409Conflict, clientId);
                    return false;
                }

                profile.CreateClient(clientId);
                foreach (var section in input.Present)
                {
                    profile.Put(clientId, section);
                }

                audit?.WriteIn(scope, StatusCodes.Status201Created, clientId);
                return true;
            }, ct);

            return created
                ? TypedResults.Created(ClientPath(clientId), queries.Profile(caller.AgencyId, clientId))
                : Problems.Conflict("A client with this IntegrationId already exists.");
        }
    }

    private static async Task<Results<Created<ClientProfile>, Ok<ClientProfile>, ValidationProblem, ProblemHttpResult>> Replace(
        Caller caller, string clientId, HttpRequest request, WriteQueue writes, ProfileQueries queries, TimeProvider clock, CancellationToken ct)
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
            var (created, errors) = await ReplaceAsync(caller, clientId, document!.RootElement, AuditEntry.Of(request.HttpContext), writes, clock, ct);
            if (errors is not null)
            {
                return Problems.Invalid(errors);
            }

            var stored = queries.Profile(caller.AgencyId, clientId)!;
            return created ? TypedResults.Created(ClientPath(clientId), stored) : TypedResults.Ok(stored);
        }
    }

    /// <summary>
    /// Creates or changes a client's own sections from a client body, as <c>PUT /clients/{clientId}</c> does (the web
    /// UI's edits go through here too, so that they emit exactly what the API would). Returns whether the client is new,
    /// or the field errors, with nothing stored.
    /// </summary>
    internal static async Task<(bool Created, Dictionary<string, string[]>? Errors)> ReplaceAsync(
        Caller caller, string clientId, JsonElement body, AuditEntry? audit, WriteQueue writes, TimeProvider clock, CancellationToken ct)
    {
        var input = ClientInput(body, clock);
        if (input.IntegrationId is { Length: > 0 } named && !string.Equals(named, clientId, StringComparison.Ordinal))
        {
            input.Errors["IntegrationId"] = ["IntegrationId is invalid"];
        }

        if (input.Errors.Count > 0)
        {
            return (false, input.Errors);
        }

        var created = await writes.RunForAsync(caller.AgencyId, [clientId], scope =>
        {
            var profile = new ProfileWriter(scope, caller.AgencyId, caller.Login, caller.Origin);
            var isNew = !profile.ClientExists(clientId);
            if (isNew)
            {
                profile.CreateClient(clientId);
            }

            foreach (var section in input.Present)
            {
                profile.Put(clientId, section);
            }

            audit?.WriteIn(scope, isNew ? StatusCodes.Status201Created : StatusCodes.Status200OK);
            return isNew;
        }, ct);
        return (created, null);
    }

    private static Results<Ok<ClientProfile>, ValidationProblem, ProblemHttpResult> Get(
        Caller caller, string clientId, DateTimeOffset? asOf, ProfileQueries queries)
    {
        var profile = asOf is { } instant
            ? queries.ProfileAsOf(caller.AgencyId, clientId, instant)
            : queries.Profile(caller.AgencyId, clientId);
        return profile is null ? Problems.NotFound(asOf is null ? "Client not found." : "The client did not exist at that instant.") : TypedResults.Ok(profile);
    }

    private static Results<Ok<ClientList>, ValidationProblem> List(
        Caller caller, ProfileQueries queries, string? name, string? status, string? caseload, string? officer, string? after, int? limit)
    {
        if (!Cursor.TryDecode(after, out string? afterId))
        {
            return Problems.Invalid("after", "after is invalid");
        }

        if (limit is < 1 or > MaxLimit)
        {
            return Problems.Invalid("limit", "limit is invalid");
        }

        var (clients, hasMore) = queries.List(
            caller.AgencyId, new ClientFilter(Blank(name), Blank(status), Blank(caseload), Blank(officer)), afterId, limit ?? DefaultLimit);
        return TypedResults.Ok(new ClientList(clients, clients.Count > 0 ? Cursor.Encode(clients[^1].IntegrationId) : after, hasMore));
    }

    private static Results<MessagePage, ValidationProblem, ProblemHttpResult> Timeline(
        Caller caller, string clientId, ProfileQueries queries, string? after, int? limit)
    {
        if (!Cursor.TryDecode(after, out long afterPosition))
        {
            return Problems.Invalid("after", "after is invalid");
        }

        if (limit is < 1 or > MaxLimit)
        {
            return Problems.Invalid("limit", "limit is invalid");
        }

        var take = limit ?? DefaultLimit;
        var messages = queries.Timeline(caller.AgencyId, clientId, caller.Origin, afterPosition, take + 1);
        if (messages is null)
        {
            return Problems.NotFound("Client not found.");
        }

        var hasMore = messages.Count > take;
        var page = hasMore ? messages[..take] : messages;
        return new MessagePage(page, page.Count > 0 ? Cursor.Encode(page[^1].Position) : after, hasMore);
    }

    private static async Task<IResult> PutItem(
        Caller caller, Section section, string clientId, string itemId, HttpRequest request, WriteQueue writes, TimeProvider clock, CancellationToken ct)
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
            var (outcome, details, errors) = await PutItemAsync(caller, section, clientId, itemId, document!.RootElement, AuditEntry.Of(request.HttpContext), writes, clock, ct);
            return outcome switch
            {
                ItemOutcome.Invalid => Problems.Invalid(errors!),
                ItemOutcome.ClientNotFound => Problems.NotFound("Client not found."),
                ItemOutcome.Created => ItemsResult.One(details!, StatusCodes.Status201Created, $"{ClientPath(clientId)}/{section.CollectionName}/{Uri.EscapeDataString(itemId)}"),
                _ => ItemsResult.One(details!),
            };
        }
    }

    /// <summary>What writing one item came to.</summary>
    internal enum ItemOutcome
    {
        Invalid,
        ClientNotFound,
        Created,
        UpdatedOrUnchanged,
    }

    /// <summary>Creates or replaces one item from its body, as <c>PUT /clients/{clientId}/{collection}/{itemId}</c> does.</summary>
    internal static async Task<(ItemOutcome Outcome, SectionDetails? Details, Dictionary<string, string[]>? Errors)> PutItemAsync(
        Caller caller, Section section, string clientId, string itemId, JsonElement body, AuditEntry? audit, WriteQueue writes, TimeProvider clock, CancellationToken ct)
    {
        var (details, errors) = SyncInput.ReadSection(body, section, itemId, clock);
        if (details is null)
        {
            return (ItemOutcome.Invalid, null, errors);
        }

        var (found, verb) = await writes.RunForAsync(caller.AgencyId, [clientId], scope =>
        {
            var profile = new ProfileWriter(scope, caller.AgencyId, caller.Login, caller.Origin);
            var (exists, stored) = profile.ClientAndStored(clientId, section, itemId);
            var change = exists ? profile.Put(clientId, details, stored, known: true) : null;
            audit?.WriteIn(scope, !exists ? StatusCodes.Status404NotFound : change == ChangeVerb.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
            return (exists, change);
        }, ct);

        return (!found ? ItemOutcome.ClientNotFound : verb == ChangeVerb.Created ? ItemOutcome.Created : ItemOutcome.UpdatedOrUnchanged, details, null);
    }

    private static IResult GetItems(Caller caller, Section section, string clientId, string? itemId, ProfileQueries queries)
    {
        var items = queries.Items(caller.AgencyId, clientId, section, itemId);
        if (items is null)
        {
            return Problems.NotFound("Client not found.");
        }

        if (itemId is null)
        {
            return ItemsResult.Many(section.DetailsType, items);
        }

        return items.Count == 0 ? Problems.NotFound($"{section.Name} item not found.") : ItemsResult.One(items[0]);
    }

    private static async Task<IResult> DeleteItem(
        Caller caller, Section section, string clientId, string itemId, AuditEntry? audit, WriteQueue writes, CancellationToken ct) =>
        await RemoveItemAsync(caller, section, clientId, itemId, audit, writes, ct) switch
        {
            null => Problems.NotFound("Client not found."),
            false => Problems.NotFound($"{section.Name} item not found."),
            true => TypedResults.NoContent(),
        };

    /// <summary>Removes one item (emitting its <c>Removed</c> message): null when the client is not found, false when the item is not.</summary>
    internal static Task<bool?> RemoveItemAsync(
        Caller caller, Section section, string clientId, string itemId, AuditEntry? audit, WriteQueue writes, CancellationToken ct) =>
        writes.RunForAsync(caller.AgencyId, [clientId], scope =>
        {
            var profile = new ProfileWriter(scope, caller.AgencyId, caller.Login, caller.Origin);
            var removed = profile.ClientExists(clientId) ? profile.Remove(clientId, section, itemId) is not null : (bool?)null;
            audit?.WriteIn(scope, removed == true ? StatusCodes.Status204NoContent : StatusCodes.Status404NotFound);
            return removed;
        }, ct);

    /// <summary>A client body: the client's own sections only; items are written through their collections or a bulk sync.</summary>
    private static (string? IntegrationId, IReadOnlyList<SectionDetails> Present, Dictionary<string, string[]> Errors) ClientInput(JsonElement body, TimeProvider clock)
    {
        var input = SyncInput.ReadProfile(body, clock);
        var errors = new Dictionary<string, string[]>(input.Errors, StringComparer.Ordinal);
        if (input.Items is not null)
        {
            foreach (var section in Section.All.Where(s => s.IsCollection))
            {
                if (body.EnumerateObject().Any(p => string.Equals(p.Name, section.ProfileProperty, StringComparison.OrdinalIgnoreCase)))
                {
                    errors.Remove(section.ProfileProperty!);
                    foreach (var key in errors.Keys.Where(k => k.StartsWith(section.ProfileProperty + "[", StringComparison.Ordinal)).ToList())
                    {
                        errors.Remove(key);
                    }

                    errors[section.ProfileProperty!] = [$"{section.ProfileProperty} is invalid"];
                }
            }
        }

        return (input.IntegrationId, input.Present, errors);
    }

    internal static ValidationProblem? InvalidId(string parameter, string id) =>
        MessageValidator.ValidateIntegrationId(id) is { Length: > 0 } messages ? Problems.Invalid([new(parameter, messages)]) : null;

    private static string ClientPath(string clientId) => $"/api/v1/clients/{Uri.EscapeDataString(clientId)}";

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
