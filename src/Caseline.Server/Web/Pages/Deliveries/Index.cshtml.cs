using Caseline.Messages;
using Caseline.Server.Storage;
using Caseline.Server.Web.Pages.Admin;
using Caseline.Server.Webhooks;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Web.Pages.Deliveries;

/// <summary>Every webhook endpoint's health, and a new endpoint through the webhooks API's own operation (its secret shown once).</summary>
internal sealed class DeliveriesModel(
    DeliveryHealth queries, WriteQueue writes, WebhookSecrets secrets, WebhookDispatcher dispatcher, IOptions<WebhookOptions> options) : AdminPage
{
    public IReadOnlyList<EndpointHealth> Endpoints { get; private set; } = [];

    public string? NewUrl { get; private set; }

    public string? NewDescription { get; private set; }

    public IReadOnlySet<string> NewSections { get; private set; } = new HashSet<string>();

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>
    {
        ["Url"] = "Address (URL)",
        ["SubTypes"] = "Sections",
    };

    public void OnGet() => Endpoints = queries.Health(Caller.AgencyId);

    public async Task<IActionResult> OnPostAsync(string? url, string? description, string[]? sections, CancellationToken ct)
    {
        var request = new WebhookEndpointRequest(url, string.IsNullOrWhiteSpace(description) ? null : description.Trim(), sections ?? [], null);
        var result = await WebhooksApi.Create(Caller, request, writes, secrets, dispatcher, options, ct);
        await AuditAsync($"webhook endpoint added: {url?.Trim()}", Outcome(result.Result));
        if (Succeeded(result.Result) && result.Result is Created<WebhookEndpoint> created)
        {
            ShownOnce = ($"Signing secret of {created.Value!.Description ?? created.Value.Url}", created.Value.Secret!);
        }
        else
        {
            (NewUrl, NewDescription, NewSections) = (url, description, (sections ?? []).ToHashSet(StringComparer.Ordinal));
        }

        OnGet();
        return Page();
    }

    /// <summary>The sections an endpoint may take, by their message names.</summary>
    public static IEnumerable<Section> Sections => Section.All;
}
