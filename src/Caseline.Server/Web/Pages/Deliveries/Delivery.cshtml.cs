using Caseline.Server.Storage;
using Caseline.Server.Webhooks;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Caseline.Server.Web.Pages.Deliveries;

/// <summary>One delivery with every attempt; a failed one can be sent again, as the API's retry does.</summary>
internal sealed class DeliveryModel(Database database, WriteQueue writes, WebhookDispatcher dispatcher) : WebPage
{
    public Delivery? Delivery { get; private set; }

    public string EndpointId { get; private set; } = "";

    public IActionResult OnGet(string id, long deliveryId) => Load(id, deliveryId) ? Page() : NotFound();

    public async Task<IActionResult> OnPostRetryAsync(string id, long deliveryId, CancellationToken ct)
    {
        var result = await WebhooksApi.Retry(Caller, id, deliveryId, writes, dispatcher, ct);
        if (result.Result is ProblemHttpResult { StatusCode: StatusCodes.Status404NotFound })
        {
            return NotFound();
        }

        Notify(result.Result is Accepted ? $"Delivery {deliveryId} is queued to be sent again." : "Only a failed delivery can be sent again.");
        return Redirect($"/ui/deliveries/{Uri.EscapeDataString(id)}/{deliveryId}");
    }

    private bool Load(string id, long deliveryId)
    {
        using var connection = database.OpenReader();
        Delivery = WebhookStore.FindDelivery(connection, Caller.AgencyId, id, deliveryId);
        EndpointId = id;
        return Delivery is not null;
    }
}
