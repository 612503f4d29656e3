using Caseline.Server.Identity;
using Caseline.Server.Web.Pages.Admin;
using Microsoft.AspNetCore.Mvc;
using static Caseline.Server.Identity.AdminResult;

namespace Caseline.Server.Web.Pages.Agencies;

/// <summary>
/// The platform administrator's page: every agency, a new one with its first administrator, and another administrator
/// for an agency there is (each with a one-time password shown once, to be replaced at the first sign-in).
/// </summary>
internal sealed class AgenciesModel(AdminOperations admin) : AdminPage
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

    public void OnGet() => Agencies = admin.Agencies();

    public async Task<IActionResult> OnPostAsync(string? name, string? adminEmail, CancellationToken ct)
    {
        // Someone else knows a one-time password: its user replaces it at the first sign-in.
        var result = await admin.CreateAgencyAsync(new AgencyRequest(name, adminEmail, null), oneTimePassword: true, ct);
        if (Succeeded(result) && result is AgencyCreated created)
        {
            await AuditAsync(created.Agency.Id, $"agency created with its administrator {created.Agency.AdminEmail}", StatusCodes.Status201Created);
            ShownOnce = ($"One-time password for {created.Agency.AdminEmail}", created.Agency.AdminPassword!);
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
        var result = await admin.AddAdministratorAsync(agency, new UserRequest(login, null, null, null), oneTimePassword: true, ct);
        if (Succeeded(result) && result is UserCreated created)
        {
            await AuditAsync(agency, AdminOperations.Invited(created.User.Login, created.User.Role), StatusCodes.Status201Created);
            ShownOnce = ($"One-time password for {created.User.Login}", created.User.Password!);
        }
        else
        {
            (AdminAgency, AdminLogin) = (agency, login);
        }

        OnGet();
        return Page();
    }
}
