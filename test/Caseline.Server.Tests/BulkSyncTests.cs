using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Caseline.Server.Tests;

/// <summary>Bulk full sync makes each stored profile equal to the one given, emitting only real differences.</summary>
public sealed class BulkSyncTests(CaselineServer server) : IClassFixture<CaselineServer>
{
    private static string Profile(int i, bool changed = false, bool dropVehicle = false)
    {
        var vehicle = dropVehicle ? "" : $$""","Vehicles":[{"IntegrationId":"V{{i}}","Make":"Ford","Year":"20{{i % 25:00}}"}]""";
        return $$"""{"IntegrationId":"C{{i:00000}}","FirstName":"First{{i}}","LastName":"Last{{i}}","Status":"Active","AssignedCaseload":"Load{{i % 7}}","Email":"c{{i}}@example.org","Addresses":[{"IntegrationId":"A{{i}}","AddressType":"Home","Address":"{{i}} Main St{{(changed ? " Apt 2" : "")}}"}],"Cases":[{"CaseNumber":"K{{i}}","Offenses":[{"Label":"Theft","IsPrimary":true}]}]{{vehicle}}}""";
    }

    private static async Task<JsonObject> RunJob(HttpClient http, string ndjson)
    {
        var content = new StringContent(ndjson, Encoding.UTF8);
        content.Headers.ContentType = Http.NdJson;
        var accepted = await http.PostAsync("/api/v1/sync/clients", content, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var location = accepted.Headers.Location!.ToString();
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var job = await (await http.Get(location)).ReadObject();
            if ((string?)job["State"] is "Completed" or "Failed")
            {
                return job;
            }

            Assert.True(DateTime.UtcNow < deadline, "the job did not finish in time");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task Ten_thousand_profiles_then_the_same_again_then_one_percent_changed()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        const int count = 10_000;
        var file = string.Join('\n', Enumerable.Range(0, count).Select(i => Profile(i))) + "\n";

        var first = await RunJob(http, file);

        Assert.Equal("Completed", (string?)first["State"]);
        Assert.Equal(count, (long)first["Created"]!);
        // Personal, Account and Email Details, one address, one case (its offense rides inside it), one vehicle.
        Assert.Equal(count * 6L, (long)first["MessagesWritten"]!);
        var afterFirst = server.Log(agency).Count;
        Assert.Equal(count * 6, afterFirst);

        var second = await RunJob(http, file);

        Assert.Equal(count, (long)second["Unchanged"]!);
        Assert.Equal(0, (long)second["MessagesWritten"]!);
        Assert.Equal(afterFirst, server.Log(agency).Count);

        // 1%: fifty addresses change, fifty vehicles disappear.
        var third = await RunJob(http, string.Join('\n', Enumerable.Range(0, count).Select(i => Profile(i, changed: i % 200 == 0, dropVehicle: i % 200 == 100))));

        Assert.Equal(100, (long)third["Updated"]!);
        Assert.Equal(count - 100, (long)third["Unchanged"]!);
        Assert.Equal(50, (long)third["ItemsRemoved"]!);
        var added = server.Log(agency).Skip(afterFirst).ToList();
        Assert.Equal(100, added.Count);
        Assert.Equal(50, added.Count(m => m.Message.Action.Reason == "Address Details Updated" && m.ClientId.EndsWith("00", StringComparison.Ordinal)));
        Assert.Equal(50, added.Count(m => m.Message.Action.Reason == "Vehicle Details Removed"));
    }

    [Fact]
    public async Task Invalid_lines_are_counted_with_reasons_and_change_nothing()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        var lines = new[]
        {
            Profile(1),
            "{not json",
            """{"FirstName":"No","LastName":"Id"}""",
            """{"IntegrationId":"BAD","FirstName":"<x>","LastName":"y"}""",
            "",
            """{"IntegrationId":"DUP","FirstName":"A","LastName":"B","Addresses":[{"IntegrationId":"A1","AddressType":"Home","Address":"x"},{"IntegrationId":"A1","AddressType":"Home","Address":"y"}]}""",
            "[1,2,3]",
            Profile(2),
        };

        var job = await RunJob(http, string.Join("\r\n", lines));

        Assert.Equal("Completed", (string?)job["State"]);
        Assert.Equal(2, (long)job["Created"]!);
        Assert.Equal(5, (long)job["Invalid"]!);
        Assert.Equal(8, (long)job["TotalLines"]!);
        var errors = job["Errors"]!.AsArray();
        Assert.Equal([2L, 3, 4, 6, 7], errors.Select(e => (long)e!["Line"]!));
        Assert.Equal("FirstName contains some characters which are not allowed", (string?)errors[2]!["Errors"]!["FirstName"]![0]);
        Assert.Equal("IntegrationId is invalid", (string?)errors[3]!["Errors"]!["Addresses[1].IntegrationId"]![0]);
        Assert.DoesNotContain("<x>", job.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(["C00001", "C00002"], server.Log(agency).Select(m => m.ClientId).Distinct());
    }

    [Fact]
    public async Task A_restarted_server_resumes_an_unfinished_job_after_its_last_committed_line()
    {
        var agency = CaselineServer.NewAgency();
        var first = new CaselineServer { DeleteDataOnDispose = false };
        using (var http = await first.ForAsync(agency))
        {
            await http.Get("/api/v1/clients"); // the agency exists from its first request
        }

        await first.DisposeAsync();

        // As a crash would leave it: lines 1-4 committed (with their counts), 5-10 not yet.
        Directory.CreateDirectory(Path.Combine(first.DataDirectory, "sync"));
        await File.WriteAllTextAsync(
            Path.Combine(first.DataDirectory, "sync", "resumed.ndjson"),
            string.Join('\n', Enumerable.Range(1, 10).Select(i => Profile(i))),
            TestContext.Current.CancellationToken);
        first.Execute(
            $"INSERT INTO sync_jobs (id, agency_id, state, updated_by, created_at, started_at, total_lines, lines_done, created) " +
            $"SELECT 'resumed', id, 'Running', 'officer@county.org', 1, 1, 10, 4, 4 FROM agencies WHERE name = '{agency}'");

        await using var second = CaselineServer.OnData(first.DataDirectory);
        using var client = await second.ForAsync(agency);
        var deadline = DateTime.UtcNow.AddMinutes(1);
        JsonObject job;
        do
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
            job = await (await client.Get("/api/v1/sync/jobs/resumed")).ReadObject();
            Assert.True(DateTime.UtcNow < deadline, "the job was not resumed");
        }
        while ((string?)job["State"] != "Completed");

        Assert.Equal(10, (long)job["Created"]!);
        Assert.Equal(10, (long)job["LinesProcessed"]!);
        Assert.Equal(Enumerable.Range(5, 6).Select(i => $"C{i:00000}"), second.Log(agency).Select(m => m.ClientId).Distinct());
        Assert.False(File.Exists(Path.Combine(first.DataDirectory, "sync", "resumed.ndjson")));
    }

    [Fact]
    public async Task A_sync_upload_must_be_ndjson()
    {
        using var http = await server.ForAsync(CaselineServer.NewAgency());

        var response = await http.PostAsync("/api/v1/sync/clients", Http.Json("{}"), TestContext.Current.CancellationToken);

        await response.Problem(415);
    }

    [Fact]
    public async Task Jobs_are_listed_and_belong_to_their_agency()
    {
        var agency = CaselineServer.NewAgency();
        using var http = await server.ForAsync(agency);
        var job = await RunJob(http, Profile(3));
        using var other = await server.ForAsync(CaselineServer.NewAgency());

        var mine = await (await http.Get("/api/v1/sync/jobs")).Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var theirs = await other.Get($"/api/v1/sync/jobs/{job["Id"]}");

        Assert.Contains((string)job["Id"]!, mine, StringComparison.Ordinal);
        await theirs.Problem(404);
    }
}
