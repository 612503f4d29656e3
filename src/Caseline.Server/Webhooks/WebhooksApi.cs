using Caseline.Messages;
using Caseline.Messages.Validation;
using Caseline.Server.Http;
using Caseline.Server.Identity;
using Caseline.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Webhooks;

/// <summary>An agency's webhook endpoints, their secrets and their deliveries.</summary>
internal static class WebhooksApi
{
    private const int MaxDescription = 500;

    public static RouteGroupBuilder MapWebhooks(this RouteGroupBuilder api)
    {
        var hooks = api.MapGroup("/transmit/webhooks").WithTags("Webhooks");
        hooks.MapPost("/", Create).WithSummary("Register an endpoint").WithDescription("Answers with the endpoint and its signing secret, shown only here and on rotation.");
        hooks.MapGet("/", List).WithSummary("The agency's endpoints");
        hooks.MapGet("/{id}", Get).WithSummary("One endpoint");
        hooks.MapPut("/{id}", Update).WithSummary("Change an endpoint").WithDescription("Enabled: false pauses it; true resumes it and clears why it was disabled.");
        hooks.MapDelete("/{id}", Delete).WithSummary("Remove an endpoint and its deliveries");
        hooks.MapPost("/{id}/rotate-secret", Rotate).WithSummary("Issue a new signing secret").WithDescription("Both secrets sign every delivery until the previous one expires.");
        hooks.MapGet("/{id}/deliveries", Deliveries).WithSummary("An endpoint's deliveries, by state").WithDescription("state: Pending, InFlight, Retrying, Delivered or Failed.");
        hooks.MapGet("/{id}/deliveries/{deliveryId:long}", Delivery).WithSummary("One delivery with every attempt");
        hooks.MapPost("/{id}/deliveries/{deliveryId:long}/retry", Retry).WithSummary("Send a failed delivery again");
        hooks.MapPost("/{id}/recover", Recover).WithSummary("Send again every delivery that failed since a time");
        return api;
    }

    internal static async Task<Results<Created<WebhookEndpoint>, ValidationProblem>> Create(
        Caller caller, WebhookEndpointRequest body, WriteQueue writes, WebhookSecrets secrets, WebhookDispatcher dispatcher,
        IOptions<WebhookOptions> options, CancellationToken ct)
    {
        var (subTypes, errors) = await ValidateAsync(body, options.Value, ct);
        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        var id = Guid.CreateVersion7().ToString("D");
        var secret = WebhookSecrets.NewSecret();
        var endpoint = await writes.RunAsync(scope =>
        {
            // New endpoints receive what is written from now on.
            scope.Execute(
                """
                INSERT INTO webhook_endpoints (id, agency_id, url, description, sub_types, enabled, secret, created_at, updated_at, enqueued_through)
                SELECT @id, id, @url, @description, @subTypes, 1, @secret, @now, @now, last_position FROM agencies WHERE id = @agency
                """, ("@id", id), ("@agency", caller.AgencyId), ("@url", body.Url!.Trim()), ("@description", Blank(body.Description)),
                ("@subTypes", WebhookStore.SubTypesJson(subTypes)), ("@secret", secrets.Protect(secret)), ("@now", scope.Now.UtcTicks));
            return WebhookStore.Find(scope.Connection, scope.Transaction, caller.AgencyId, id)!;
        }, ct);

        dispatcher.Wake();
        return TypedResults.Created($"/api/v1/transmit/webhooks/{id}", endpoint with { Secret = secret });
    }

    private static Ok<List<WebhookEndpoint>> List(Caller caller, Database database)
    {
        using var connection = database.OpenReader();
        return TypedResults.Ok(WebhookStore.List(connection, caller.AgencyId));
    }

    private static Results<Ok<WebhookEndpoint>, ProblemHttpResult> Get(Caller caller, string id, Database database)
    {
        using var connection = database.OpenReader();
        return WebhookStore.Find(connection, null, caller.AgencyId, id) is { } endpoint
            ? TypedResults.Ok(endpoint)
            : NotFound();
    }

