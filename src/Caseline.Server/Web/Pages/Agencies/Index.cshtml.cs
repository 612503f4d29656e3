using Caseline.Server.Identity;
using Caseline.Server.Storage;
using Caseline.Server.Web.Pages.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Caseline.Server.Web.Pages.Agencies;

/// <summary>The platform administrator's page: every agency, and a new one with its first administrator (a one-time password shown once).</summary>
internal sealed class AgenciesModel(Database database, WriteQueue writes, IdentityStore identity) : AdminPage
{
    public IReadOnlyList<AgencyView> Agencies { get; private set; } = [];

    public string? NewName { get; private set; }

    public string? NewAdmin { get; private set; }

    public void OnGet() => Agencies = AdminApi.ListAgencies(database).Value!;

    public async Task<IActionResult> OnPostAsync(string? name, string? adminEmail, CancellationToken ct)
    {
        var result = await AdminApi.CreateAgency(new AgencyRequest(name, adminEmail, null), writes, identity, ct);
        if (Succeeded(result.Result) && result.Result is Created<AgencyView> created)
        {
            ShownOnce = ($"One-time password for {created.Value!.AdminEmail}", created.Value.AdminPassword!);
        }
        else
        {
            (NewName, NewAdmin) = (name, adminEmail);
        }

        OnGet();
        return Page();
    }
}
