using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Caseline.Server.Tests;

/// <summary>
/// A property name that is not a field of the body's sections is refused on every body the Sync API takes, naming the
/// closest known field: a misspelling is never read as "absent", so it can never null a stored value.
/// </summary>
public sealed class UnknownPropertyTests(CaselineServer server) : IClassFixture<CaselineServer>
{
    private const string Stored = """{"FirstName":"John","LastName":"Farmer","DateOfBirth":"1975-07-04","Status":"Active","Email":"john@farmer.example"}""";

    private static readonly (string Path, string Body)[] StoredItems =
    [
        ("addresses/A1", """{"AddressType":"Home","Address":"1 Main St"}"""),
        ("contacts/P1", """{"ContactType":"MobilePhone","Contact":"555-0100"}"""),
        ("vehicles/V1", """{"Make":"Ford","Color":"Red"}"""),
        ("employers/E1", """{"Employer":"Acme","Wage":12.5}"""),
        ("cases/K1", """{"CaseNumber":"K1","Offenses":[{"Label":"Theft","IsPrimary":true}]}"""),
        ("protectiveOrders/O1", """{"OrderType":"Stay away","NoContact":true}"""),
    ];

    public static TheoryData<string, string, string, string, string> Misspelt => new()
    {
        { "PUT", "/api/v1/clients/KNOWN", """{"FirstName":"John","LastName":"Farmer","DateOfBrith":"1975-07-04"}""",
            "DateOfBrith", "DateOfBrith is not a field of a client profile; did you mean DateOfBirth?" },
        { "PUT", "/api/v1/clients/KNOWN", """{"FirstName":"John","MiddleName":"Q","LastName":"Farmer"}""",
            "MiddleName", "MiddleName is not a field of a client profile" },
        { "PUT", "/api/v1/clients/KNOWN", """{"Status":"Inactive","AssignedOfficr":"ann@county.example"}""",
            "AssignedOfficr", "AssignedOfficr is not a field of a client profile; did you mean AssignedOfficer?" },
        { "POST", "/api/v1/clients", """{"IntegrationId":"NEW","FirstName":"Ann","LastName":"Lee","Emial":"ann@lee.example"}""",
            "Emial", "Emial is not a field of a client profile; did you mean Email?" },
        { "PUT", "/api/v1/clients/KNOWN/addresses/A1", """{"AddressType":"Home","Adress":"2 Main St"}""",
            "Adress", "Adress is not a field of Address Details; did you mean Address?" },
        { "PUT", "/api/v1/clients/KNOWN/contacts/P1", """{"ContactType":"MobilePhone","Contact":"555-0199","Extension":"12"}""",
            "Extension", "Extension is not a field of Contact Details" },
        { "PUT", "/api/v1/clients/KNOWN/vehicles/V1", """{"Make":"Ford","Colour":"Blue"}""",
            "Colour", "Colour is not a field of Vehicle Details; did you mean Color?" },
        { "PUT", "/api/v1/clients/KNOWN/employers/E1", """{"Employer":"Acme","Wages":15}""",
            "Wages", "Wages is not a field of Employment Details; did you mean Wage?" },
        { "PUT", "/api/v1/clients/KNOWN/cases/K1", """{"CaseNumber":"K1","Offenses":[{"Label":"Theft","IsPrimary":true},{"Lable":"Fraud"}]}""",
            "Offenses[1].Lable", "Lable is not a field of Offenses; did you mean Label?" },
        { "PUT", "/api/v1/clients/KNOWN/cases/K1", """{"CaseNumber":"K1","CaseDates":"2020-01-01"}""",
            "CaseDates", "CaseDates is not a field of Case Details; did you mean CaseDate?" },
        { "PUT", "/api/v1/clients/KNOWN/protectiveOrders/O1", """{"OrderType":"Stay away","NoContacts":false}""",
            "NoContacts", "NoContacts is not a field of Protective Order Details; did you mean NoContact?" },
    };

    [Theory]
    [MemberData(nameof(Misspelt))]
    public async Task A_property_that_is_no_field_is_refused_by_name_with_the_closest_field_and_nothing_changes(
        string method, string path, string body, string key, string message)
    {
        var agency = CaselineServer.NewAgency();
        using var http = await StoredClientAsync(agency);
        var before = await ProfileAsync(http);
        var logged = server.Log(agency).Count;

        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = Http.Json(body) };
        var problem = await (await http.SendAsync(request, TestContext.Current.CancellationToken)).Problem(400);

