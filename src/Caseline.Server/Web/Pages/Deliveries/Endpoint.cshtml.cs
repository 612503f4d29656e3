using System.Globalization;
using Caseline.Server.Webhooks;
using Microsoft.AspNetCore.Mvc;

namespace Caseline.Server.Web.Pages.Deliveries;

/// <summary>One endpoint: its health, its deliveries by state, and the API's own operations on it (enable, disable, rotate, recover).</summary>
internal sealed class EndpointModel(DeliveryHealth queries, EndpointOperations endpoints, TimeProvider clock) : WebPage
{
    public EndpointHealth? Health { get; private set; }

    public IReadOnlyList<Delivery> Deliveries { get; private set; } = [];

    /// <summary>Per client with open deliveries shown, the delivery at the head of its stream (the one the others wait for).</summary>
    public IReadOnlyDictionary<string, long> Heads { get; private set; } = new Dictionary<string, long>();

    [BindProperty(SupportsGet = true)]
    public string? State { get; set; }

    public string? SinceText { get; private set; }

    /// <summary>A new signing secret, shown in this one response and nowhere else (never through a redirect or a cookie).</summary>
    public string? Secret { get; private set; }

    public DateTimeOffset? SecretOverlapUntil { get; private set; }

    public string? Error { get; private set; }

    public IActionResult OnGet(string id) => Load(id) ? Page() : NotFound();

    public Task<IActionResult> OnPostEnableAsync(string id, CancellationToken ct) => SwitchAsync(id, true, ct);

    public Task<IActionResult> OnPostDisableAsync(string id, CancellationToken ct) => SwitchAsync(id, false, ct);

    public async Task<IActionResult> OnPostRotateAsync(string id, CancellationToken ct)
    {
        if (await endpoints.RotateAsync(Caller.AgencyId, id, ct) is not RotateResult.Rotated rotated)
        {
            return NotFound();
        }

        (Secret, SecretOverlapUntil) = (rotated.Secret.Secret, rotated.Secret.PreviousSecretExpiresAt);
        return Load(id) ? Page() : NotFound();
    }

    public async Task<IActionResult> OnPostRecoverAsync(string id, string? since, CancellationToken ct)
    {
        if (!DateTime.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant))
        {
            Error = "Enter the date and time to recover from, for example 2024-05-01T13:45";
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Load(id) ? Page() : NotFound();
        }

        if (await endpoints.RecoverAsync(Caller.AgencyId, id, new RecoverRequest(new DateTimeOffset(instant, TimeSpan.Zero)), ct) is not RecoveryResult.Recovered recovered)
        {
            return NotFound();
        }

        Notify($"{recovered.Count} failed {(recovered.Count == 1 ? "delivery is" : "deliveries are")} queued again.");
        return Redirect($"/ui/deliveries/{Uri.EscapeDataString(id)}");
    }

    private async Task<IActionResult> SwitchAsync(string id, bool enabled, CancellationToken ct)
    {
        // The API's own change, with the endpoint's other fields as they are.
        if (endpoints.Find(Caller.AgencyId, id) is not { } endpoint
            || await endpoints.UpdateAsync(Caller.AgencyId, id, new WebhookEndpointRequest(endpoint.Url, endpoint.Description, endpoint.SubTypes, enabled), ct) is not UpdateResult.Updated)
        {
            return NotFound();
        }

        Notify(enabled ? "The endpoint is enabled: its deliveries go out again." : "The endpoint is disabled: its deliveries wait until it is enabled.");
        return Redirect($"/ui/deliveries/{Uri.EscapeDataString(id)}");
    }

    private bool Load(string id)
    {
        Health = queries.Health(Caller.AgencyId, id) is [var health, ..] ? health : null;
        if (Health is null)
        {
            return false;
        }

        var state = DeliveryState.All.FirstOrDefault(s => string.Equals(s, State?.Trim(), StringComparison.OrdinalIgnoreCase));
        State = state;
        Deliveries = endpoints.LatestDeliveries(id, state, 100);
        Heads = queries.StreamHeads(id, Deliveries.Where(d => d.State is DeliveryState.Pending or DeliveryState.Retrying).Select(d => d.ClientId));
        SinceText ??= clock.GetUtcNow().AddDays(-1).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        return true;
    }
}
