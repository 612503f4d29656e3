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

        // An invalid invitation is refused with the API's message.
        await admin.Page.GetByLabel("Email address").FillAsync("not an email");
        await admin.ClickAsync(admin.Page.GetByRole(AriaRole.Button, new() { Name = "Invite" }));
        Assert.Contains("Login", await admin.Page.Locator(".error-summary").InnerTextAsync(), StringComparison.Ordinal);

        await using var user = await chromium.OpenAsync(server, nameof(An_administrator_invites_a_user_who_signs_in_once_and_whose_session_ends_when_disabled) + "-user");
        await user.SignInAsync(invited, password);
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
        Assert.Equal(403, await platform.GoAsync("/ui"));

        await using var boss = await chromium.OpenAsync(server, nameof(The_platform_administrator_creates_an_agency_and_an_officer_cannot_open_administration) + "-boss");
        await boss.SignInAsync($"boss@{name}.test", password);
        Assert.Equal("Caseload", await boss.Page.Locator("h1").InnerTextAsync());

        await using var officer = await chromium.OpenAsync(server, nameof(The_platform_administrator_creates_an_agency_and_an_officer_cannot_open_administration) + "-officer");
        await officer.SignInAsync(agency.Officer);
        foreach (var path in new[] { "/ui/admin/users", "/ui/admin/clients", "/ui/admin/lookups", "/ui/admin/audit", "/ui/agencies" })
        {
            Assert.Equal(403, await officer.GoAsync(path));
        }
    }

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
