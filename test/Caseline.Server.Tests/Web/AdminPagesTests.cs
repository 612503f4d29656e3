using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Playwright;

namespace Caseline.Server.Tests.Web;

/// <summary>Administration in the browser: users, API clients, lookups and the audit trail, and the platform's agencies.</summary>
public sealed class AdminPagesTests(CaselineServer server, Chromium chromium) : IClassFixture<CaselineServer>
{
    [Fact]
    public async Task An_administrator_invites_a_user_who_signs_in_once_and_whose_session_ends_when_disabled()
    {
        using var agency = await WebAgency.CreateAsync(server);
        await using var admin = await chromium.OpenAsync(server, nameof(An_administrator_invites_a_user_who_signs_in_once_and_whose_session_ends_when_disabled));
        await admin.SignInAsync(agency.Administrator);
        await admin.ClickAsync(admin.Page.GetByRole(AriaRole.Link, new() { Name = "Administration" }));
        await admin.CheckAsync("users");

        var invited = CaselineServer.Login(agency.Name, "new-officer");
        await admin.Page.GetByLabel("Email address").FillAsync(invited);
        await admin.ClickAsync(admin.Page.GetByRole(AriaRole.Button, new() { Name = "Invite" }));
        var password = (await admin.Page.Locator(".secret").InnerTextAsync()).Trim();
        Assert.True(password.Length >= 16);
        await admin.CheckAsync("user-invited");
        await admin.GoAsync("/ui/admin/users");
        Assert.DoesNotContain(password, await admin.Page.ContentAsync(), StringComparison.Ordinal);

        // An invalid invitation is refused with the API's message, in the page's words.
        await admin.Page.GetByLabel("Email address").FillAsync("not an email");
        await admin.ClickAsync(admin.Page.GetByRole(AriaRole.Button, new() { Name = "Invite" }));
        Assert.Contains("Email address is invalid", await admin.Page.Locator(".error-summary").InnerTextAsync(), StringComparison.Ordinal);

        // The one-time password opens only the password page, until the user has chosen their own.
        await using var user = await chromium.OpenAsync(server, nameof(An_administrator_invites_a_user_who_signs_in_once_and_whose_session_ends_when_disabled) + "-user");
        await user.SignInAsync(invited, password);
        Assert.EndsWith("/ui/account/password", user.Page.Url, StringComparison.Ordinal);
        Assert.Contains("one-time password", await user.Page.Locator(".lede").InnerTextAsync(), StringComparison.Ordinal);
        await user.CheckAsync("must-change-password");
        await user.GoAsync("/ui/clients/anything");
        Assert.EndsWith("/ui/account/password", user.Page.Url, StringComparison.Ordinal);
        password = await ChangePasswordAsync(user, password, "an-own-password-1");
        Assert.Equal("Caseload", await user.Page.Locator("h1").InnerTextAsync());

        await admin.GoAsync("/ui/admin/users");
        var row = admin.Page.Locator("tr", new() { HasText = invited });
        await admin.ClickAsync(row.GetByRole(AriaRole.Button, new() { Name = "Disable" }));
        Assert.Contains("disabled", await admin.Page.Locator("[role=status]").InnerTextAsync(), StringComparison.Ordinal);

        await user.GoAsync("/ui");
        Assert.Contains("/ui/signin", user.Page.Url, StringComparison.Ordinal);
        await user.SignInAsync(invited, password);
        Assert.Contains("incorrect", await user.Page.Locator(".error-summary").InnerTextAsync(), StringComparison.Ordinal);

        // A role change ends the session too, and takes effect at the next sign-in.
        row = admin.Page.Locator("tr", new() { HasText = invited });
        await admin.ClickAsync(row.GetByRole(AriaRole.Button, new() { Name = "Enable" }));
        row = admin.Page.Locator("tr", new() { HasText = invited });
        await row.Locator("select").SelectOptionAsync("AgencyAdministrator");
        await admin.ClickAsync(row.GetByRole(AriaRole.Button, new() { Name = "Change role" }));
        await user.SignInAsync(invited, password);
        Assert.Equal(200, await user.GoAsync("/ui/admin/users"));
    }

