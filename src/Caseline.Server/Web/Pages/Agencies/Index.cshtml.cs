using Caseline.Server.Identity;
using Caseline.Server.Storage;
using Caseline.Server.Web.Pages.Admin;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Caseline.Server.Web.Pages.Agencies;

/// <summary>
/// The platform administrator's page: every agency, a new one with its first administrator, and another administrator
/// for an agency there is (each with a one-time password shown once, to be replaced at the first sign-in).
/// </summary>
internal sealed class AgenciesModel(Database database, WriteQueue writes, IdentityStore identity) : AdminPage
{
    public IReadOnlyList<AgencyView> Agencies { get; private set; } = [];

    public string? NewName { get; private set; }

    public string? NewAdmin { get; private set; }

    public long? AdminAgency { get; private set; }

    public string? AdminLogin { get; private set; }

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string>
    {
        ["AdminEmail"] = "Its first administrator's email address",
        ["Login"] = "The administrator's email address",
    };

    public void OnGet() => Agencies = AdminApi.ListAgencies(database).Value!;

    public async Task<IActionResult> OnPostAsync(string? name, string? adminEmail, CancellationToken ct)
    {
        var result = await AdminApi.CreateAgency(new AgencyRequest(name, adminEmail, null), writes, identity, ct);
        if (Succeeded(result.Result) && result.Result is Created<AgencyView> created)
        {
            await MustReplaceAsync(created.Value!.AdminEmail!, ct);
            await AuditAsync(created.Value.Id, $"agency created with its administrator {created.Value.AdminEmail}", StatusCodes.Status201Created);
            ShownOnce = ($"One-time password for {created.Value.AdminEmail}", created.Value.AdminPassword!);
        }
        else
        {
            (NewName, NewAdmin) = (name, adminEmail);
        }

        OnGet();
        return Page();
    }

    public async Task<IActionResult> OnPostAdministratorAsync(long agency, string? login, CancellationToken ct)
    {
        var result = await AdminApi.AddAgencyAdministrator(agency, new UserRequest(login, null, null, null), writes, identity, ct);
        if (Succeeded(result.Result) && result.Result is Created<UserView> created)
        {
            await MustReplaceAsync(created.Value!.Login, ct);
            await AuditAsync(agency, $"user invited: {created.Value.Login} as {Roles.AgencyAdministrator}", StatusCodes.Status201Created);
            ShownOnce = ($"One-time password for {created.Value.Login}", created.Value.Password!);
        }
        else
        {
            (AdminAgency, AdminLogin) = (agency, login);
        }

        OnGet();
        return Page();
    }

    // Someone else knows a one-time password: its user replaces it at the first sign-in.
    private async Task MustReplaceAsync(string login, CancellationToken ct)
    {
        if (identity.FindUser(login) is { } user)
        {
            await identity.RequirePasswordChangeAsync(user.Id, ct);
        }
    }
}
