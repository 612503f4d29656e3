using System.Text.Json;
using Caseline.Messages;
using Caseline.Messages.Json;
using Caseline.Messages.Validation;
using Caseline.Server.Audit;
using Caseline.Server.Http;
using Caseline.Server.Identity;
using Caseline.Server.Storage;

namespace Caseline.Server.Sync;

/// <summary>A page of the client list.</summary>
internal sealed record ClientList(IReadOnlyList<ClientSummary> Clients, string? Cursor, bool HasMore);

/// <summary>One page of the caseload, with how many clients match in all.</summary>
internal sealed record CaseloadPage(IReadOnlyList<ClientSummary> Clients, int Total, int Page, int PageSize)
{
    public int Pages => Math.Max(1, (Total + PageSize - 1) / PageSize);
}

/// <summary>A client's stored sections and items and its whole history in the log, for the officer's pages.</summary>
internal sealed record ClientHistory(string ClientId, IReadOnlyList<StoredSection> Sections, IReadOnlyList<LoggedMessage> Messages);

/// <summary>The agency's endpoints and every delivery of a client's messages to them, for the client's timeline.</summary>
internal sealed record ClientDeliveries(IReadOnlyList<TimelineEndpoint> Endpoints, IReadOnlyList<ClientDelivery> Deliveries);

/// <summary>What creating or replacing a client came to.</summary>
internal abstract record SaveClientResult
{
    private SaveClientResult()
    {
    }

    /// <summary>Stored (or already so): the profile as it is now, and whether the client is new.</summary>
    public sealed record Saved(ClientProfile Profile, bool IsNew) : SaveClientResult;

    /// <summary>Nothing stored: the body's errors, keyed by field.</summary>
    public sealed record Invalid(IReadOnlyDictionary<string, string[]> Errors) : SaveClientResult;

    /// <summary>Nothing stored: a create named a client the agency already has.</summary>
    public sealed record AlreadyExists : SaveClientResult;
}

/// <summary>What writing one item came to.</summary>
internal abstract record PutItemResult
{
    private PutItemResult()
    {
    }

    /// <summary>Stored (or already so): the item as read from the body, and whether it is new.</summary>
    public sealed record Saved(SectionDetails Details, bool IsNew) : PutItemResult;

    /// <summary>Nothing stored: the body's errors, keyed by field.</summary>
    public sealed record Invalid(IReadOnlyDictionary<string, string[]> Errors) : PutItemResult;

    public sealed record ClientNotFound : PutItemResult;
}

/// <summary>What removing one item came to.</summary>
internal abstract record RemoveItemResult
{
    private RemoveItemResult()
    {
    }

    /// <summary>Removed, its <c>Removed</c> message appended.</summary>
    public sealed record Removed : RemoveItemResult;

    public sealed record ClientNotFound : RemoveItemResult;

    public sealed record ItemNotFound : RemoveItemResult;
}

/// <summary>What reading a client's items came to.</summary>
internal abstract record ReadItemsResult
{
    private ReadItemsResult()
    {
    }

    /// <summary>The items asked for, in item order (one when an item was named).</summary>
    public sealed record Found(IReadOnlyList<ItemDetails> Items) : ReadItemsResult;

    public sealed record ClientNotFound : ReadItemsResult;

    public sealed record ItemNotFound : ReadItemsResult;
}

/// <summary>What listing clients came to.</summary>
internal abstract record ListClientsResult
{
    private ListClientsResult()
    {
    }

    public sealed record Listed(ClientList Page) : ListClientsResult;

    /// <summary>The paging parameters' errors, keyed by parameter.</summary>
    public sealed record Invalid(IReadOnlyDictionary<string, string[]> Errors) : ListClientsResult;
}

/// <summary>What reading a client's timeline came to.</summary>
internal abstract record TimelineResult
{
    private TimelineResult()
    {
    }

    /// <summary>A page of the client's messages, oldest first, with the cursor of the next.</summary>
    public sealed record Page(IReadOnlyList<StoredMessage> Messages, string? Cursor, bool HasMore) : TimelineResult;

