using Caseline.Server.Identity;
using Microsoft.AspNetCore.Mvc;
using static Caseline.Server.Identity.AdminResult;

namespace Caseline.Server.Web.Pages.Admin;

/// <summary>The agency's users: invite (with a one-time password shown once), change a role, disable and enable, mark service accounts, unlock.</summary>
internal sealed class UsersModel(AdminOperations admin) : AdminPage
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
        // Someone else knows a one-time password: the user replaces it at the first sign-in.
        var result = await admin.CreateUserAsync(Caller, new UserRequest(login, role, null, null), oneTimePassword: true, ct);
        await AuditAsync(AdminOperations.Invited(login?.Trim() ?? "", role ?? ""), Outcome(result));
        if (Succeeded(result) && result is UserCreated created)
        {
            ShownOnce = ($"One-time password for {created.User.Login}", created.User.Password!);
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
        if (await admin.UnlockAsync(Caller, id, ct) is not UserChanged unlocked)
        {
            return NotFound();
        }

        await AuditAsync("user unlocked: " + unlocked.User.Login);
        Notify("Unlocked: the user can sign in again.");
        return RedirectToPage();
    }

    /// <summary>A new one-time password for another user of the agency, shown once; the user must replace it at the next sign-in.</summary>
    public async Task<IActionResult> OnPostResetPasswordAsync(string id, CancellationToken ct)
    {
        var result = await admin.ResetPasswordAsync(Caller, id, ct);
        if (result is Refused { Reason: Refusal.NotFound })
        {
            return NotFound();
        }

        if (Succeeded(result) && result is UserChanged reset)
        {
            await AuditAsync($"password reset: {reset.User.Login}");
            ShownOnce = ($"One-time password for {reset.User.Login} (the old one has stopped working)", reset.User.Password!);
        }

        Load();
        return Page();
    }

    private async Task<IActionResult> UpdateAsync(string id, UserRequest change, string done, string action, CancellationToken ct)
    {
        var result = await admin.UpdateUserAsync(Caller, id, change, ct);
        if (result is UserChanged updated)
        {
            await AuditAsync($"{action}: {updated.User.Login}", Outcome(result));
            Notify(done);
            return RedirectToPage();
        }

        if (result is Refused { Reason: Refusal.Forbidden })
        {
            Errors[""] = ["You cannot change your own role or disable yourself."];
        }
        else
        {
            Succeeded(result);
        }

        Load();
        return Page();
    }

    public async Task<IActionResult> OnPostResetMfaAsync(string id, CancellationToken ct)
    {
        if (await admin.ResetSecondFactorAsync(Caller, id, ct) is not UserChanged reset)
        {
            return NotFound();
        }

        await AuditAsync($"second factor reset: {reset.User.Login}");

        Notify("Second factor reset: the user signs in with the password alone, and sets up an app again if the agency requires one.");
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostRequireMfaAsync(bool required, CancellationToken ct)
    {
        await admin.SetSecondFactorRuleAsync(Caller, new SecondFactorRule(required), ct);
        await AuditAsync(required ? "second factor required" : "second factor made optional");
        Notify(required ? "A second factor is now required: users without one set it up at their next sign-in." : "A second factor is now optional.");
        return RedirectToPage();
    }

    private void Load()
    {
        var list = admin.Users(Caller.AgencyId);
        (Users, WithSecondFactor) = (list.Users, list.WithSecondFactor);
        RequiresMfa = admin.SecondFactorRule(Caller.AgencyId).Required == true;
    }
}
