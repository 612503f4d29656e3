using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Caseline.Server.Tests;

/// <summary>Bad input gets a clear 4xx problem document, and nothing is stored and no message is written.</summary>
public sealed class InvalidInputTests(CaselineServer server) : IClassFixture<CaselineServer>
{
    public static TheoryData<string, string, string, string> FieldErrors => new()
    {
        { "/api/v1/clients/EX1", """{"Gender":"Female"}""", "FirstName", "FirstName is required" },
        { "/api/v1/clients/EX1", """{"FirstName":"<b>Ann</b>","LastName":"Lee"}""", "FirstName", "FirstName contains some characters which are not allowed" },
        { "/api/v1/clients/EX1", """{"FirstName":"Ann\u0007","LastName":"Lee"}""", "FirstName", "FirstName contains some characters which are not allowed" },
        { "/api/v1/clients/EX1", $$"""{"FirstName":"{{new string('a', 101)}}","LastName":"Lee"}""", "FirstName", "FirstName must be at most 100 characters long" },
        { "/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee","DateOfBirth":"1980-02-30"}""", "DateOfBirth", "DateOfBirth is invalid" },
        { "/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee","DateOfBirth":"2999-01-01"}""", "DateOfBirth", "DateOfBirth is invalid" },
        { "/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee","TimeZone":"Mars/Olympus"}""", "TimeZone", "TimeZone is invalid" },
        { "/api/v1/clients/EX1", """{"Email":"not-an-address"}""", "Email", "Email is invalid" },
        { "/api/v1/clients/EX1", """{"Status":"Paused"}""", "Status", "Status is invalid" },
        { "/api/v1/clients/EX1", """{"FirstName":5,"LastName":"Lee"}""", "FirstName", "FirstName is invalid" },
        { "/api/v1/clients/EX%201", """{"FirstName":"Ann","LastName":"Lee"}""", "clientId", "IntegrationId contains some characters which are not allowed" },
        { "/api/v1/clients/EX1", """{"IntegrationId":"EX2","FirstName":"Ann","LastName":"Lee"}""", "IntegrationId", "IntegrationId is invalid" },
        { "/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee","Addresses":[]}""", "Addresses", "Addresses is invalid" },
        { "/api/v1/clients/KNOWN/addresses/A1", """{"AddressType":"Boat","Address":"1 Main"}""", "AddressType", "AddressType is invalid" },
        { "/api/v1/clients/KNOWN/addresses/A1", """{"AddressType":"Home"}""", "Address", "Address is required" },
        { "/api/v1/clients/KNOWN/addresses/A1", """{"AddressType":"Home","Address":"1 Main","IntegrationId":"A2"}""", "IntegrationId", "IntegrationId is invalid" },
        { "/api/v1/clients/KNOWN/contacts/C1", """{"ContactType":"Pager","Contact":"555"}""", "ContactType", "ContactType is invalid" },
        { "/api/v1/clients/KNOWN/vehicles/V1", """{"Make":"Ford","Year":"16"}""", "Year", "Year is invalid" },
        { "/api/v1/clients/KNOWN/employers/E1", """{"Employer":"Acme","Wage":-5}""", "Wage", "Wage is invalid" },
        { "/api/v1/clients/KNOWN/employers/E1", """{"Employer":"Acme","Wage":"lots"}""", "Wage", "Wage is invalid" },
        { "/api/v1/clients/KNOWN/cases/C1", """{"CaseNumber":"C1","Offenses":[{"Date":"2019-01-01"}]}""", "Offenses[0].Label", "Label is required" },
        { "/api/v1/clients/KNOWN/protectiveOrders/P1", """{"OrderType":"x","EffectiveDate":"2020-01-02","ExpirationDate":"2020-01-01"}""", "ExpirationDate", "ExpirationDate is invalid" },
        { "/api/v1/clients/KNOWN/protectiveOrders/P1", """{"OrderType":"x","NoContact":"yes"}""", "NoContact", "NoContact is invalid" },
        { "/api/v1/clients/KNOWN/addresses/A%2F1", """{"AddressType":"Home","Address":"1 Main"}""", "itemId", "IntegrationId contains some characters which are not allowed" },
    };

    [Theory]
    [MemberData(nameof(FieldErrors))]
    public async Task Each_rule_is_answered_400_with_the_field_and_its_message_and_nothing_changes(string path, string body, string field, string message)
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await http.Put("/api/v1/clients/KNOWN", """{"FirstName":"Ann","LastName":"Lee"}""");
        var before = Snapshot(agency);

        var response = await http.Put(path, body);

        var problem = await response.Problem(400);
        Assert.Equal([message], problem["errors"]![field]!.AsArray().Select(m => (string)m!));
        Assert.Equal(before, Snapshot(agency));
        Assert.DoesNotContain("<b>", problem.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Creating_without_an_IntegrationId_is_refused()
    {
        using var http = await server.ForAsync(CaselineServer.NewAgency());

        var problem = await (await http.Post("/api/v1/clients", """{"FirstName":"Ann","LastName":"Lee"}""")).Problem(400);

        Assert.Equal("IntegrationId is required", (string?)problem["errors"]!["IntegrationId"]![0]);
    }

    [Theory]
    [InlineData("{\"FirstName\":\"Ann\",", "The body is not valid JSON.")]
    [InlineData("[1,2", "The body is not valid JSON.")]
    [InlineData("", "The body is not valid JSON.")]
    public async Task Malformed_json_is_a_400_problem(string body, string title)
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);

        var problem = await (await http.Put("/api/v1/clients/EX1", body)).Problem(400);

        Assert.Equal(title, (string?)problem["title"]);
        Assert.Equal(0, server.Count($"SELECT COUNT(*) FROM clients c JOIN agencies a ON a.id = c.agency_id WHERE a.name = '{agency}'"));
    }

    // Found by HostileInputTests (seed 3077267643231719267): the JSON parser checks a name's or a string's UTF-8
    // only when it is read, so a bad byte in a property name became a 500.
    [Theory]
    [InlineData("/api/v1/clients/EX1", "{\"FirstName\":\"Ann\",\"Ethinicit\u0090\":\"Zo\"}")]
    [InlineData("/api/v1/clients/EX1", "{\"FirstName\":\"An\u00fe\u00ff\",\"LastName\":\"Lee\"}")]
    [InlineData("/api/v1/clients/EX1/addresses/H", "{\"AddressType\":\"Home\",\"Address\":\"1 \u00c3\u0028 St\"}")]
    public async Task A_body_that_is_not_valid_utf8_is_a_400_problem_and_stores_nothing(string path, string latin1)
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        await http.Put("/api/v1/clients/EX1", """{"FirstName":"Ann","LastName":"Lee"}""");

        // Each char of the text is one byte on the wire, so the non-ASCII ones are bytes no UTF-8 text may hold there.
        using var content = new ByteArrayContent(Encoding.Latin1.GetBytes(latin1));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var problem = await (await http.PutAsync(path, content, TestContext.Current.CancellationToken)).Problem(400);

        Assert.Equal("The body is not valid UTF-8.", (string?)problem["title"]);
        Assert.Single(server.Log(agency));
    }

    [Fact]
    public async Task A_bulk_sync_line_that_is_not_valid_utf8_is_refused_by_its_number()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        var lines = Encoding.UTF8.GetBytes("{\"IntegrationId\":\"A\",\"FirstName\":\"Ann\",\"LastName\":\"Lee\"}\n")
            .Concat(Encoding.Latin1.GetBytes("{\"IntegrationId\":\"B\",\"First\u00ffName\":\"Bo\"}\n")).ToArray();
        using var content = new ByteArrayContent(lines);
        content.Headers.ContentType = Http.NdJson;

        var job = await (await http.PostAsync("/api/v1/sync/clients", content, TestContext.Current.CancellationToken)).ReadObject();
        var id = (string)job["Id"]!;
        JsonObject done;
        do
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
            done = await (await http.Get($"/api/v1/sync/jobs/{id}")).ReadObject();
        }
        while ((string?)done["State"] is "Queued" or "Running");

        Assert.Equal("Completed", (string?)done["State"]);
        Assert.Equal(1, (long)done["Invalid"]!);
        Assert.Equal(2, (long)done["Errors"]![0]!["Line"]!);
        Assert.Equal("The line is not valid UTF-8", (string?)done["Errors"]![0]!["Errors"]![""]![0]);
        Assert.Single(server.Log(agency));
    }

    [Fact]
    public async Task A_body_that_is_not_an_object_is_a_400_problem()
    {
        using var http = await server.ForAsync(CaselineServer.NewAgency());

        await (await http.Put("/api/v1/clients/EX1", "[1,2]")).Problem(400);
        await (await http.Put("/api/v1/clients/EX1/addresses/A1", "\"text\"")).Problem(400);
    }

    [Fact]
    public async Task A_wrong_content_type_is_a_415_problem()
    {
        using var http = await server.ForAsync(CaselineServer.NewAgency());

        var response = await http.PutAsync("/api/v1/clients/EX1", new StringContent("""{"FirstName":"Ann"}""", Encoding.UTF8, "text/plain"), TestContext.Current.CancellationToken);

        await response.Problem(415);
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_a_413_problem()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        var huge = $$"""{"FirstName":"Ann","LastName":"Lee","Gender":"{{new string('x', 100_000)}}"}""";

        await (await http.Put("/api/v1/clients/EX1", huge)).Problem(413);
        Assert.Equal(0, server.Count($"SELECT COUNT(*) FROM clients c JOIN agencies a ON a.id = c.agency_id WHERE a.name = '{agency}'"));
    }

    [Theory]
    [InlineData("GET", "/api/v1/nothing-here", 404)]
    [InlineData("GET", "/api/v1/clients/EX1/boats", 404)]
    [InlineData("PUT", "/api/v1/clients/EX1/boats/B1", 404)]
    [InlineData("DELETE", "/api/v1/clients/EX1", 405)]
    [InlineData("GET", "/api/v1/clients/NOPE", 404)]
    [InlineData("GET", "/api/v1/clients/NOPE/messages", 404)]
    [InlineData("GET", "/api/v1/sync/jobs/nope", 404)]
    [InlineData("GET", "/api/v1/clients/EX1?asOf=yesterday", 400)]
    [InlineData("GET", "/api/v1/clients?limit=lots", 400)]
    [InlineData("GET", "/api/v1/clients?after=%%%", 400)]
    public async Task Unknown_routes_and_resources_are_problems(string method, string path, int status)
    {
        using var http = await server.ForAsync(CaselineServer.NewAgency());
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "PUT")
        {
            request.Content = Http.Json("""{"Make":"x"}""");
        }

        await (await http.SendAsync(request, TestContext.Current.CancellationToken)).Problem(status);
    }

    [Fact]
    public async Task An_item_of_an_unknown_client_is_a_404_and_stores_nothing()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);

        await (await http.Put("/api/v1/clients/NOPE/addresses/A1", """{"AddressType":"Home","Address":"1 Main"}""")).Problem(404);
        await (await http.Delete("/api/v1/clients/NOPE/addresses/A1")).Problem(404);

        Assert.Empty(server.Log(agency));
    }

    [Fact]
    public async Task A_request_without_credentials_is_a_401()
    {
        using var http = server.CreateClient();

        var response = await http.Get("/api/v1/clients");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private (long Clients, long Sections, long Messages) Snapshot(string agency) =>
        (server.Count($"SELECT COUNT(*) FROM clients c JOIN agencies a ON a.id = c.agency_id WHERE a.name = '{agency}'"),
         server.Count($"SELECT COUNT(*) FROM sections s JOIN agencies a ON a.id = s.agency_id WHERE a.name = '{agency}'"),
         server.Count($"SELECT COUNT(*) FROM messages m JOIN agencies a ON a.id = m.agency_id WHERE a.name = '{agency}'"));
}
