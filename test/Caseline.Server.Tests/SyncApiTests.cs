using System.Net;
using Caseline.Messages;

namespace Caseline.Server.Tests;

public sealed class SyncApiTests(CaselineServer server) : IClassFixture<CaselineServer>
{
    private const string Address = """{"AddressType":"Home","Address":"1 Main St, Denver"}""";

    [Fact]
    public async Task Creating_a_client_with_three_sections_filled_emits_three_created_messages()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);

        var response = await http.Post("/api/v1/clients",
            """{"IntegrationId":"EX1","FirstName":"Ann","LastName":"Lee","Status":"Active","AssignedOfficer":"o@x.org","Email":"ann@example.org"}""");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("/api/v1/clients/EX1", response.Headers.Location?.ToString());
        var log = server.Log(agency);
        Assert.Equal(["Personal Details Created", "Account Details Created", "Email Details Created"], log.Select(m => m.Message.Action.Reason));
        Assert.All(log, m => Assert.Equal(CaselineServer.Login(agency), m.Message.Action.UpdatedBy));
        Assert.All(log, m => Assert.Equal("EX1", m.Message.Client.IntegrationId));
    }

    [Fact]
    public async Task Creating_a_client_twice_is_a_conflict_and_changes_nothing()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await http.Post("/api/v1/clients", """{"IntegrationId":"EX1","FirstName":"Ann","LastName":"Lee"}""");

        var again = await http.Post("/api/v1/clients", """{"IntegrationId":"EX1","FirstName":"Bob","LastName":"Lee"}""");

        await again.Problem(409);
        Assert.Single(server.Log(agency));
    }

    [Fact]
    public async Task The_same_put_twice_produces_one_message()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await http.Put("/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee"}""");

        var first = await http.Put("/api/v1/clients/EX1/addresses/A1", Address);
        var second = await http.Put("/api/v1/clients/EX1/addresses/A1", Address);
        var cosmetic = await http.Put("/api/v1/clients/EX1/addresses/A1", """{"addresstype":"home","address":"  1 Main St, Denver "}""");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.OK, cosmetic.StatusCode);
        Assert.Equal(["Personal Details Created", "Address Details Created"], server.Log(agency).Select(m => m.Message.Action.Reason));
    }

    [Fact]
    public async Task Changing_one_field_of_one_address_emits_exactly_one_address_update_with_the_whole_item()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await http.Put("/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee"}""");
        await http.Put("/api/v1/clients/EX1/addresses/A1", Address);
        await http.Put("/api/v1/clients/EX1/addresses/A2", """{"AddressType":"Work","Address":"9 Elm"}""");
        var before = server.Log(agency).Count;

        await http.Put("/api/v1/clients/EX1/addresses/A1", """{"AddressType":"Other","Address":"1 Main St, Denver"}""");

        var added = server.Log(agency).Skip(before).ToList();
        var message = Assert.Single(added).Message;
        Assert.Equal("Address Details Updated", message.Action.Reason);
        Assert.Equal(new AddressDetails("A1", "Other", "1 Main St, Denver"), message.Details);
    }

    [Fact]
    public async Task Deleting_an_item_emits_removed_with_its_last_state()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await http.Put("/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee"}""");
        await http.Put("/api/v1/clients/EX1/vehicles/V1", """{"Make":"Ford","Year":2016,"LicensePlate":"ABC-1"}""");

        var deleted = await http.Delete("/api/v1/clients/EX1/vehicles/V1");
        var again = await http.Delete("/api/v1/clients/EX1/vehicles/V1");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await again.Problem(404);
        var last = server.Log(agency)[^1].Message;
        Assert.Equal("Vehicle Details Removed", last.Action.Reason);
        Assert.Equal(new VehicleDetails("V1", "Ford", null, "2016", null, "ABC-1"), last.Details);
        await (await http.Get("/api/v1/clients/EX1/vehicles/V1")).Problem(404);
    }

    [Fact]
    public async Task A_client_body_replaces_only_the_sections_it_names()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await http.Put("/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee","Gender":"Female","Status":"Active","AssignedOfficer":"o1"}""");

        var response = await http.Put("/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Smith"}""");

        var profile = await response.ReadObject();
        Assert.Equal("Smith", (string?)profile["LastName"]);
        Assert.Null(profile["Gender"]); // Personal Details was named, so it was replaced whole
        Assert.Equal("o1", (string?)profile["AssignedOfficer"]); // Account Details was not named
        Assert.Equal("Personal Details Updated", server.Log(agency)[^1].Message.Action.Reason);
    }

    [Fact]
    public async Task Clearing_every_field_of_a_client_section_removes_it()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await http.Put("/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee","Email":"ann@example.org"}""");

        await http.Put("/api/v1/clients/EX1", """{"Email":null}""");

        var last = server.Log(agency)[^1].Message;
        Assert.Equal("Email Details Removed", last.Action.Reason);
        Assert.Equal(new EmailDetails("ann@example.org"), last.Details);
    }

    [Fact]
    public async Task The_profile_holds_every_section_and_item_with_wire_spellings()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await http.Put("/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee","Ethnicity":"Asian","TimeZone":"America/Denver","Status":"inactive"}""");
        await http.Put("/api/v1/clients/EX1/cases/2019-CR-1", """{"CaseNumber":"2019-CR-1","Offenses":[{"Label":"Theft","statute":"18-4-401","IsPrimary":true}]}""");
        await http.Put("/api/v1/clients/EX1/protectiveOrders/PO1", """{"OrderType":"Stay away","StayAwayLocations":"The school","NoContact":true}""");
        await http.Put("/api/v1/clients/EX1/employers/E1", """{"Employer":"Acme","Wage":23.750}""");
        await http.Put("/api/v1/clients/EX1/contacts/C1", """{"ContactType":"mobilephone","Contact":"555-0100"}""");

        var profile = await (await http.Get("/api/v1/clients/EX1")).ReadObject();

        Assert.Equal("Asian", (string?)profile["Ethinicity"]);
        Assert.Equal("Mountain Standard Time", (string?)profile["TimeZone"]);
        Assert.Equal("Inactive", (string?)profile["Status"]);
        Assert.Equal("18-4-401", (string?)profile["Cases"]![0]!["Offenses"]![0]!["Statute"]);
        Assert.Equal("The school", (string?)profile["ProtectiveOrders"]![0]!["StayAwayLocation"]);
        Assert.Equal(23.75m, (decimal)profile["Employers"]![0]!["Wage"]!);
        Assert.Equal("MobilePhone", (string?)profile["Contacts"]![0]!["ContactType"]);
        Assert.Null(profile["Contacts"]![0]!["SubType"]);
    }

    [Fact]
    public async Task Items_are_read_one_by_one_and_as_a_list()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await http.Put("/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee"}""");
        await http.Put("/api/v1/clients/EX1/addresses/B", Address);
        await http.Put("/api/v1/clients/EX1/addresses/A", """{"AddressType":"Work","Address":"9 Elm"}""");

        var list = await (await http.Get("/api/v1/clients/EX1/addresses")).Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var one = await (await http.Get("/api/v1/clients/EX1/addresses/A")).ReadObject();

        Assert.Equal("""[{"IntegrationId":"A","AddressType":"Work","Address":"9 Elm"},{"IntegrationId":"B","AddressType":"Home","Address":"1 Main St, Denver"}]""", list);
        Assert.Equal("9 Elm", (string?)one["Address"]);
        await (await http.Get("/api/v1/clients/NOPE/addresses")).Problem(404);
    }

    [Fact]
    public async Task The_timeline_pages_through_a_clients_messages_with_an_opaque_cursor()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await http.Put("/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee"}""");
        await http.Put("/api/v1/clients/OTHER", """{"FirstName":"Bob","LastName":"Lee"}""");
        for (var i = 0; i < 5; i++)
        {
            await http.Put($"/api/v1/clients/EX1/addresses/A{i}", Address);
        }

        var seen = new List<long>();
        string? cursor = null;
        bool more;
        do
        {
            var page = await (await http.Get("/api/v1/clients/EX1/messages?limit=2" + (cursor is null ? "" : "&after=" + cursor))).ReadObject();
            seen.AddRange(page["Messages"]!.AsArray().Select(m => (long)m!["Position"]!));
            Assert.All(page["Messages"]!.AsArray(), m => Assert.Equal("EX1", (string?)m!["Message"]!["Client"]!["IntegrationId"]));
            cursor = (string?)page["Cursor"];
            more = (bool)page["HasMore"]!;
        }
        while (more);

        Assert.Equal(server.Log(agency).Where(m => m.ClientId == "EX1").Select(m => m.Position), seen);
        await (await http.Get("/api/v1/clients/EX1/messages?after=garbage")).Problem(400);
    }

    [Fact]
    public async Task The_timeline_carries_the_stored_bytes_exactly()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await http.Put("/api/v1/clients/EX1", """{"FirstName":"Zoë","LastName":"Nguyễn"}""");

        var page = await (await http.Get("/api/v1/clients/EX1/messages")).Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);

        var stored = server.Log(agency).Single().Body;
        Assert.True(page.AsSpan().IndexOf(stored) > 0, "the page must embed the stored message bytes unchanged");
    }

    [Fact]
    public async Task The_client_list_filters_and_pages()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        for (var i = 0; i < 7; i++)
        {
            await http.Put($"/api/v1/clients/C{i}", $$"""{"FirstName":"Ann{{i}}","LastName":"{{(i % 2 == 0 ? "Garcia" : "Smith")}}","Status":"Active","AssignedCaseload":"North"}""");
        }

        var ids = new List<string>();
        string? cursor = null;
        JsonObjectPage page;
        do
        {
            page = new(await (await http.Get("/api/v1/clients?name=garc&limit=2" + (cursor is null ? "" : "&after=" + cursor))).ReadObject());
            ids.AddRange(page.Ids);
            cursor = page.Cursor;
        }
        while (page.HasMore);

        Assert.Equal(["C0", "C2", "C4", "C6"], ids);
        var north = new JsonObjectPage(await (await http.Get("/api/v1/clients?caseload=North&status=Active")).ReadObject());
        Assert.Equal(7, north.Ids.Count);
        await (await http.Get("/api/v1/clients?limit=0")).Problem(400);
    }

    [Fact]
    public async Task The_client_list_searches_ids_and_matches_filters_ignoring_case_as_the_caseload_does()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await http.Put("/api/v1/clients/GARC-1", """{"FirstName":"Ann","LastName":"Lee","Status":"Active","AssignedCaseload":"North","AssignedOfficer":"Officer@x.test"}""");
        await http.Put("/api/v1/clients/C2", """{"FirstName":"Bo","LastName":"Garcia","Status":"Inactive","AssignedCaseload":"South","AssignedOfficer":"other@x.test"}""");

        async Task<IReadOnlyList<string>> Ids(string query) => new JsonObjectPage(await (await http.Get("/api/v1/clients?" + query)).ReadObject()).Ids;

        Assert.Equal(["C2", "GARC-1"], await Ids("name=garc"));
        Assert.Equal(["GARC-1"], await Ids("officer=officer@X.TEST"));
        Assert.Equal(["GARC-1"], await Ids("caseload=north&status=ACTIVE"));
        Assert.Equal(["C2"], await Ids("name=%20gar%20&officer=OTHER@x.test"));
        Assert.Empty(await Ids("officer=officer"));
    }

    [Fact]
    public async Task Lookups_list_fixed_default_and_agency_values()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await http.Put("/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee","AssignedCaseload":"North"}""");

        var addressTypes = await (await http.Get("/api/v1/lookups/addressTypes")).ReadObject();
        var timeZones = await (await http.Get("/api/v1/lookups/timeZones")).ReadObject();
        var caseloads = await (await http.Get("/api/v1/lookups/caseloads")).ReadObject();
        var replaced = await http.Put("/api/v1/lookups/genders", """{"Values":["F","M","X"]}""");
        var genders = await (await http.Get("/api/v1/lookups/GENDERS")).ReadObject();

        Assert.Equal(["Home", "Work", "Other"], addressTypes["Values"]!.AsArray().Select(v => (string)v!));
        Assert.Contains("Mountain Standard Time", timeZones["Values"]!.AsArray().Select(v => (string)v!));
        Assert.Equal(["North"], caseloads["Values"]!.AsArray().Select(v => (string)v!));
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.Equal(["F", "M", "X"], genders["Values"]!.AsArray().Select(v => (string)v!));
        await (await http.Get("/api/v1/lookups/planets")).Problem(404);
        await (await http.Put("/api/v1/lookups/addressTypes", """{"Values":["Boat"]}""")).Problem(409);
    }

    [Fact]
    public async Task The_schema_is_served()
    {
        using var http = server.CreateClient();

        var response = await http.Get("/schemas/client-profile-message.json");

        Assert.Equal("application/schema+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(MessageSchema.Text, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    private sealed class JsonObjectPage(System.Text.Json.Nodes.JsonObject page)
    {
        public List<string> Ids { get; } = [.. page["Clients"]!.AsArray().Select(c => (string)c!["IntegrationId"]!)];

        public string? Cursor { get; } = (string?)page[nameof(Cursor)];

        public bool HasMore { get; } = (bool)page[nameof(HasMore)]!;
    }
}