    [Fact]
    public async Task An_api_client_made_on_the_page_gets_a_token_with_the_secret_shown_once_and_a_rotation_replaces_it()
    {
        using var agency = await WebAgency.CreateAsync(server);
        await using var web = await chromium.OpenAsync(server, nameof(An_api_client_made_on_the_page_gets_a_token_with_the_secret_shown_once_and_a_rotation_replaces_it));
        await web.SignInAsync(agency.Administrator);
        await web.GoAsync("/ui/admin/clients");
        await web.Page.GetByLabel("Name").FillAsync("County CMS middleware");
        await web.Page.GetByLabel("Client id (optional)").FillAsync(agency.Name + "-cms");
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Create" }));
        var secret = (await web.Page.Locator(".secret").InnerTextAsync()).Trim();
        await web.CheckAsync("client-created");
        Assert.Equal(HttpStatusCode.OK, await Token(agency.Name + "-cms", secret));

        // A refusal speaks the page's words.
        await web.Page.GetByLabel("Client id (optional)").FillAsync("no spaces allowed");
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Create" }));
        Assert.Contains("Client id is invalid", await web.Page.Locator(".error-summary").InnerTextAsync(), StringComparison.Ordinal);

        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = $"Rotate secret of {agency.Name}-cms" }));
        var rotated = (await web.Page.Locator(".secret").InnerTextAsync()).Trim();
        Assert.NotEqual(secret, rotated);
        Assert.Equal(HttpStatusCode.OK, await Token(agency.Name + "-cms", rotated));
        Assert.NotEqual(HttpStatusCode.OK, await Token(agency.Name + "-cms", secret));

        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = $"Disable {agency.Name}-cms" }));
        Assert.NotEqual(HttpStatusCode.OK, await Token(agency.Name + "-cms", rotated));
        await web.CheckAsync("clients");
    }

    [Fact]
    public async Task A_lookup_saved_on_its_page_feeds_the_drop_down_and_the_audit_trail_filters_by_client()
    {
        using var agency = await WebAgency.CreateAsync(server);
        await agency.PutClientAsync("L1", """{"FirstName":"Lu","LastName":"Kup"}""");
        await using var web = await chromium.OpenAsync(server, nameof(A_lookup_saved_on_its_page_feeds_the_drop_down_and_the_audit_trail_filters_by_client));
        await web.SignInAsync(agency.Administrator);
        await web.GoAsync("/ui/admin/lookups");
        await web.CheckAsync("lookups");
        await web.Page.GetByLabel("Genders").FillAsync("Woman\nMan\nAnother gender");
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Save genders" }));
        Assert.Contains("Genders saved", await web.Page.Locator("[role=status]").InnerTextAsync(), StringComparison.Ordinal);

        await web.GoAsync("/ui/clients/L1/edit/personal");
        var options = await web.Page.Locator("#f-Gender option").AllInnerTextsAsync();
        Assert.Equal(["Not given", "Woman", "Man", "Another gender"], options);

        await web.GoAsync("/ui/admin/audit?clientId=L1");
        var actions = await web.Page.Locator("tbody tr td:nth-child(3)").AllInnerTextsAsync();
        Assert.Contains(actions, a => a.Contains("ui/clients/{clientId}/edit", StringComparison.Ordinal));
        Assert.Contains(actions, a => a.StartsWith("PUT /api/v1/clients", StringComparison.Ordinal));
        await web.CheckAsync("audit");
        Assert.Equal(400, await web.GoAsync("/ui/admin/audit?from=someday"));
        await web.CheckAsync("audit-error");
    }

    [Fact]
    public async Task The_platform_administrator_creates_an_agency_and_an_officer_cannot_open_administration()
    {
        using var agency = await WebAgency.CreateAsync(server);
        await using var platform = await chromium.OpenAsync(server, nameof(The_platform_administrator_creates_an_agency_and_an_officer_cannot_open_administration));
        await platform.SignInAsync(CaselineServer.PlatformAdmin);
        Assert.Equal("Agencies", await platform.Page.Locator("h1").InnerTextAsync());
        var name = CaselineServer.NewAgency();
        await platform.Page.GetByLabel("Name").FillAsync(name);
        await platform.Page.GetByLabel("Its first administrator's email address").FillAsync($"boss@{name}.test");
        await platform.ClickAsync(platform.Page.GetByRole(AriaRole.Button, new() { Name = "Create" }));
        Assert.Contains(name, await platform.Page.Locator("tbody").InnerTextAsync(), StringComparison.Ordinal);
        var password = (await platform.Page.Locator(".secret").InnerTextAsync()).Trim();
        await platform.CheckAsync("agencies");
        await platform.GoAsync("/ui");
        Assert.Equal("Agencies", await platform.Page.Locator("h1").InnerTextAsync());

        await using var boss = await chromium.OpenAsync(server, nameof(The_platform_administrator_creates_an_agency_and_an_officer_cannot_open_administration) + "-boss");
        await boss.SignInAsync($"boss@{name}.test", password);
        await ChangePasswordAsync(boss, password, "the-boss-own-password");
        Assert.Equal("Caseload", await boss.Page.Locator("h1").InnerTextAsync());

        await using var officer = await chromium.OpenAsync(server, nameof(The_platform_administrator_creates_an_agency_and_an_officer_cannot_open_administration) + "-officer");
        await officer.SignInAsync(agency.Officer);
        foreach (var path in new[] { "/ui/admin/users", "/ui/admin/clients", "/ui/admin/lookups", "/ui/admin/audit", "/ui/agencies" })
        {
            Assert.Equal(403, await officer.GoAsync(path));
        }
    }

    [Fact]
    public async Task The_platform_administrator_lands_on_agencies_from_any_address_and_adds_an_administrator_to_an_agency_there_is()
    {
        using var agency = await WebAgency.CreateAsync(server);
        await using var platform = await chromium.OpenAsync(server, nameof(The_platform_administrator_lands_on_agencies_from_any_address_and_adds_an_administrator_to_an_agency_there_is));

        // Signing in from the caseload's address (its returnUrl) lands on Agencies, not on a refusal.
        await platform.GoAsync("/ui");
        Assert.Contains("/ui/signin", platform.Page.Url, StringComparison.Ordinal);
        await platform.Page.GetByLabel("Email address").FillAsync(CaselineServer.PlatformAdmin);
        await platform.Page.GetByLabel("Password").FillAsync(CaselineServer.Password);
        await platform.ClickAsync(platform.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }));
        Assert.Equal("Agencies", await platform.Page.Locator("h1").InnerTextAsync());

        // A page of agencies' own is refused with a link that leads somewhere the platform administrator may go.
        Assert.Equal(403, await platform.GoAsync("/ui/admin/users"));
        await platform.ClickAsync(platform.Page.GetByRole(AriaRole.Link, new() { Name = "Go to your start page" }));
        Assert.Equal("Agencies", await platform.Page.Locator("h1").InnerTextAsync());

        var second = CaselineServer.Login(agency.Name, "second-admin");
        await platform.Page.GetByLabel("Agency").SelectOptionAsync(new SelectOptionValue { Label = agency.Name });
        await platform.Page.GetByLabel("The administrator's email address").FillAsync("not an email");
        await platform.ClickAsync(platform.Page.GetByRole(AriaRole.Button, new() { Name = "Add the administrator" }));
        Assert.Contains("The administrator's email address is invalid", await platform.Page.Locator(".error-summary").InnerTextAsync(), StringComparison.Ordinal);
        await platform.Page.GetByLabel("The administrator's email address").FillAsync(second);
        await platform.ClickAsync(platform.Page.GetByRole(AriaRole.Button, new() { Name = "Add the administrator" }));
        var password = (await platform.Page.Locator(".secret").InnerTextAsync()).Trim();
        await platform.CheckAsync("administrator-added");

        await using var admin = await chromium.OpenAsync(server, nameof(The_platform_administrator_lands_on_agencies_from_any_address_and_adds_an_administrator_to_an_agency_there_is) + "-admin");
        await admin.SignInAsync(second, password);
        await ChangePasswordAsync(admin, password, "second-admin-password");
        await admin.ClickAsync(admin.Page.GetByRole(AriaRole.Link, new() { Name = "Administration" }));
        Assert.Contains(agency.Officer, await admin.Page.Locator("tbody").InnerTextAsync(), StringComparison.Ordinal);

        // The agency's own administrators see on their audit trail who added one.
        await admin.GoAsync("/ui/admin/audit");
        Assert.Contains(await RowsAsync(admin), r => r.Contains($"user invited: {second} as AgencyAdministrator", StringComparison.Ordinal) && r.Contains(CaselineServer.PlatformAdmin, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_person_changes_their_own_password_only_with_the_current_one()
    {
        using var agency = await WebAgency.CreateAsync(server);
        await using var web = await chromium.OpenAsync(server, nameof(A_person_changes_their_own_password_only_with_the_current_one));
        await web.SignInAsync(agency.Officer);
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Link, new() { Name = "Password", Exact = true }));
        await web.CheckAsync("password");

        await web.Page.GetByLabel("Current password").FillAsync("not-the-password");
        await web.Page.GetByLabel("New password", new() { Exact = true }).FillAsync("a-brand-new-password");
        await web.Page.GetByLabel("New password again").FillAsync("a-different-password");
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Change the password" }));
        Assert.True(await web.FocusedAsync(".error-summary"));
        var summary = await web.Page.Locator(".error-summary").InnerTextAsync();
        Assert.Contains("The current password is not right", summary, StringComparison.Ordinal);
        Assert.Contains("The two new passwords are not the same", summary, StringComparison.Ordinal);
        await web.CheckAsync("password-errors");

        await ChangePasswordAsync(web, CaselineServer.Password, "a-brand-new-password");
        Assert.Contains("Your password is changed", await web.Page.Locator("[role=status]").InnerTextAsync(), StringComparison.Ordinal);

        await using var again = await chromium.OpenAsync(server, nameof(A_person_changes_their_own_password_only_with_the_current_one) + "-again");
        await again.SignInAsync(agency.Officer);
        Assert.Contains("incorrect", await again.Page.Locator(".error-summary").InnerTextAsync(), StringComparison.Ordinal);
        await again.SignInAsync(agency.Officer, "a-brand-new-password");
        Assert.Equal("Caseload", await again.Page.Locator("h1").InnerTextAsync());
    }

    [Fact]
    public async Task An_administrator_resets_a_password_shown_once_the_user_must_replace_and_the_audit_trail_shows_it_newest_first()
    {
        using var agency = await WebAgency.CreateAsync(server);
        await using var admin = await chromium.OpenAsync(server, nameof(An_administrator_resets_a_password_shown_once_the_user_must_replace_and_the_audit_trail_shows_it_newest_first));
        await admin.SignInAsync(agency.Administrator);
        await admin.GoAsync("/ui/admin/clients");
        await admin.Page.GetByLabel("Name").FillAsync("Reporting job");
        await admin.Page.GetByLabel("Client id (optional)").FillAsync(agency.Name + "-reports");
        await admin.ClickAsync(admin.Page.GetByRole(AriaRole.Button, new() { Name = "Create" }));

        await admin.GoAsync("/ui/admin/users");
        var row = admin.Page.Locator("tr", new() { HasText = agency.Officer });
        await admin.ClickAsync(row.GetByRole(AriaRole.Button, new() { Name = $"Reset password of {agency.Officer}" }));
        var password = (await admin.Page.Locator(".secret").InnerTextAsync()).Trim();
        await admin.CheckAsync("password-reset");
        await admin.GoAsync("/ui/admin/users");
        Assert.DoesNotContain(password, await admin.Page.ContentAsync(), StringComparison.Ordinal);

        await using var officer = await chromium.OpenAsync(server, nameof(An_administrator_resets_a_password_shown_once_the_user_must_replace_and_the_audit_trail_shows_it_newest_first) + "-officer");
        await officer.SignInAsync(agency.Officer);
        Assert.Contains("incorrect", await officer.Page.Locator(".error-summary").InnerTextAsync(), StringComparison.Ordinal);
        await officer.SignInAsync(agency.Officer, password);
        Assert.EndsWith("/ui/account/password", officer.Page.Url, StringComparison.Ordinal);
        await ChangePasswordAsync(officer, password, "the-officer-chose-this");

        // Newest first, administrative actions among the logons.
        await admin.GoAsync("/ui/admin/audit");
        Assert.Equal("Records, newest first", await admin.Page.Locator("caption").InnerTextAsync());
        var rows = await RowsAsync(admin);
        var reset = rows.FindIndex(r => r.Contains($"password reset: {agency.Officer}", StringComparison.Ordinal));
        var created = rows.FindIndex(r => r.Contains($"API client created: {agency.Name}-reports", StringComparison.Ordinal));
        var changed = rows.FindIndex(r => r.Contains("password changed", StringComparison.Ordinal));
        Assert.True(changed >= 0 && reset > changed && created > reset, string.Join(" | ", rows));
        var times = await admin.Page.Locator("tbody tr td:nth-child(1)").AllInnerTextsAsync();
        Assert.Equal(times.OrderByDescending(t => t, StringComparer.Ordinal), times);
        await admin.CheckAsync("audit-newest-first");
    }

    [Fact]
    public async Task An_administrator_adds_an_endpoint_whose_secret_is_shown_once_and_which_then_receives_messages()
    {
        using var agency = await WebAgency.CreateAsync(server);
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var web = await chromium.OpenAsync(server, nameof(An_administrator_adds_an_endpoint_whose_secret_is_shown_once_and_which_then_receives_messages));
        await web.SignInAsync(agency.Administrator);
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Link, new() { Name = "Deliveries", Exact = true }));

        await web.Page.GetByLabel("Address (URL)").FillAsync("not a url");
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Add the endpoint" }));
        Assert.True(await web.FocusedAsync(".error-summary"));
        Assert.Equal(0, await web.Page.Locator(".secret").CountAsync());

        await web.Page.GetByLabel("Address (URL)").FillAsync(receiver.Url.ToString());
        await web.Page.GetByLabel("Description (optional)").FillAsync("County CMS");
        await web.Page.GetByLabel("Personal Details").CheckAsync();
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Add the endpoint" }));
        var secret = (await web.Page.Locator(".secret").InnerTextAsync()).Trim();
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        Assert.Contains("County CMS", await web.Page.Locator("h2 a").AllInnerTextsAsync());
        await web.CheckAsync("endpoint-added");
        await web.GoAsync("/ui/deliveries");
        Assert.DoesNotContain(secret, await web.Page.ContentAsync(), StringComparison.Ordinal);

        await agency.PutClientAsync("E1", """{"FirstName":"En","LastName":"Point","Status":"Active"}""");
        await WebhookTests.Until(() => !receiver.Requests.IsEmpty, "the endpoint's first delivery");
        Assert.All(receiver.Requests, r => Assert.Contains("Personal Details", Encoding.UTF8.GetString(r.Body), StringComparison.Ordinal));
    }

    [Fact]
    public async Task In_development_the_demo_agency_administrator_reaches_deliveries_and_administration()
    {
        await using var demo = CaselineServer.With(new Dictionary<string, string>
        {
            ["Environment"] = "Development",
            ["Caseline:Bootstrap:DemoAdminEmail"] = "admin@demo.test",
            ["Caseline:Bootstrap:DemoAdminPassword"] = "demo-admin-password",
        });
        await using var web = await chromium.OpenAsync(demo, nameof(In_development_the_demo_agency_administrator_reaches_deliveries_and_administration));
        await web.SignInAsync("admin@demo.test", "demo-admin-password");
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Link, new() { Name = "Deliveries", Exact = true }));
        Assert.Equal("Deliveries", await web.Page.Locator("h1").InnerTextAsync());
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Link, new() { Name = "Administration" }));
        Assert.Contains("officer@demo.local", await web.Page.Locator("tbody").InnerTextAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("demo-admin-password", string.Join("\n", demo.Logs), StringComparison.Ordinal);
    }

    /// <summary>Changes the signed-in person's password on its page; returns the new one.</summary>
    private static async Task<string> ChangePasswordAsync(WebSession web, string current, string next)
    {
        await web.GoAsync("/ui/account/password");
        await web.Page.GetByLabel("Current").FillAsync(current);
        await web.Page.GetByLabel("New password", new() { Exact = true }).FillAsync(next);
        await web.Page.GetByLabel("New password again").FillAsync(next);
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Change the password" }));
        return next;
    }

    private static async Task<List<string>> RowsAsync(WebSession web) =>
        [.. (await web.Page.Locator("tbody tr").AllInnerTextsAsync())];

    private async Task<HttpStatusCode> Token(string clientId, string secret)
    {
        using var http = server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/identity/connect/token")
        {
            Content = new StringContent("grant_type=client_credentials&scope=caseIntegrationApi", Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:{secret}")));
        return (await http.SendAsync(request, TestContext.Current.CancellationToken)).StatusCode;
    }
}
