using Caseline.Server.Identity;
using Caseline.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Caseline.Server.Web.Pages.Admin;

/// <summary>The agency's users: invite (with a one-time password shown once), change a role, disable and enable, mark service accounts, unlock.</summary>
internal sealed class UsersModel(Database database, WriteQueue writes, IdentityStore identity) : AdminPage
{
    public static readonly string[] Roles = [Identity.Roles.Officer, Identity.Roles.AgencyAdministrator];

    public IReadOnlyList<UserView> Users { get; private set; } = [];

    public string? InviteLogin { get; private set; }

    /// <summary>The users who have a second factor.</summary>
    public IReadOnlySet<string> WithSecondFactor { get; private set; } = new HashSet<string>();

    public bool RequiresMfa { get; private set; }

    public static string RoleName(string role) => role == Identity.Roles.AgencyAdministrator ? "Administrator" : role;

    protected override IReadOnlyDictionary<string, string> Labels { get; } = new Dictionary<string, string> { ["Login"] = "Email address" };

    public void OnGet() => Load();

    public async Task<IActionResult> OnPostInviteAsync(string? login, string? role, CancellationToken ct)
    {
        var result = await AdminApi.CreateUser(new UserRequest(login, role, null, null), Caller, writes, identity, ct);
        await AuditAsync($"user invited: {login?.Trim()} as {role}", Outcome(result.Result));
        if (Succeeded(result.Result) && result.Result is Created<UserView> created)
        {
            // Someone else knows a one-time password: the user replaces it at the first sign-in.
            await identity.RequirePasswordChangeAsync(created.Value!.Id, ct);
            ShownOnce = ($"One-time password for {created.Value.Login}", created.Value.Password!);
        }
        else
        {
            InviteLogin = login;
        }

        Load();
        return Page();
    }

    public Task<IActionResult> OnPostRoleAsync(string id, string? role, CancellationToken ct) => UpdateAsync(id, new UserRequest(null, role, null, null), "Role changed.", $"role changed to {role}", ct);

    public Task<IActionResult> OnPostDisableAsync(string id, CancellationToken ct) => UpdateAsync(id, new UserRequest(null, null, null, true), "User disabled: their sessions end now.", "user disabled", ct);

    public Task<IActionResult> OnPostEnableAsync(string id, CancellationToken ct) => UpdateAsync(id, new UserRequest(null, null, null, false), "User enabled.", "user enabled", ct);

    public Task<IActionResult> OnPostServiceAccountAsync(string id, bool service, CancellationToken ct) => UpdateAsync(
        id,
        new UserRequest(null, null, null, null, service),
        service ? "Marked as a service account: it logs on to the API by password alone, never to the web UI." : "No longer a service account.",
        service ? "marked a service account" : "no longer a service account",
        ct);

    public async Task<IActionResult> OnPostUnlockAsync(string id, CancellationToken ct)
    {
        if (!Succeeded((await AdminApi.UnlockUser(id, Caller, identity, ct)).Result))
        {
            return NotFound();
        }

        await AuditAsync("user unlocked: " + identity.FindUserById(id)?.Login);
        Notify("Unlocked: the user can sign in again.");
        return RedirectToPage();
    }

    /// <summary>A new one-time password for another user of the agency, shown once; the user must replace it at the next sign-in.</summary>
    public async Task<IActionResult> OnPostResetPasswordAsync(string id, CancellationToken ct)
    {
        if (identity.FindUserById(id) is not { } user || user.AgencyId != Caller.AgencyId)
        {
            return NotFound();
        }

        if (string.Equals(user.Login, Caller.Login, StringComparison.OrdinalIgnoreCase))
        {
            Errors[""] = ["Change your own password on the Password page, with your current one."];
        }
        else
        {
            var password = PasswordHashing.NewSecret();
            await identity.SetPasswordAsync(user.Id, identity.Hash(password), mustChange: true, ct);
            await AuditAsync($"password reset: {user.Login}");
            ShownOnce = ($"One-time password for {user.Login} (the old one has stopped working)", password);
        }

        Load();
        return Page();
    }

    private async Task<IActionResult> UpdateAsync(string id, UserRequest change, string done, string action, CancellationToken ct)
    {
        if (identity.FindUserById(id) is { } user && string.Equals(user.Login, Caller.Login, StringComparison.OrdinalIgnoreCase))
        {
            Errors[""] = ["You cannot change your own role or disable yourself."];
        }
        else
        {
            var result = (await AdminApi.UpdateUser(id, change, Caller, writes, identity, database, ct)).Result;
            if (result is Ok<UserView> updated)
            {
                await AuditAsync($"{action}: {updated.Value!.Login}", Outcome(result));
            }

            if (Succeeded(result))
            {
                Notify(done);
                return RedirectToPage();
            }
        }

        Load();
        return Page();
    }

    public async Task<IActionResult> OnPostResetMfaAsync(string id, CancellationToken ct)
    {
        if (!await identity.ResetMfaAsync(Caller.AgencyId, id, ct))
        {
            return NotFound();
        }

        await AuditAsync($"second factor reset: {identity.FindUserById(id)?.Login}");

        Notify("Second factor reset: the user signs in with the password alone, and sets up an app again if the agency requires one.");
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostRequireMfaAsync(bool required, CancellationToken ct)
    {
        await identity.SetAgencyRequiresMfaAsync(Caller.AgencyId, required, ct);
        await AuditAsync(required ? "second factor required" : "second factor made optional");
        Notify(required ? "A second factor is now required: users without one set it up at their next sign-in." : "A second factor is now optional.");
        return RedirectToPage();
    }

    private void Load()
    {
        Users = AdminApi.ListUsers(Caller, database, identity).Value!;
        using var connection = database.OpenReader();
        using var command = connection.Command("SELECT id FROM users WHERE agency_id = @agency AND totp_secret IS NOT NULL", null, ("@agency", Caller.AgencyId));
        using var reader = command.ExecuteReader();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        WithSecondFactor = ids;
        RequiresMfa = identity.AgencyRequiresMfa(Caller.AgencyId);
    }
}
