using Caseline.Server.Identity;
using Caseline.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Caseline.Server.Web.Pages.Admin;

/// <summary>The agency's API clients: create and rotate (the secret shown once), disable and enable.</summary>
internal sealed class ApiClientsModel(Database database, WriteQueue writes, IdentityStore identity, Sessions sessions) : AdminPage
{
    public IReadOnlyList<ClientView> Clients { get; private set; } = [];

    public string? NewName { get; private set; }

    public string? NewClientId { get; private set; }

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string> { ["ClientId"] = "Client id" };

    public void OnGet() => Load();

    public async Task<IActionResult> OnPostCreateAsync(string? name, string? clientId, CancellationToken ct)
    {
        var result = await AdminApi.CreateClient(new ClientRequest(name, string.IsNullOrWhiteSpace(clientId) ? null : clientId, null), Caller, writes, identity, ct);
        await AuditAsync($"API client created: {(result.Result is Created<ClientView> made ? made.Value!.ClientId : clientId?.Trim())}", Outcome(result.Result));
        if (Succeeded(result.Result) && result.Result is Created<ClientView> created)
        {
            ShownOnce = ($"Client secret of {created.Value!.ClientId}", created.Value.Secret!);
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
        var result = await AdminApi.RotateClientSecret(clientId, Caller, writes, identity, sessions, ct);
        await AuditAsync($"API client secret rotated: {clientId}", Outcome(result.Result));
        if (Succeeded(result.Result) && result.Result is Ok<ClientView> rotated)
        {
            ShownOnce = ($"New client secret of {clientId} (the old one has stopped working)", rotated.Value!.Secret!);
        }

        Load();
        return Page();
    }

    public Task<IActionResult> OnPostDisableAsync(string clientId, CancellationToken ct) => SwitchAsync(clientId, true, ct);

    public Task<IActionResult> OnPostEnableAsync(string clientId, CancellationToken ct) => SwitchAsync(clientId, false, ct);

    private async Task<IActionResult> SwitchAsync(string clientId, bool disabled, CancellationToken ct)
    {
        var result = (await AdminApi.UpdateClient(clientId, new ClientRequest(null, null, disabled), Caller, writes, sessions, ct)).Result;
        await AuditAsync($"API client {(disabled ? "disabled" : "enabled")}: {clientId}", Outcome(result));
        if (Succeeded(result))
        {
            Notify(disabled ? $"{clientId} is disabled: its tokens have stopped working and it gets no more." : $"{clientId} is enabled.");
            return RedirectToPage();
        }

        Load();
        return Page();
    }

    private void Load() => Clients = AdminApi.ListClients(Caller, database).Value!;
}