        Assert.Equal([message], problem["errors"]![key]!.AsArray().Select(m => (string)m!));
        Assert.True(JsonNode.DeepEquals(before, await ProfileAsync(http)), "the stored profile changed");
        Assert.Equal(logged, server.Log(agency).Count);
        Assert.Equal(HttpStatusCode.NotFound, (await http.Get("/api/v1/clients/NEW")).StatusCode);
    }

    [Fact]
    public async Task Every_unknown_property_of_a_body_is_named_and_no_value_is_echoed()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await StoredClientAsync(agency);

        var problem = await (await http.Put("/api/v1/clients/KNOWN", """{"FirstName":"John","LastName":"Farmer","DateOfBrith":"1975-07-04","Gendre":"Male","ShoeSize":"11"}""")).Problem(400);

        var errors = problem["errors"]!.AsObject();
        Assert.Equal(["DateOfBrith", "Gendre", "ShoeSize"], errors.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Equal("Gendre is not a field of a client profile; did you mean Gender?", (string?)errors["Gendre"]![0]);
        Assert.DoesNotContain("1975-07-04", problem.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Male", problem.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Names_in_any_case_and_the_documented_aliases_are_still_fields()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await StoredClientAsync(agency);

        Assert.Equal(HttpStatusCode.OK, (await http.Put("/api/v1/clients/KNOWN", """{"firstname":"John","LASTNAME":"Farmer","dateofbirth":"1975-07-04","Ethnicity":"Hispanic"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.Put("/api/v1/clients/KNOWN", """{"FirstName":"John","LastName":"Farmer","DateOfBirth":"1975-07-04","Ethinicity":"Hispanic"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.Put("/api/v1/clients/KNOWN/protectiveOrders/O1", """{"ordertype":"Stay away","StayAwayLocations":"The school"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.Put("/api/v1/clients/KNOWN/cases/K1", """{"CaseNumber":"K1","Offenses":[{"label":"Theft","statute":"18-4-401"}]}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.Put("/api/v1/clients/KNOWN/addresses/A1", """{"SubType":"Address Details","IntegrationId":"A1","AddressType":"Home","Address":"1 Main St"}""")).StatusCode);

        var profile = await ProfileAsync(http);
        Assert.Equal("Hispanic", (string?)profile["Ethinicity"]);
        Assert.Equal("1975-07-04", (string?)profile["DateOfBirth"]);
        Assert.Equal("The school", (string?)profile["ProtectiveOrders"]![0]!["StayAwayLocation"]);
        Assert.Equal("18-4-401", (string?)profile["Cases"]![0]!["Offenses"]![0]!["Statute"]);
    }

    [Fact]
    public async Task A_bulk_sync_line_with_an_unknown_property_is_a_line_error_and_the_rest_of_the_file_goes_on()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await StoredClientAsync(agency);
        var before = await ProfileAsync(http);
        var logged = server.Log(agency).Count;
        var lines = new[]
        {
            """{"IntegrationId":"B1","FirstName":"Ann","LastName":"Lee"}""",
            """{"IntegrationId":"KNOWN","FirstName":"John","LastName":"Farmer","DateOfBrith":"1975-07-04"}""",
            """{"IntegrationId":"B3","FirstName":"Bo","LastName":"Ray","Adresses":[]}""",
            """{"IntegrationId":"B4","FirstName":"Cy","LastName":"Day","Vehicles":[{"IntegrationId":"V1","Make":"Ford","Colour":"Red"}]}""",
            """{"IntegrationId":"B5","FirstName":"Di","LastName":"Fay","Cases":[{"CaseNumber":"K9","Offenses":[{"Lable":"Theft"}]}]}""",
            """{"IntegrationId":"B6","FirstName":"Ed","LastName":"Gray"}""",
        };

        var job = await RunJobAsync(http, string.Join('\n', lines));

        Assert.Equal("Completed", (string?)job["State"]);
        Assert.Equal(2, (long)job["Created"]!);
        Assert.Equal(4, (long)job["Invalid"]!);
        var errors = job["Errors"]!.AsArray().ToDictionary(e => (long)e!["Line"]!, e => e!["Errors"]!.AsObject());
        Assert.Equal([2L, 3, 4, 5], errors.Keys);
        Assert.Equal("DateOfBrith is not a field of a client profile; did you mean DateOfBirth?", (string?)errors[2]["DateOfBrith"]![0]);
        Assert.Equal("Adresses is not a field of a client profile; did you mean Addresses?", (string?)errors[3]["Adresses"]![0]);
        Assert.Equal("Colour is not a field of Vehicle Details; did you mean Color?", (string?)errors[4]["Vehicles[0].Colour"]![0]);
        Assert.Equal("Lable is not a field of Offenses; did you mean Label?", (string?)errors[5]["Cases[0].Offenses[0].Lable"]![0]);
        Assert.DoesNotContain("1975-07-04", job.ToJsonString(), StringComparison.Ordinal);

        Assert.True(JsonNode.DeepEquals(before, await ProfileAsync(http)), "the stored profile changed");
        Assert.Equal(["B1", "B6"], server.Log(agency).Skip(logged).Select(m => m.ClientId).Distinct());
    }

    /// <summary>Client KNOWN with every section and one item of each collection.</summary>
    private async Task<HttpClient> StoredClientAsync(string agency)
    {
        var http = await server.ForAsync(agency);
        Assert.Equal(HttpStatusCode.Created, (await http.Put("/api/v1/clients/KNOWN", Stored)).StatusCode);
        foreach (var (path, body) in StoredItems)
        {
            Assert.Equal(HttpStatusCode.Created, (await http.Put($"/api/v1/clients/KNOWN/{path}", body)).StatusCode);
        }

        return http;
    }

    private static async Task<JsonObject> ProfileAsync(HttpClient http) => await (await http.Get("/api/v1/clients/KNOWN")).ReadObject();

    private static async Task<JsonObject> RunJobAsync(HttpClient http, string ndjson)
    {
        using var content = new StringContent(ndjson, Encoding.UTF8);
        content.Headers.ContentType = Http.NdJson;
        var accepted = await http.PostAsync("/api/v1/sync/clients", content, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var location = accepted.Headers.Location!.ToString();
        while (true)
        {
            var job = await (await http.Get(location)).ReadObject();
            if ((string?)job["State"] is "Completed" or "Failed")
            {
                return job;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