    /// <summary>The paging parameters' errors, keyed by parameter.</summary>
    public sealed record Invalid(IReadOnlyDictionary<string, string[]> Errors) : TimelineResult;

    public sealed record ClientNotFound : TimelineResult;
}

/// <summary>
/// The clients feature, for the Sync API and the officer's pages alike: creating and replacing a client's own sections, writing,
/// reading and removing items, the profile now and as of an instant, the timeline, and the one client list. Bodies are the
/// Sync API's (the pages build them from their forms), so both are validated with the same messages and emit the same messages.
/// </summary>
internal sealed class ClientOperations(ClientStorage clients, DeliveryStorage deliveries, WriteQueue writes, TimeProvider clock)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    /// <summary>The errors of an identifier given as <paramref name="parameter"/>, or null when it is a valid one.</summary>
    public static Dictionary<string, string[]>? IdErrors(string parameter, string id) =>
        MessageValidator.ValidateIntegrationId(id) is { Length: > 0 } messages ? new(StringComparer.Ordinal) { [parameter] = messages } : null;

    /// <summary>Creates a client from a client body, which names it; refused when the agency already has it.</summary>
    public Task<SaveClientResult> CreateAsync(Caller caller, JsonElement body, AuditEntry? audit, CancellationToken ct)
    {
        var input = ClientInput(body);
        if (string.IsNullOrEmpty(input.IntegrationId) && !input.Errors.ContainsKey("IntegrationId"))
        {
            input.Errors["IntegrationId"] = ["IntegrationId is required"];
        }

        return SaveAsync(caller, input.IntegrationId!, input, createOnly: true, audit, ct);
    }

    /// <summary>Creates a client or changes its own sections: a section none of whose fields the body carries is left as it is.</summary>
    public Task<SaveClientResult> ReplaceAsync(Caller caller, string clientId, JsonElement body, AuditEntry? audit, CancellationToken ct)
    {
        var input = ClientInput(body);
        if (input.IntegrationId is { Length: > 0 } named && !string.Equals(named, clientId, StringComparison.Ordinal))
        {
            input.Errors["IntegrationId"] = ["IntegrationId is invalid"];
        }

        return SaveAsync(caller, clientId, input, createOnly: false, audit, ct);
    }

    /// <summary>Creates or replaces one item from its body.</summary>
    public async Task<PutItemResult> PutItemAsync(
        Caller caller, Section section, string clientId, string itemId, JsonElement body, AuditEntry? audit, CancellationToken ct)
    {
        var (details, errors) = SyncInput.ReadSection(body, section, itemId, clock);
        if (details is null)
        {
            return new PutItemResult.Invalid(errors);
        }

        var (found, verb) = await writes.RunForAsync(caller.AgencyId, [clientId], scope =>
        {
            var profile = new ProfileWriter(scope, caller.AgencyId, caller.Login, caller.Origin);
            var (exists, stored) = profile.ClientAndStored(clientId, section, itemId);
            var change = exists ? profile.Put(clientId, details, stored, known: true) : null;
            audit?.WriteIn(scope, !exists ? StatusCodes.Status404NotFound : change == ChangeVerb.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
            return (exists, change);
        }, ct);

        return found ? new PutItemResult.Saved(details, verb == ChangeVerb.Created) : new PutItemResult.ClientNotFound();
    }

    /// <summary>Removes one item, appending its <c>Removed</c> message.</summary>
    public Task<RemoveItemResult> RemoveItemAsync(Caller caller, Section section, string clientId, string itemId, AuditEntry? audit, CancellationToken ct) =>
        writes.RunForAsync<RemoveItemResult>(caller.AgencyId, [clientId], scope =>
        {
            var profile = new ProfileWriter(scope, caller.AgencyId, caller.Login, caller.Origin);
            RemoveItemResult result = !profile.ClientExists(clientId) ? new RemoveItemResult.ClientNotFound()
                : profile.Remove(clientId, section, itemId) is null ? new RemoveItemResult.ItemNotFound()
                : new RemoveItemResult.Removed();
            audit?.WriteIn(scope, result is RemoveItemResult.Removed ? StatusCodes.Status204NoContent : StatusCodes.Status404NotFound);
            return result;
        }, ct);

    /// <summary>The client's whole profile, or as it stood at <paramref name="asOf"/> (rebuilt from the log); null when there is no such client (then).</summary>
    public ClientProfile? Profile(Caller caller, string clientId, DateTimeOffset? asOf = null)
    {
        var sections = asOf is { } instant
            ? SectionsAsOf(caller, clientId, instant)
            : clients.Sections(caller.AgencyId, clientId)?.Select(Details).ToList();
        return sections is null ? null : ClientProfile.FromSections(clientId, sections);
    }

    /// <summary>The client's items of <paramref name="section"/>, or the one named <paramref name="itemId"/>.</summary>
    public ReadItemsResult Items(Caller caller, Section section, string clientId, string? itemId)
    {
        if (clients.Items(caller.AgencyId, clientId, section, itemId) is not { } items)
        {
            return new ReadItemsResult.ClientNotFound();
        }

        return itemId is not null && items.Count == 0
            ? new ReadItemsResult.ItemNotFound()
            : new ReadItemsResult.Found([.. items.Select(Details).Cast<ItemDetails>()]);
    }

    /// <summary>Every section and item as it stood at <paramref name="asOf"/>, in log order of their last change; null when the client did not exist yet.</summary>
    public IReadOnlyList<SectionDetails>? SectionsAsOf(Caller caller, string clientId, DateTimeOffset asOf)
    {
        if (clients.CreatedAt(caller.AgencyId, clientId) is not { } createdAt || createdAt > asOf)
        {
            return null;
        }

        // Each message carries the whole state of its section or item, so the last one before the instant is that state.
        var state = new Dictionary<(Section, string), SectionDetails?>();
        foreach (var logged in clients.Messages(caller.AgencyId, clientId, through: asOf))
        {
            var message = MessageReader.Read(logged.Body);
            state[Key(message.Details)] = message.Verb == ChangeVerb.Removed ? null : message.Details;
        }

        return [.. state.Values.OfType<SectionDetails>()];
    }

    /// <summary>
    /// A page of the client list in identifier order: <paramref name="after"/> is the last page's cursor, <paramref name="limit"/>
    /// at most <see cref="MaxLimit"/> (<see cref="DefaultLimit"/> when not given).
    /// </summary>
    public ListClientsResult List(Caller caller, ClientFilter filter, string? after, int? limit)
    {
        if (!Cursor.TryDecode(after, out string? afterId))
        {
            return new ListClientsResult.Invalid(Error("after", "after is invalid"));
        }

        if (limit is < 1 or > MaxLimit)
        {
            return new ListClientsResult.Invalid(Error("limit", "limit is invalid"));
        }

        var take = limit ?? DefaultLimit;
        var rows = clients.List(caller.AgencyId, new ClientQuery(filter, ClientSort.Id, Descending: false, afterId, Offset: 0, take + 1));
        var hasMore = rows.Count > take;
        var page = hasMore ? rows.Take(take).ToList() : rows;
        return new ListClientsResult.Listed(new ClientList(page, page.Count > 0 ? Cursor.Encode(page[^1].IntegrationId) : after, hasMore));
    }

    /// <summary>The sort keys <see cref="Caseload"/> takes.</summary>
    public static IReadOnlyCollection<string> Sorts => ClientStorage.Sorts;

    /// <summary>Page <paramref name="page"/> of the clients <paramref name="filter"/> matches in <paramref name="sort"/> order (the last page when it is past the end).</summary>
    public CaseloadPage Caseload(Caller caller, ClientFilter filter, string sort, bool descending, int page, int pageSize = 25)
    {
        var total = clients.Count(caller.AgencyId, filter);
        var pages = Math.Max(1, (total + pageSize - 1) / pageSize);
        page = Math.Clamp(page, 1, pages);
        var rows = clients.List(caller.AgencyId, new ClientQuery(filter, sort, descending, After: null, (page - 1) * pageSize, pageSize));
        return new CaseloadPage(rows, total, page, pageSize);
    }

    /// <summary>A page of the client's messages after the cursor <paramref name="after"/>, each marked when the caller's own credentials wrote it.</summary>
    public TimelineResult Timeline(Caller caller, string clientId, string? after, int? limit)
    {
        if (!Cursor.TryDecode(after, out long afterPosition))
        {
            return new TimelineResult.Invalid(Error("after", "after is invalid"));
        }

        if (limit is < 1 or > MaxLimit)
        {
            return new TimelineResult.Invalid(Error("limit", "limit is invalid"));
        }

        var take = limit ?? DefaultLimit;
        if (clients.Timeline(caller.AgencyId, clientId, caller.Origin, afterPosition, take + 1) is not { } messages)
        {
            return new TimelineResult.ClientNotFound();
        }

        var hasMore = messages.Count > take;
        var page = hasMore ? messages.Take(take).ToList() : messages;
        return new TimelineResult.Page(page, page.Count > 0 ? Cursor.Encode(page[^1].Position) : after, hasMore);
    }

    /// <summary>Whether the agency has the client.</summary>
    public bool Exists(Caller caller, string clientId) => clients.Exists(caller.AgencyId, clientId);

    /// <summary>The client's stored sections and items with its whole history in the log; null when the agency has no such client.</summary>
    public ClientHistory? History(Caller caller, string clientId) =>
        clients.Sections(caller.AgencyId, clientId) is { } sections
            ? new ClientHistory(clientId, sections, clients.Messages(caller.AgencyId, clientId))
            : null;

    /// <summary>The agency's endpoints and where each of the client's messages stands with each.</summary>
    public ClientDeliveries Deliveries(Caller caller, string clientId) =>
        new(deliveries.TimelineEndpoints(caller.AgencyId), deliveries.ForClient(caller.AgencyId, clientId));

    /// <summary>
    /// Creating and replacing, one unit: a create refuses a client that exists; otherwise the client is created when new and
    /// each section the body carries is made equal to it, each real change appending one message.
    /// </summary>
    private async Task<SaveClientResult> SaveAsync(Caller caller, string clientId, ClientBody input, bool createOnly, AuditEntry? audit, CancellationToken ct)
    {
        if (input.Errors.Count > 0)
        {
            return new SaveClientResult.Invalid(input.Errors);
        }

        // A create names its client in the body, so its audit record names it; a replace's route names it.
        var audited = createOnly ? clientId : null;
        var outcome = await writes.RunForAsync(caller.AgencyId, [clientId], scope =>
        {
            var profile = new ProfileWriter(scope, caller.AgencyId, caller.Login, caller.Origin);
            var isNew = !profile.ClientExists(clientId);
            if (createOnly && !isNew)
            {
                audit?.WriteIn(scope, StatusCodes.Status409Conflict, audited);
                return (Stored: false, IsNew: false);
            }

            if (isNew)
            {
                profile.CreateClient(clientId);
            }

            foreach (var section in input.Present)
            {
                profile.Put(clientId, section);
            }

            audit?.WriteIn(scope, isNew ? StatusCodes.Status201Created : StatusCodes.Status200OK, audited);
            return (Stored: true, IsNew: isNew);
        }, ct);

        return outcome.Stored
            ? new SaveClientResult.Saved(Profile(caller, clientId)!, outcome.IsNew)
            : new SaveClientResult.AlreadyExists();
    }

    /// <summary>A client body: the client's own sections only; items are written through their collections or a bulk sync.</summary>
    private ClientBody ClientInput(JsonElement body)
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

        return new ClientBody(input.IntegrationId, input.Present, errors);
    }

    private static SectionDetails Details(StoredSection stored) => MessageReader.ReadDetails(stored.Details, stored.Section);

    private static (Section, string) Key(SectionDetails details) => (details.Section, (details as ItemDetails)?.IntegrationId ?? ClientStorage.NoItem);

    private static Dictionary<string, string[]> Error(string parameter, string message) => new(StringComparer.Ordinal) { [parameter] = [message] };

    private sealed record ClientBody(string? IntegrationId, IReadOnlyList<SectionDetails> Present, Dictionary<string, string[]> Errors);
}
