using Caseline.Server.Identity;
using Microsoft.AspNetCore.Mvc;
using static Caseline.Server.Identity.AdminResult;

namespace Caseline.Server.Web.Pages.Admin;

/// <summary>The agency's API clients: create and rotate (the secret shown once), disable and enable.</summary>
internal sealed class ApiClientsModel(AdminOperations admin) : AdminPage
{
    public IReadOnlyList<ClientView> Clients { get; private set; } = [];

    public string? NewName { get; private set; }

    public string? NewClientId { get; private set; }

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string> { ["ClientId"] = "Client id" };

    public void OnGet() => Load();

    public async Task<IActionResult> OnPostCreateAsync(string? name, string? clientId, CancellationToken ct)
    {
        var result = await admin.CreateClientAsync(Caller, new ClientRequest(name, string.IsNullOrWhiteSpace(clientId) ? null : clientId, null), ct);
        await AuditAsync($"API client created: {(result is ClientCreated made ? made.Client.ClientId : clientId?.Trim())}", Outcome(result));
        if (Succeeded(result) && result is ClientCreated created)
        {
            ShownOnce = ($"Client secret of {created.Client.ClientId}", created.Client.Secret!);
        }
        else
        {
            (NewName, NewClientId) = (name, clientId);
        }

        Load();
        return Page();
    }

    public async Task<IActionResult> OnPostRotateAsync(string clientId, CancellationToken ct)
    {
        var result = await admin.RotateClientSecretAsync(Caller, clientId, ct);
        await AuditAsync($"API client secret rotated: {clientId}", Outcome(result));
        if (Succeeded(result) && result is ClientChanged rotated)
        {
            ShownOnce = ($"New client secret of {clientId} (the old one has stopped working)", rotated.Client.Secret!);
        }

        Load();
        return Page();
    }

    public Task<IActionResult> OnPostDisableAsync(string clientId, CancellationToken ct) => SwitchAsync(clientId, true, ct);

    public Task<IActionResult> OnPostEnableAsync(string clientId, CancellationToken ct) => SwitchAsync(clientId, false, ct);

    private async Task<IActionResult> SwitchAsync(string clientId, bool disabled, CancellationToken ct)
    {
        var result = await admin.UpdateClientAsync(Caller, clientId, new ClientRequest(null, null, disabled), ct);
        await AuditAsync($"API client {(disabled ? "disabled" : "enabled")}: {clientId}", Outcome(result));
        if (Succeeded(result))
        {
            Notify(disabled ? $"{clientId} is disabled: its tokens have stopped working and it gets no more." : $"{clientId} is enabled.");
            return RedirectToPage();
        }

        Load();
        return Page();
    }

    private void Load() => Clients = admin.Clients(Caller.AgencyId);
}