    internal static async Task<Results<Ok<WebhookEndpoint>, ValidationProblem, ProblemHttpResult>> Update(
        Caller caller, string id, WebhookEndpointRequest body, WriteQueue writes, WebhookDispatcher dispatcher, IOptions<WebhookOptions> options, CancellationToken ct)
    {
        var (subTypes, errors) = await ValidateAsync(body, options.Value, ct);
        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        var endpoint = await writes.RunAsync(scope =>
        {
            var changed = scope.Execute(
                """
                UPDATE webhook_endpoints SET url = @url, description = @description, sub_types = @subTypes, updated_at = @now,
                    enabled = COALESCE(@enabled, enabled),
                    disabled_reason = CASE WHEN @enabled = 1 THEN NULL WHEN @enabled = 0 THEN 'Disabled by an administrator' ELSE disabled_reason END,
                    failing_since = CASE WHEN @enabled = 1 THEN NULL ELSE failing_since END
                WHERE agency_id = @agency AND id = @id
                """, ("@id", id), ("@agency", caller.AgencyId), ("@url", body.Url!.Trim()), ("@description", Blank(body.Description)),
                ("@subTypes", WebhookStore.SubTypesJson(subTypes)), ("@enabled", body.Enabled is { } on ? (on ? 1 : 0) : null), ("@now", scope.Now.UtcTicks));
            return changed == 0 ? null : WebhookStore.Find(scope.Connection, scope.Transaction, caller.AgencyId, id);
        }, ct);

        dispatcher.Wake();
        return endpoint is null ? NotFound() : TypedResults.Ok(endpoint);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(Caller caller, string id, WriteQueue writes, CancellationToken ct)
    {
        var deleted = await writes.RunAsync(scope =>
        {
            if (scope.Scalar<long>("SELECT COUNT(*) FROM webhook_endpoints WHERE agency_id = @agency AND id = @id", ("@agency", caller.AgencyId), ("@id", id)) == 0)
            {
                return false;
            }

            scope.Execute(
                "DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE endpoint_id = @id)", ("@id", id));
            scope.Execute("DELETE FROM deliveries WHERE endpoint_id = @id", ("@id", id));
            scope.Execute("DELETE FROM webhook_endpoints WHERE agency_id = @agency AND id = @id", ("@agency", caller.AgencyId), ("@id", id));
            return true;
        }, ct);
        return deleted ? TypedResults.NoContent() : NotFound();
    }

    internal static async Task<Results<Ok<RotatedSecret>, ProblemHttpResult>> Rotate(
        Caller caller, string id, WriteQueue writes, WebhookSecrets secrets, IOptions<WebhookOptions> options, CancellationToken ct)
    {
        var secret = WebhookSecrets.NewSecret();
        var until = await writes.RunAsync(scope =>
        {
            var expires = scope.Now + options.Value.SecretRotationOverlap;
            var changed = scope.Execute(
                """
                UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = @until, secret = @secret, updated_at = @now
                WHERE agency_id = @agency AND id = @id
                """, ("@id", id), ("@agency", caller.AgencyId), ("@secret", secrets.Protect(secret)), ("@until", expires.UtcTicks), ("@now", scope.Now.UtcTicks));
            return changed == 0 ? (DateTimeOffset?)null : expires;
        }, ct);
        return until is { } expiresAt ? TypedResults.Ok(new RotatedSecret(secret, expiresAt)) : NotFound();
    }

    private static Results<Ok<DeliveryList>, ValidationProblem, ProblemHttpResult> Deliveries(
        Caller caller, string id, string? state, string? after, int? limit, Database database)
    {
        var canonical = state is null ? null : DeliveryState.All.FirstOrDefault(s => string.Equals(s, state.Trim(), StringComparison.OrdinalIgnoreCase));
        if ((state is not null && canonical is null) || !Cursor.TryDecode(after, out long afterId) || limit is < 1 or > 1000)
        {
            return Problems.Invalid("query", "The state, after or limit parameter is invalid");
        }

        using var connection = database.OpenReader();
        if (WebhookStore.Find(connection, null, caller.AgencyId, id) is null)
        {
            return NotFound();
        }

        var (deliveries, hasMore) = WebhookStore.ListDeliveries(connection, id, canonical, afterId, limit ?? 100);
        return TypedResults.Ok(new DeliveryList(deliveries, deliveries.Count > 0 ? Cursor.Encode(deliveries[^1].Id) : after, hasMore));
    }

    private static Results<Ok<Delivery>, ProblemHttpResult> Delivery(Caller caller, string id, long deliveryId, Database database)
    {
        using var connection = database.OpenReader();
        return WebhookStore.FindDelivery(connection, caller.AgencyId, id, deliveryId) is { } delivery
            ? TypedResults.Ok(delivery)
            : Problems.NotFound("Delivery not found.");
    }

    internal static async Task<Results<Accepted, ProblemHttpResult>> Retry(
        Caller caller, string id, long deliveryId, WriteQueue writes, WebhookDispatcher dispatcher, CancellationToken ct)
    {
        var state = await writes.RunAsync(scope =>
        {
            var current = scope.Scalar<string>(
                "SELECT d.state FROM deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = @delivery AND e.id = @id AND e.agency_id = @agency",
                ("@delivery", deliveryId), ("@id", id), ("@agency", caller.AgencyId));
            if (current == DeliveryState.Failed)
            {
                Requeue(scope, id, "id = @delivery", ("@delivery", deliveryId));
            }

            return current;
        }, ct);

        dispatcher.Wake();
        return state switch
        {
            null => Problems.NotFound("Delivery not found."),
            DeliveryState.Failed => TypedResults.Accepted($"/api/v1/transmit/webhooks/{id}/deliveries/{deliveryId}"),
            _ => Problems.Conflict("Only a failed delivery can be retried."),
        };
    }

    internal static async Task<Results<Ok<RecoverResult>, ValidationProblem, ProblemHttpResult>> Recover(
        Caller caller, string id, RecoverRequest body, WriteQueue writes, WebhookDispatcher dispatcher, CancellationToken ct)
    {
        if (body.Since is not { } since)
        {
            return Problems.Invalid("Since", "Since is required");
        }

        var recovered = await writes.RunAsync(scope =>
            scope.Scalar<long>("SELECT COUNT(*) FROM webhook_endpoints WHERE agency_id = @agency AND id = @id", ("@agency", caller.AgencyId), ("@id", id)) == 0
                ? (int?)null
                : Requeue(scope, id, "endpoint_id = @endpoint AND state = 'Failed' AND created_at >= @since", ("@endpoint", id), ("@since", since.UtcTicks)), ct);

        dispatcher.Wake();
        return recovered is { } count ? TypedResults.Ok(new RecoverResult(count)) : NotFound();
    }

    /// <summary>Puts failed deliveries of an endpoint back in their streams with a fresh retry schedule (their attempt log is kept).</summary>
    private static int Requeue(WriteScope scope, string endpointId, string where, params (string, object?)[] parameters)
    {
        // Every head of the endpoint is set afresh: no other process may move one meanwhile.
        scope.Database.LockEndpoint(scope, endpointId);
        var requeued = scope.Execute(
            $"UPDATE deliveries SET state = 'Pending', next_attempt_at = @now, attempt_base = attempts, finished_at = NULL WHERE state = 'Failed' AND {where}",
            [("@now", scope.Now.UtcTicks), .. parameters]);
        WebhookDispatcher.RecomputeHeads(scope, endpointId);
        return requeued;
    }

    private static async Task<(IReadOnlyList<string>? SubTypes, Dictionary<string, string[]> Errors)> ValidateAsync(
        WebhookEndpointRequest body, WebhookOptions options, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (await UrlGuard.CheckAsync(body.Url?.Trim(), options.AllowPrivateNetworks, ct) is { } urlError)
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

    private static ProblemHttpResult NotFound() => Problems.NotFound("Webhook endpoint not found.");

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
