using Caseline.Messages;
using Caseline.Messages.Validation;
using Caseline.Server.Http;
using Caseline.Server.Storage;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Webhooks;

/// <summary>
/// An agency's webhook endpoints, their secrets and their deliveries: what the API and the deliveries pages both do, as
/// named results. Every read and change names the agency.
/// </summary>
internal sealed class EndpointOperations(
    DeliveryStorage storage, DeliveryStore store, WriteQueue writes, WebhookSecrets secrets, WebhookDispatcher dispatcher, IOptions<WebhookOptions> options)
{
    private const int MaxDescription = 500;

    /// <summary>Registers an endpoint that receives what is written from now on; its secret is in the result, and nowhere else ever again.</summary>
    public async Task<CreateResult> CreateAsync(long agencyId, WebhookEndpointRequest body, CancellationToken ct)
    {
        var (subTypes, errors) = await ValidateAsync(body, ct);
        if (errors.Count > 0)
        {
            return new CreateResult.Invalid(errors);
        }

        var id = Guid.CreateVersion7().ToString("D");
        var secret = WebhookSecrets.NewSecret();
        var endpoint = await writes.RunAsync(scope =>
        {
            storage.CreateEndpoint(scope, agencyId, id, body.Url!.Trim(), Blank(body.Description), subTypes, secrets.Protect(secret));
            return storage.FindEndpoint(scope, agencyId, id)!;
        }, ct);

        dispatcher.Wake();
        return new CreateResult.Created(endpoint with { Secret = secret });
    }

    public List<WebhookEndpoint> List(long agencyId) => storage.Endpoints(agencyId);

    /// <summary>The endpoint, or null when the agency has none by that id.</summary>
    public WebhookEndpoint? Find(long agencyId, string id) => storage.FindEndpoint(agencyId, id);

    /// <summary>Changes an endpoint; <see cref="WebhookEndpointRequest.Enabled"/> pauses or resumes it.</summary>
    public async Task<UpdateResult> UpdateAsync(long agencyId, string id, WebhookEndpointRequest body, CancellationToken ct)
    {
        var (subTypes, errors) = await ValidateAsync(body, ct);
        if (errors.Count > 0)
        {
            return new UpdateResult.Invalid(errors);
        }

        var endpoint = await writes.RunAsync(
            scope => storage.UpdateEndpoint(scope, agencyId, id, body.Url!.Trim(), Blank(body.Description), subTypes, body.Enabled)
                ? storage.FindEndpoint(scope, agencyId, id)
                : null,
            ct);

        dispatcher.Wake();
        return endpoint is null ? new UpdateResult.NotFound() : new UpdateResult.Updated(endpoint);
    }

    /// <summary>Removes an endpoint and its deliveries.</summary>
    public async Task<DeleteResult> DeleteAsync(long agencyId, string id, CancellationToken ct) =>
        await writes.RunAsync<DeleteResult>(scope =>
        {
            if (!storage.EndpointExists(scope, agencyId, id))
            {
                return new DeleteResult.NotFound();
            }

            store.Delete(scope, agencyId, id);
            return new DeleteResult.Deleted();
        }, ct);

    /// <summary>Issues a new signing secret; the previous one keeps signing beside it for <see cref="WebhookOptions.SecretRotationOverlap"/>.</summary>
    public async Task<RotateResult> RotateAsync(long agencyId, string id, CancellationToken ct)
    {
        var secret = WebhookSecrets.NewSecret();
        return await writes.RunAsync<RotateResult>(scope =>
        {
            var expires = scope.Now + options.Value.SecretRotationOverlap;
            return storage.RotateSecret(scope, agencyId, id, secrets.Protect(secret), expires)
                ? new RotateResult.Rotated(new RotatedSecret(secret, expires))
                : new RotateResult.NotFound();
        }, ct);
    }

    /// <summary>A page of an endpoint's deliveries, oldest first, in one state (any case) or any, after a cursor.</summary>
    public DeliveriesResult Deliveries(long agencyId, string id, string? state, string? after, int? limit)
    {
        var canonical = state is null ? null : DeliveryState.All.FirstOrDefault(s => string.Equals(s, state.Trim(), StringComparison.OrdinalIgnoreCase));
        if ((state is not null && canonical is null) || !Cursor.TryDecode(after, out long afterId) || limit is < 1 or > 1000)
        {
            return new DeliveriesResult.Invalid(new(StringComparer.Ordinal) { ["query"] = ["The state, after or limit parameter is invalid"] });
        }

        if (storage.FindEndpoint(agencyId, id) is null)
        {
            return new DeliveriesResult.NotFound();
        }

        var (deliveries, hasMore) = storage.ListDeliveries(id, canonical, afterId, limit ?? 100);
        return new DeliveriesResult.Listed(new DeliveryList(deliveries, deliveries.Count > 0 ? Cursor.Encode(deliveries[^1].Id) : after, hasMore));
    }

    /// <summary>An endpoint's newest deliveries (at most <paramref name="limit"/>), in one state or any.</summary>
    public List<Delivery> LatestDeliveries(string endpointId, string? state, int limit) => storage.LatestDeliveries(endpointId, state, limit);

    /// <summary>One delivery with every attempt, or null when the agency's endpoint has none by that id.</summary>
    public Delivery? FindDelivery(long agencyId, string id, long deliveryId) => storage.FindDelivery(agencyId, id, deliveryId);

    /// <summary>Sends a failed delivery again, in its stream's order, with a fresh retry schedule.</summary>
    public async Task<RetryResult> RetryAsync(long agencyId, string id, long deliveryId, CancellationToken ct)
    {
        var state = await writes.RunAsync(scope => store.Retry(scope, agencyId, id, deliveryId), ct);
        dispatcher.Wake();
        return state switch
        {
            null => new RetryResult.NotFound(),
            DeliveryState.Failed => new RetryResult.Requeued(),
            _ => new RetryResult.NotFailed(),
        };
    }

    /// <summary>Sends again every delivery of the endpoint that failed and was created at or after <see cref="RecoverRequest.Since"/>.</summary>
    public async Task<RecoveryResult> RecoverAsync(long agencyId, string id, RecoverRequest body, CancellationToken ct)
    {
        if (body.Since is not { } since)
        {
            return new RecoveryResult.Invalid(new(StringComparer.Ordinal) { ["Since"] = ["Since is required"] });
        }

        var result = await writes.RunAsync<RecoveryResult>(
            scope => storage.EndpointExists(scope, agencyId, id) ? new RecoveryResult.Recovered(store.Recover(scope, id, since)) : new RecoveryResult.NotFound(), ct);

        dispatcher.Wake();
        return result;
    }

    private async Task<(IReadOnlyList<string>? SubTypes, Dictionary<string, string[]> Errors)> ValidateAsync(WebhookEndpointRequest body, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (await UrlGuard.CheckAsync(body.Url?.Trim(), options.Value.AllowPrivateNetworks, ct) is { } urlError)
        {
            errors["Url"] = [urlError];
        }

        if (body.Description is { } description)
        {
            if (!MessageValidator.IsAllowedText(description))
            {
                errors["Description"] = ["Description contains some characters which are not allowed"];
            }
            else if (description.Length > MaxDescription)
            {
                errors["Description"] = [$"Description must be at most {MaxDescription} characters long"];
            }
        }

        var sections = (body.SubTypes ?? []).Select(s => Section.Find(s?.Trim())).ToList();
        if (sections.Any(s => s is null))
        {
            errors["SubTypes"] = ["SubTypes is invalid"];
        }

        IReadOnlyList<string>? subTypes = sections.Count == 0 ? null : [.. sections.OfType<Section>().Select(s => s.Name).Distinct()];
        return (subTypes, errors);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <summary>What registering an endpoint came to.</summary>
internal abstract record CreateResult
{
    private CreateResult()
    {
    }

    /// <summary>Registered; <see cref="WebhookEndpoint.Secret"/> is set, this once.</summary>
    public sealed record Created(WebhookEndpoint Endpoint) : CreateResult;

    /// <summary>Refused: the errors by field.</summary>
    public sealed record Invalid(Dictionary<string, string[]> Errors) : CreateResult;
}

/// <summary>What changing an endpoint came to.</summary>
internal abstract record UpdateResult
{
    private UpdateResult()
    {
    }

    public sealed record Updated(WebhookEndpoint Endpoint) : UpdateResult;

    public sealed record Invalid(Dictionary<string, string[]> Errors) : UpdateResult;

    public sealed record NotFound : UpdateResult;
}

/// <summary>What removing an endpoint came to.</summary>
internal abstract record DeleteResult
{
    private DeleteResult()
    {
    }

    public sealed record Deleted : DeleteResult;

    public sealed record NotFound : DeleteResult;
}

/// <summary>What rotating an endpoint's secret came to.</summary>
internal abstract record RotateResult
{
    private RotateResult()
    {
    }

    public sealed record Rotated(RotatedSecret Secret) : RotateResult;

    public sealed record NotFound : RotateResult;
}

/// <summary>What listing an endpoint's deliveries came to.</summary>
internal abstract record DeliveriesResult
{
    private DeliveriesResult()
    {
    }

    public sealed record Listed(DeliveryList Page) : DeliveriesResult;

    /// <summary>The state, cursor or limit asked for is not one there can be.</summary>
    public sealed record Invalid(Dictionary<string, string[]> Errors) : DeliveriesResult;

    public sealed record NotFound : DeliveriesResult;
}

/// <summary>What sending a delivery again came to.</summary>
internal abstract record RetryResult
{
    private RetryResult()
    {
    }

    /// <summary>Queued to be sent again.</summary>
    public sealed record Requeued : RetryResult;

    /// <summary>The delivery has not failed: only a dead letter is sent again by hand.</summary>
    public sealed record NotFailed : RetryResult;

    public sealed record NotFound : RetryResult;
}

/// <summary>What recovering an endpoint's failed deliveries came to.</summary>
internal abstract record RecoveryResult
{
    private RecoveryResult()
    {
    }

    /// <summary>How many failed deliveries were queued again.</summary>
    public sealed record Recovered(int Count) : RecoveryResult;

    public sealed record Invalid(Dictionary<string, string[]> Errors) : RecoveryResult;

    public sealed record NotFound : RecoveryResult;
}
