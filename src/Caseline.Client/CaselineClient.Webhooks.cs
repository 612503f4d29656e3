using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Caseline.Client.Http;
using Caseline.Client.Webhooks;

namespace Caseline.Client;

public sealed partial class CaselineClient
{
    private const string WebhooksPath = "api/v1/transmit/webhooks";

    /// <summary>Registers a webhook endpoint; the answer carries its signing secret, shown only here.</summary>
    public async Task<WebhookEndpoint> CreateWebhookAsync(WebhookEndpointRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = JsonSerializer.SerializeToUtf8Bytes(request, ClientJsonContext.Default.WebhookEndpointRequest);
        using var response = await SendCheckedAsync(() => new HttpRequestMessage(HttpMethod.Post, WebhooksPath) { Content = JsonContent(body) }, Retry.NotIdempotent, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, ClientJsonContext.Default.WebhookEndpoint, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The agency's webhook endpoints.</summary>
    public async Task<IReadOnlyList<WebhookEndpoint>> ListWebhooksAsync(CancellationToken cancellationToken = default)
    {
        using var response = await SendCheckedAsync(() => new HttpRequestMessage(HttpMethod.Get, WebhooksPath), Retry.Idempotent, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, ClientJsonContext.Default.ListWebhookEndpoint, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One endpoint, or null when the agency has none with this id.</summary>
    public async Task<WebhookEndpoint?> GetWebhookAsync(string id, CancellationToken cancellationToken = default)
    {
        using var response = await SendCheckedAsync(() => new HttpRequestMessage(HttpMethod.Get, WebhookPath(id)), Retry.Idempotent, cancellationToken, HttpStatusCode.NotFound).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.NotFound ? null : await ReadAsync(response, ClientJsonContext.Default.WebhookEndpoint, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Changes an endpoint: its address, note, sections, or <see cref="WebhookEndpointRequest.Enabled"/> to pause or resume it.</summary>
    public async Task<WebhookEndpoint> UpdateWebhookAsync(string id, WebhookEndpointRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = JsonSerializer.SerializeToUtf8Bytes(request, ClientJsonContext.Default.WebhookEndpointRequest);
        using var response = await SendCheckedAsync(() => new HttpRequestMessage(HttpMethod.Put, WebhookPath(id)) { Content = JsonContent(body) }, Retry.Idempotent, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, ClientJsonContext.Default.WebhookEndpoint, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes an endpoint and its deliveries; false when there was none.</summary>
    public async Task<bool> DeleteWebhookAsync(string id, CancellationToken cancellationToken = default)
    {
        using var response = await SendCheckedAsync(() => new HttpRequestMessage(HttpMethod.Delete, WebhookPath(id)), Retry.Idempotent, cancellationToken, HttpStatusCode.NotFound).ConfigureAwait(false);
        return response.StatusCode != HttpStatusCode.NotFound;
    }

    /// <summary>Issues a new signing secret (shown once); the old one signs beside it for the overlap the server is set to.</summary>
    public async Task<RotatedSecret> RotateWebhookSecretAsync(string id, CancellationToken cancellationToken = default)
    {
        using var response = await SendCheckedAsync(() => new HttpRequestMessage(HttpMethod.Post, WebhookPath(id) + "/rotate-secret"), Retry.NotIdempotent, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, ClientJsonContext.Default.RotatedSecret, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>An endpoint's deliveries, optionally of one state (<c>Failed</c>, …), newest last, paged as the caller enumerates.</summary>
    public IAsyncEnumerable<Delivery> GetDeliveriesAsync(string id, string? state = null, int pageSize = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var basePath = $"{WebhookPath(id)}/deliveries?limit={pageSize}" + (state is null ? "" : "&state=" + Uri.EscapeDataString(state));
        return PagedAsync(basePath, ClientJsonContext.Default.DeliveryPage, page => (page.Deliveries, page.Cursor, page.HasMore), cancellationToken);
    }

    /// <summary>One delivery with every attempt, or null when the endpoint has no such delivery.</summary>
    public async Task<Delivery?> GetDeliveryAsync(string id, long deliveryId, CancellationToken cancellationToken = default)
    {
        using var response = await SendCheckedAsync(
            () => new HttpRequestMessage(HttpMethod.Get, $"{WebhookPath(id)}/deliveries/{deliveryId}"), Retry.Idempotent, cancellationToken, HttpStatusCode.NotFound).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.NotFound ? null : await ReadAsync(response, ClientJsonContext.Default.Delivery, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a failed delivery again.</summary>
    /// <exception cref="CaselineException">409 when the delivery is not failed; 404 when there is no such delivery.</exception>
    public async Task RetryDeliveryAsync(string id, long deliveryId, CancellationToken cancellationToken = default)
    {
        // Not repeated after a 5xx: a retry that landed would make the repeat answer 409.
        using var response = await SendCheckedAsync(
            () => new HttpRequestMessage(HttpMethod.Post, $"{WebhookPath(id)}/deliveries/{deliveryId}/retry"), Retry.NotIdempotent, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends again every delivery of the endpoint that failed since <paramref name="since"/>; returns how many. Repeating it is harmless.</summary>
    public async Task<int> RecoverDeliveriesAsync(string id, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new RecoverRequest(since), ClientJsonContext.Default.RecoverRequest);
        using var response = await SendCheckedAsync(
            () => new HttpRequestMessage(HttpMethod.Post, WebhookPath(id) + "/recover") { Content = JsonContent(body) }, Retry.Idempotent, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync(ClientJsonContext.Default.RecoverResult, cancellationToken).ConfigureAwait(false))!.Recovered;
    }

    private static string WebhookPath(string id)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        return $"{WebhooksPath}/{Uri.EscapeDataString(id)}";
    }
}
