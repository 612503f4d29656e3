using System.Diagnostics;
using Caseline.Server.Http;
using Caseline.Server.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Caseline.Server.Webhooks;

/// <summary>An agency's webhook endpoints, their secrets and their deliveries: <see cref="EndpointOperations"/>' results as HTTP answers.</summary>
internal static class WebhooksApi
{
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

    private static async Task<Results<Created<WebhookEndpoint>, ValidationProblem>> Create(
        Caller caller, WebhookEndpointRequest body, EndpointOperations endpoints, CancellationToken ct) =>
        await endpoints.CreateAsync(caller.AgencyId, body, ct) switch
        {
            CreateResult.Created created => TypedResults.Created($"/api/v1/transmit/webhooks/{created.Endpoint.Id}", created.Endpoint),
            CreateResult.Invalid invalid => Problems.Invalid(invalid.Errors),
            _ => throw new UnreachableException(),
        };

    private static Ok<List<WebhookEndpoint>> List(Caller caller, EndpointOperations endpoints) => TypedResults.Ok(endpoints.List(caller.AgencyId));

    private static Results<Ok<WebhookEndpoint>, ProblemHttpResult> Get(Caller caller, string id, EndpointOperations endpoints) =>
        endpoints.Find(caller.AgencyId, id) is { } endpoint ? TypedResults.Ok(endpoint) : NotFound();

    private static async Task<Results<Ok<WebhookEndpoint>, ValidationProblem, ProblemHttpResult>> Update(
        Caller caller, string id, WebhookEndpointRequest body, EndpointOperations endpoints, CancellationToken ct) =>
        await endpoints.UpdateAsync(caller.AgencyId, id, body, ct) switch
        {
            UpdateResult.Updated updated => TypedResults.Ok(updated.Endpoint),
            UpdateResult.Invalid invalid => Problems.Invalid(invalid.Errors),
            UpdateResult.NotFound => NotFound(),
            _ => throw new UnreachableException(),
        };

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(Caller caller, string id, EndpointOperations endpoints, CancellationToken ct) =>
        await endpoints.DeleteAsync(caller.AgencyId, id, ct) is DeleteResult.Deleted ? TypedResults.NoContent() : NotFound();

    private static async Task<Results<Ok<RotatedSecret>, ProblemHttpResult>> Rotate(Caller caller, string id, EndpointOperations endpoints, CancellationToken ct) =>
        await endpoints.RotateAsync(caller.AgencyId, id, ct) is RotateResult.Rotated rotated ? TypedResults.Ok(rotated.Secret) : NotFound();

    private static Results<Ok<DeliveryList>, ValidationProblem, ProblemHttpResult> Deliveries(
        Caller caller, string id, string? state, string? after, int? limit, EndpointOperations endpoints) =>
        endpoints.Deliveries(caller.AgencyId, id, state, after, limit) switch
        {
            DeliveriesResult.Listed listed => TypedResults.Ok(listed.Page),
            DeliveriesResult.Invalid invalid => Problems.Invalid(invalid.Errors),
            DeliveriesResult.NotFound => NotFound(),
            _ => throw new UnreachableException(),
        };

    private static Results<Ok<Delivery>, ProblemHttpResult> Delivery(Caller caller, string id, long deliveryId, EndpointOperations endpoints) =>
        endpoints.FindDelivery(caller.AgencyId, id, deliveryId) is { } delivery ? TypedResults.Ok(delivery) : DeliveryNotFound();

    private static async Task<Results<Accepted, ProblemHttpResult>> Retry(Caller caller, string id, long deliveryId, EndpointOperations endpoints, CancellationToken ct) =>
        await endpoints.RetryAsync(caller.AgencyId, id, deliveryId, ct) switch
        {
            RetryResult.Requeued => TypedResults.Accepted($"/api/v1/transmit/webhooks/{id}/deliveries/{deliveryId}"),
            RetryResult.NotFailed => Problems.Conflict("Only a failed delivery can be retried."),
            RetryResult.NotFound => DeliveryNotFound(),
            _ => throw new UnreachableException(),
        };

    private static async Task<Results<Ok<RecoverResult>, ValidationProblem, ProblemHttpResult>> Recover(
        Caller caller, string id, RecoverRequest body, EndpointOperations endpoints, CancellationToken ct) =>
        await endpoints.RecoverAsync(caller.AgencyId, id, body, ct) switch
        {
            RecoveryResult.Recovered recovered => TypedResults.Ok(new RecoverResult(recovered.Count)),
            RecoveryResult.Invalid invalid => Problems.Invalid(invalid.Errors),
            RecoveryResult.NotFound => NotFound(),
            _ => throw new UnreachableException(),
        };

    private static ProblemHttpResult NotFound() => Problems.NotFound("Webhook endpoint not found.");

    private static ProblemHttpResult DeliveryNotFound() => Problems.NotFound("Delivery not found.");
}
