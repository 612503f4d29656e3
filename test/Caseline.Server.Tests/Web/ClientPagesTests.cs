using System.Globalization;
using Caseline.Messages;
using Microsoft.Playwright;

namespace Caseline.Server.Tests.Web;

/// <summary>The caseload, the profile and its edits, in a real browser against the real app.</summary>
public sealed class ClientPagesTests(CaselineServer server, Chromium chromium) : IClassFixture<CaselineServer>
{
    [Fact]
    public async Task The_caseload_searches_filters_sorts_and_pages_and_my_caseload_is_the_officers_own()
    {
        using var agency = await WebAgency.CreateAsync(server);
        for (var i = 1; i <= 30; i++)
        {
            var officer = i % 3 == 0 ? agency.Officer : "other@agency.test";
            await agency.PutClientAsync($"C{i:00}",
                $$"""{"FirstName":"First{{i:00}}","LastName":"{{(i == 7 ? "Farmer" : "Last" + i.ToString("00", CultureInfo.InvariantCulture))}}","Status":"{{(i % 5 == 0 ? "Inactive" : "Active")}}","AssignedCaseload":"CL{{i % 2}}","AssignedOfficer":"{{officer}}"}""");
        }

        await using var web = await chromium.OpenAsync(server, nameof(The_caseload_searches_filters_sorts_and_pages_and_my_caseload_is_the_officers_own));
        await web.SignInAsync(agency.Officer);
        Assert.Contains("30 clients", await web.Page.Locator(".lede").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(25, await web.Page.Locator("tbody tr").CountAsync());
        await web.CheckAsync("caseload");

        await web.ClickAsync(web.Page.GetByRole(AriaRole.Link, new() { Name = "Next page" }));
        Assert.Equal(5, await web.Page.Locator("tbody tr").CountAsync());

        await web.GoAsync("/ui");
        await web.Page.GetByLabel("Name or identifier").FillAsync("farm");
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Search" }));
        Assert.Equal(["C07"], await Column(web, 0));

        await web.GoAsync("/ui");
        await web.Page.GetByLabel("Status").SelectOptionAsync("Inactive");
        await web.Page.GetByLabel("Caseload").SelectOptionAsync("CL0");
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Search" }));
        Assert.Equal(["C10", "C20", "C30"], await Column(web, 0));

        // Sorting by identifier, then the same column again for descending order.
        await web.ClickAsync(web.Page.Locator("thead a", new() { HasText = "Identifier" }));
        Assert.Equal(["C10", "C20", "C30"], await Column(web, 0));
        Assert.Contains("sort descending", await web.Page.Locator("thead a", new() { HasText = "Identifier" }).InnerTextAsync(), StringComparison.Ordinal);
        await web.ClickAsync(web.Page.Locator("thead a", new() { HasText = "Identifier" }));
        Assert.Equal(["C30", "C20", "C10"], await Column(web, 0));
        Assert.Equal("descending", await web.Page.Locator("th[aria-sort=descending]").GetAttributeAsync("aria-sort"));

        await web.ClickAsync(web.Page.GetByRole(AriaRole.Link, new() { Name = "My caseload" }));
        Assert.Equal(10, await web.Page.Locator("tbody tr").CountAsync());
        Assert.All(await Column(web, 4), officer => Assert.Equal(agency.Officer, officer));
        await web.CheckAsync("my-caseload");
    }

    [Fact]
    public async Task An_edit_with_an_error_stores_nothing_and_its_correction_emits_exactly_the_one_message_with_the_officer_as_UpdatedBy()
    {
        using var agency = await WebAgency.CreateAsync(server);
        await agency.PutClientAsync("EX123456", """{"FirstName":"Johnathan","LastName":"Farmer","DateOfBirth":"1980-02-03","Status":"Active"}""");
        await using var web = await chromium.OpenAsync(server, nameof(An_edit_with_an_error_stores_nothing_and_its_correction_emits_exactly_the_one_message_with_the_officer_as_UpdatedBy));
        await web.SignInAsync(agency.Officer);

        await web.GoAsync("/ui/clients/EX123456");
        Assert.Equal("Johnathan Farmer", await web.Page.Locator("h1").InnerTextAsync());
        Assert.Contains($"Last changed by {agency.Administrator}", await web.Page.Locator("section[aria-labelledby=s-personal]").InnerTextAsync(), StringComparison.Ordinal);
        await web.CheckAsync("profile");

        await web.ClickAsync(web.Page.GetByRole(AriaRole.Link, new() { Name = "Change personal details" }));
        await web.CheckAsync("edit-personal");
        var before = agency.Log().Count;
        await web.Page.GetByLabel("First name").FillAsync("");
        await web.Page.GetByLabel("Date of birth").FillAsync("2190-01-01");
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Save" }));

        Assert.True(await web.FocusedAsync(".error-summary"), "the error summary takes focus");
        var summary = await web.Page.Locator(".error-summary").InnerTextAsync();
        // The page's own labels, never the wire names.
        Assert.Contains("First name is required", summary, StringComparison.Ordinal);
        Assert.Contains("Date of birth", summary, StringComparison.Ordinal);
        Assert.DoesNotContain("FirstName", summary, StringComparison.Ordinal);
        Assert.DoesNotContain("DateOfBirth", summary, StringComparison.Ordinal);
        Assert.Contains("First name is required", await web.Page.Locator("#f-FirstName-error").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("true", await web.Page.Locator("#f-FirstName").GetAttributeAsync("aria-invalid"));
        Assert.Equal(before, agency.Log().Count);
        await web.CheckAsync("edit-personal-errors");

        // The summary's link takes the officer to the field.
        await web.Page.Locator(".error-summary a", new() { HasText = "First name is required" }).ClickAsync();
        Assert.True(await web.FocusedAsync("#f-FirstName"));
        await web.Page.GetByLabel("First name").FillAsync("John");
        await web.Page.GetByLabel("Date of birth").FillAsync("1980-02-03");
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Save" }));
        Assert.Contains("Personal details saved", await web.Page.Locator("[role=status]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("John Farmer", await web.Page.Locator("h1").InnerTextAsync());

        // Exactly one message, as the API would have emitted it; the feed shows it.
        var log = agency.Log();
        Assert.Equal(before + 1, log.Count);
        var message = log[^1].Message;
        Assert.Equal("Personal Details Updated", message.Action.Reason);
        Assert.Equal(agency.Officer, message.Action.UpdatedBy);
        Assert.Equal(new PersonalDetails("John", "Farmer", new DateOnly(1980, 2, 3), null, null, null, null, null), message.Details);
        var feed = await (await agency.Api.Get($"/api/v1/transmit/messages?after={Caseline.Server.Http.Cursor.Encode(log[^2].Position)}")).ReadObject();
        var only = Assert.Single(feed["Messages"]!.AsArray());
        Assert.Equal(agency.Officer, (string?)only!["Message"]!["Action"]!["UpdatedBy"]);
    }

    [Fact]
    public async Task An_item_is_added_after_an_error_and_removed_after_confirmation_with_the_keyboard_alone()
    {
        using var agency = await WebAgency.CreateAsync(server);
        await agency.PutClientAsync("K1", """{"FirstName":"Kim","LastName":"Ito"}""");
        await using var web = await chromium.OpenAsync(server, nameof(An_item_is_added_after_an_error_and_removed_after_confirmation_with_the_keyboard_alone));
        await web.SignInAsync(agency.Officer);

        // From the caseload to the client, by keyboard.
        await web.TabToAsync("a[href='/ui/clients/K1']");
        await web.PressAsync("Enter");
        await web.TabToAsync("a[href='/ui/clients/K1/add/addresses']");
        await web.PressAsync("Enter");
        Assert.EndsWith("/add/addresses", web.Page.Url, StringComparison.Ordinal);
        await web.CheckAsync("add-address");

        await web.TabToAsync("#f-IntegrationId");
        await web.Page.Keyboard.TypeAsync("home-1");
        await web.TabToAsync("#f-AddressType");
        await web.Page.Keyboard.PressAsync("ArrowDown"); // Home
        await web.TabToAsync("button[type=submit]");
        await web.PressAsync("Enter");
        Assert.True(await web.FocusedAsync(".error-summary"));
        Assert.Contains("Address is required", await web.Page.Locator(".error-summary").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("Home", await web.Page.Locator("#f-AddressType").InputValueAsync());
        Assert.DoesNotContain(agency.Log(), m => m.Message.Details is AddressDetails);
        await web.CheckAsync("add-address-errors");

        await web.TabToAsync(".error-summary a");
        await web.Page.Keyboard.PressAsync("Enter");
        Assert.True(await web.FocusedAsync("#f-Address"));
        await web.Page.Keyboard.TypeAsync("1 Main St, Denver");
        await web.TabToAsync("button[type=submit]");
        await web.PressAsync("Enter");
        Assert.Contains("Address home-1 added", await web.Page.Locator("[role=status]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("1 Main St, Denver", await web.Page.Locator("article").InnerTextAsync(), StringComparison.Ordinal);

        await web.TabToAsync("a[href='/ui/clients/K1/remove/addresses/home-1']");
        await web.PressAsync("Enter");
        Assert.EndsWith("/remove/addresses/home-1", web.Page.Url, StringComparison.Ordinal);
        await web.CheckAsync("remove-address");
        await web.TabToAsync("button.danger");
        await web.PressAsync("Enter");
        Assert.Contains("Address home-1 removed", await web.Page.Locator("[role=status]").InnerTextAsync(), StringComparison.Ordinal);

        var addresses = agency.Log().Where(m => m.Message.Details is AddressDetails).Select(m => m.Message).ToList();
        Assert.Equal(["Address Details Created", "Address Details Removed"], addresses.Select(m => m.Action.Reason));
        Assert.All(addresses, m => Assert.Equal(agency.Officer, m.Action.UpdatedBy));
        Assert.Equal(new AddressDetails("home-1", "Home", "1 Main St, Denver"), addresses[0].Details);
    }

    [Fact]
    public async Task A_court_case_takes_its_offenses_in_rows_and_another_row_is_added_without_saving()
    {
        using var agency = await WebAgency.CreateAsync(server);
        await agency.PutClientAsync("CASE1", """{"FirstName":"Cy","LastName":"Ray"}""");
        await using var web = await chromium.OpenAsync(server, nameof(A_court_case_takes_its_offenses_in_rows_and_another_row_is_added_without_saving));
        await web.SignInAsync(agency.Officer);

        await web.GoAsync("/ui/clients/CASE1/add/cases");
        await web.Page.GetByLabel("Identifier").FillAsync("case-9");
        await web.Page.GetByLabel("Case number").FillAsync("2024-CR-0099");
        await web.Page.Locator("#f-Offenses-0-Label").FillAsync("Burglary");
        await web.Page.Locator("#f-Offenses-0-Category").SelectOptionAsync("Felony");
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Add another offense" }));
        Assert.DoesNotContain(agency.Log(), m => m.Message.Details is CaseDetails);
        Assert.Equal("Burglary", await web.Page.Locator("#f-Offenses-0-Label").InputValueAsync());
        await web.Page.Locator("#f-Offenses-1-Label").FillAsync("Trespass");
        await web.Page.Locator("#f-Offenses-1-IsPrimary").SelectOptionAsync("false");
        await web.CheckAsync("add-case");
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Add", Exact = true }));

        var created = (CaseDetails)agency.Log().Single(m => m.Message.Details is CaseDetails).Message.Details;
        Assert.Equal("2024-CR-0099", created.CaseNumber);
        Assert.Equal(["Burglary", "Trespass"], created.Offenses!.Select(o => o.Label));
        Assert.Equal("Felony", created.Offenses![0].Category);
        Assert.False(created.Offenses![1].IsPrimary);
        Assert.Contains("Trespass", await web.Page.Locator("article").InnerTextAsync(), StringComparison.Ordinal);
        await web.CheckAsync("profile-with-case");
    }

    [Fact]
    public async Task An_officer_of_another_agency_never_sees_a_client_by_its_address()
    {
        using var a = await WebAgency.CreateAsync(server);
        using var b = await WebAgency.CreateAsync(server);
        await a.PutClientAsync("SECRET1", """{"FirstName":"Hidden","LastName":"Person"}""");
        await a.PutItemAsync("SECRET1", "addresses", "h1", """{"AddressType":"Home","Address":"9 Quiet Lane"}""");
        await using var web = await chromium.OpenAsync(server, nameof(An_officer_of_another_agency_never_sees_a_client_by_its_address));
        await web.SignInAsync(b.Officer);

        foreach (var path in new[] { "/ui/clients/SECRET1", "/ui/clients/SECRET1/edit/personal", "/ui/clients/SECRET1/edit/addresses/h1",
                     "/ui/clients/SECRET1/remove/addresses/h1", "/ui/clients/SECRET1/add/addresses", "/ui/clients/SECRET1/timeline", "/ui/clients/SECRET1/as-of" })
        {
            Assert.Equal(404, await web.GoAsync(path));
            var text = await web.Page.Locator("body").InnerTextAsync();
            Assert.DoesNotContain("Hidden", text, StringComparison.Ordinal);
            Assert.DoesNotContain("Quiet", text, StringComparison.Ordinal);
        }

        await web.CheckAsync("not-found");
        await web.GoAsync("/ui?q=hidden");
        Assert.Equal(0, await web.Page.Locator("tbody tr").CountAsync());
        Assert.Single(a.Log(), m => m.Message.Details is AddressDetails);
    }

    [Fact]
    public async Task Reading_a_client_page_is_audited_as_an_api_read_is()
    {
        using var agency = await WebAgency.CreateAsync(server);
        await agency.PutClientAsync("AUD1", """{"FirstName":"Al","LastName":"Dit"}""");
        await using var web = await chromium.OpenAsync(server, nameof(Reading_a_client_page_is_audited_as_an_api_read_is));
        await web.SignInAsync(agency.Officer);
        await web.GoAsync("/ui/clients/AUD1");

        var audit = await (await agency.Api.Get("/api/v1/admin/audit?clientId=AUD1&actor=" + Uri.EscapeDataString(agency.Officer))).ReadObject();
        var record = Assert.Single(audit["Records"]!.AsArray());
        Assert.Equal(200, (int)record!["Outcome"]!);
        Assert.Equal("GET /ui/clients/{clientId}", ((string?)record["Action"])?.Replace("GET ui/", "GET /ui/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Over_many_pages_the_caseload_offers_first_previous_numbered_next_and_last_pages()
    {
        using var agency = await WebAgency.CreateAsync(server);
        for (var i = 1; i <= 160; i++)
        {
            await agency.PutClientAsync($"P{i:000}", $$"""{"FirstName":"F","LastName":"L{{i:000}}"}""");
        }

        await using var web = await chromium.OpenAsync(server, nameof(Over_many_pages_the_caseload_offers_first_previous_numbered_next_and_last_pages));
        await web.SignInAsync(agency.Officer);
        var pager = web.Page.GetByRole(AriaRole.Navigation, new() { Name = "Pages of clients" });
        Assert.Equal(["Page 1", "Page 2", "Page 3", "Page 4", "Page 5", "Next page", "Last page (7)"], await Links(pager));
        Assert.Equal("Page 1", await pager.Locator("[aria-current=page]").TextContentAsync());

        await web.ClickAsync(pager.GetByRole(AriaRole.Link, new() { Name = "Page 4", Exact = true }));
        Assert.Equal(["First page", "Previous page", "Page 2", "Page 3", "Page 4", "Page 5", "Page 6", "Next page", "Last page (7)"], await Links(pager));
        Assert.Equal("P076", (await Column(web, 0))[0]);
        await web.CheckAsync("caseload-page-4");

        await web.ClickAsync(pager.GetByRole(AriaRole.Link, new() { Name = "Last page (7)" }));
        Assert.Equal(["First page", "Previous page", "Page 3", "Page 4", "Page 5", "Page 6", "Page 7"], await Links(pager));
        Assert.Equal(10, await web.Page.Locator("tbody tr").CountAsync());
        Assert.Contains("Page 7 of 7", await pager.InnerTextAsync(), StringComparison.Ordinal);

        await web.ClickAsync(pager.GetByRole(AriaRole.Link, new() { Name = "First page" }));
        Assert.Equal("P001", (await Column(web, 0))[0]);
    }

    [Fact]
    public async Task An_item_added_without_an_identifier_gets_one_and_a_court_case_takes_its_case_number()
    {
        using var agency = await WebAgency.CreateAsync(server);
        await agency.PutClientAsync("NOID1", """{"FirstName":"No","LastName":"Id"}""");
        await using var web = await chromium.OpenAsync(server, nameof(An_item_added_without_an_identifier_gets_one_and_a_court_case_takes_its_case_number));
        await web.SignInAsync(agency.Officer);

        await web.GoAsync("/ui/clients/NOID1/add/contacts");
        Assert.Equal("Identifier (optional)", (await web.Page.Locator("label[for=f-IntegrationId]").InnerTextAsync()).Trim());
        // A drop-down holds no free text, so no length limit is said beside it.
        Assert.DoesNotContain("characters", await web.Page.Locator(".field", new() { Has = web.Page.Locator("#f-ContactType") }).InnerTextAsync(), StringComparison.Ordinal);
        await web.Page.GetByLabel("Contact type").SelectOptionAsync("MobilePhone");
        await web.Page.GetByLabel("Contact", new() { Exact = true }).FillAsync("555-0100");
        await web.CheckAsync("add-phone-without-identifier");
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Add", Exact = true }));
        var phone = (ContactDetails)agency.Log().Single(m => m.Message.Details is ContactDetails).Message.Details;
        Assert.Matches("^phone-[0-9a-f]{8}$", phone.IntegrationId);
        Assert.Contains($"Phone {phone.IntegrationId} added", await web.Page.Locator("[role=status]").InnerTextAsync(), StringComparison.Ordinal);

        await web.GoAsync("/ui/clients/NOID1/add/cases");
        // The hint names no order of day, month and year: the picker shows the reader's own.
        Assert.DoesNotContain("year-month-day", await web.Page.Locator("#f-CaseDate-hint").InnerTextAsync(), StringComparison.Ordinal);
        await web.Page.GetByLabel("Case number").FillAsync("2025-CR-7");
        await web.Page.Locator("#f-Offenses-0-Label").FillAsync("Theft");
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Add", Exact = true }));
        Assert.Equal("2025-CR-7", ((CaseDetails)agency.Log().Single(m => m.Message.Details is CaseDetails).Message.Details).IntegrationId);
    }

    [Fact]
    public async Task One_offense_is_removed_with_its_box_and_a_half_cleared_one_names_its_row_and_label()
    {
        using var agency = await WebAgency.CreateAsync(server);
        await agency.PutClientAsync("OFF1", """{"FirstName":"Of","LastName":"Fense"}""");
        await agency.PutItemAsync("OFF1", "cases", "c1",
            """{"CaseNumber":"c1","Offenses":[{"Label":"Burglary","Category":"Felony"},{"Label":"Trespass","Statute":"18-4-503"},{"Label":"Theft"}]}""");
        await using var web = await chromium.OpenAsync(server, nameof(One_offense_is_removed_with_its_box_and_a_half_cleared_one_names_its_row_and_label));
        await web.SignInAsync(agency.Officer);
        await web.GoAsync("/ui/clients/OFF1/edit/cases/c1");

        // Clearing one field of an offense is an error that says which offense and which field, in the page's words.
        await web.Page.Locator("#f-Offenses-1-Label").FillAsync("");
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Save" }));
        Assert.Contains("Offense 2: Label is required", await web.Page.Locator(".error-summary").InnerTextAsync(), StringComparison.Ordinal);

        // Its box takes the offense off instead, without script.
        await web.Page.GetByLabel("Remove offense 2 when saving").CheckAsync();
        await web.CheckAsync("edit-case-remove-offense");
        var before = agency.Log().Count;
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Save" }));
        Assert.Contains("Removed: offense 2", await web.Page.Locator("[role=status]").InnerTextAsync(), StringComparison.Ordinal);
        var saved = agency.Log();
        Assert.Equal(before + 1, saved.Count);
        Assert.Equal(["Burglary", "Theft"], ((CaseDetails)saved[^1].Message.Details).Offenses!.Select(o => o.Label));
    }

    [Fact]
    public async Task An_officer_adds_a_client_with_or_without_an_identifier_and_one_the_agency_has_is_refused()
    {
        using var agency = await WebAgency.CreateAsync(server);
        await agency.PutClientAsync("TAKEN1", """{"FirstName":"Al","LastName":"Ready"}""");
        await using var web = await chromium.OpenAsync(server, nameof(An_officer_adds_a_client_with_or_without_an_identifier_and_one_the_agency_has_is_refused));
        await web.SignInAsync(agency.Officer);

        await web.ClickAsync(web.Page.GetByRole(AriaRole.Link, new() { Name = "Add a client" }));
        await web.CheckAsync("add-client");
        await web.Page.GetByLabel("Identifier").FillAsync("TAKEN1");
        await web.Page.GetByLabel("Last name").FillAsync("Newman");
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Add the client" }));
        Assert.True(await web.FocusedAsync(".error-summary"));
        var summary = await web.Page.Locator(".error-summary").InnerTextAsync();
        Assert.Contains("already has a client with this identifier", summary, StringComparison.Ordinal);
        await web.CheckAsync("add-client-errors");

        await web.Page.GetByLabel("Identifier").FillAsync("");
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Add the client" }));
        Assert.Contains("First name is required", await web.Page.Locator(".error-summary").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("Newman", await web.Page.GetByLabel("Last name").InputValueAsync());

        await web.Page.GetByLabel("First name").FillAsync("Nia");
        await web.Page.GetByLabel("Status").SelectOptionAsync("Active");
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Add the client" }));
        Assert.Equal("Nia Newman", await web.Page.Locator("h1").InnerTextAsync());
        var created = agency.Log().Where(m => m.ClientId.StartsWith("client-", StringComparison.Ordinal)).Select(m => m.Message).ToList();
        Assert.Equal(["Personal Details Created", "Account Details Created"], created.Select(m => m.Action.Reason));
        Assert.All(created, m => Assert.Equal(agency.Officer, m.Action.UpdatedBy));
    }

    private static async Task<List<string>> Links(ILocator pager) =>
        [.. (await pager.GetByRole(AriaRole.Link).AllTextContentsAsync()).Select(t => string.Join(' ', t.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)))];

    private static async Task<List<string>> Column(WebSession web, int index) =>
        [.. (await web.Page.Locator($"tbody tr td:nth-child({index + 1})").AllInnerTextsAsync()).Select(t => t.Trim())];
}
