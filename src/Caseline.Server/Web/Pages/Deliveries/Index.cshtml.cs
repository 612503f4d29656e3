using Caseline.Messages;
using Caseline.Server.Web.Pages.Admin;
using Caseline.Server.Webhooks;
using Microsoft.AspNetCore.Mvc;

namespace Caseline.Server.Web.Pages.Deliveries;

/// <summary>Every webhook endpoint's health, and a new endpoint through the webhooks API's own operation (its secret shown once).</summary>
internal sealed class DeliveriesModel(DeliveryHealth queries, EndpointOperations endpoints) : AdminPage
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
        switch (await endpoints.CreateAsync(Caller.AgencyId, request, ct))
        {
            case CreateResult.Created { Endpoint: var created }:
                await AuditAsync($"webhook endpoint added: {url?.Trim()}", StatusCodes.Status201Created);
                ShownOnce = ($"Signing secret of {created.Description ?? created.Url}", created.Secret!);
                break;
            case CreateResult.Invalid invalid:
                await AuditAsync($"webhook endpoint added: {url?.Trim()}", StatusCodes.Status400BadRequest);
                ShowInvalid(invalid.Errors);
                (NewUrl, NewDescription, NewSections) = (url, description, (sections ?? []).ToHashSet(StringComparer.Ordinal));
                break;
        }

        OnGet();
        return Page();
    }

    /// <summary>The sections an endpoint may take, by their message names.</summary>
    public static IEnumerable<Section> Sections => Section.All;
}
