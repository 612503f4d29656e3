using Caseline.Server.Webhooks;
using Microsoft.AspNetCore.Mvc;

namespace Caseline.Server.Web.Pages.Deliveries;

/// <summary>One delivery with every attempt; a failed one can be sent again, as the API's retry does.</summary>
internal sealed class DeliveryModel(EndpointOperations endpoints, DeliveryHealth queries) : WebPage
{
    public Delivery? Delivery { get; private set; }

    public string EndpointId { get; private set; } = "";

    /// <summary>The earlier delivery of the same client this one waits for, if any.</summary>
    public long? WaitsFor { get; private set; }

    public IActionResult OnGet(string id, long deliveryId) => Load(id, deliveryId) ? Page() : NotFound();

    public async Task<IActionResult> OnPostRetryAsync(string id, long deliveryId, CancellationToken ct)
    {
        switch (await endpoints.RetryAsync(Caller.AgencyId, id, deliveryId, ct))
        {
            case RetryResult.NotFound:
                return NotFound();
            case RetryResult.Requeued:
                Notify($"Delivery {deliveryId} is queued to be sent again.");
                break;
            default:
                Notify("Only a failed delivery can be sent again.");
                break;
        }

        return Redirect($"/ui/deliveries/{Uri.EscapeDataString(id)}/{deliveryId}");
    }

    private bool Load(string id, long deliveryId)
    {
        Delivery = endpoints.FindDelivery(Caller.AgencyId, id, deliveryId);
        EndpointId = id;
        if (Delivery is { State: DeliveryState.Pending or DeliveryState.Retrying } open
            && queries.StreamHeads(id, [open.ClientId]).TryGetValue(open.ClientId, out var head) && head != open.Id)
        {
            WaitsFor = head;
        }

        return Delivery is not null;
    }
}
