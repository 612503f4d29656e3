using System.Text;
using Caseline.Client.Tests;
using Caseline.Server.Tests;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Caseline.Cli.Tests;

public sealed class SyncCommandTests(CaselineServer server) : IClassFixture<CaselineServer>
{
    [Fact]
    public async Task A_push_of_ten_thousand_lines_reports_each_invalid_line_by_its_number()
    {
        using var user = await new CliUser(server).LoggedInAsync();
        var invalid = new Dictionary<long, string>
        {
            [17] = """{"IntegrationId":"X17","FirstName":"Ann","LastName":"Lee","Email":"not-an-address"}""",
            [2048] = """{"IntegrationId":"X2048","FirstName":"Ann","LastName":"Lee","DateOfBirth":"1980-02-30"}""",
            [5000] = """{"FirstName":"Ann","LastName":"Lee"}""",
            [7777] = """{"IntegrationId":"X7777", "FirstName": """,
            [9999] = """{"IntegrationId":"X9999","FirstName":"Ann","LastName":"Lee","Addresses":[{"IntegrationId":"H","AddressType":"Castle","Address":"1 Main"}]}""",
        };
        var file = new StringBuilder();
        for (long line = 1; line <= 10_000; line++)
        {
            file.Append(invalid.GetValueOrDefault(line, $$"""{"IntegrationId":"P{{line}}","FirstName":"Ann","LastName":"Lee{{line}}","Status":"Active","Addresses":[{"IntegrationId":"H","AddressType":"Home","Address":"{{line}} Main St"}]}""")).Append('\n');
        }

        var result = await user.RunAsync("sync", "push", user.WriteFile("export.ndjson", file.ToString()), "-o", "json");

        Assert.True(result.ExitCode == 4, result.ToString());
        var report = result.Lines.Single();
        Assert.Equal("Completed", (string)report["State"]!);
        Assert.Equal(10_000, (long)report["Read"]!);
        Assert.Equal(9_995, (long)report["Created"]!);
        Assert.Equal(5, (long)report["Invalid"]!);
        Assert.Equal(9_995 * 3, (long)report["MessagesWritten"]!);
        var errors = report["Errors"]!.AsArray();
        Assert.Equal(invalid.Keys, errors.Select(e => (long)e!["Line"]!));
        Assert.Equal("Email is invalid", (string)errors[0]!["Errors"]!["Email"]![0]!);
        Assert.Equal("IntegrationId is required", (string)errors[2]!["Errors"]!["IntegrationId"]![0]!);
        Assert.Equal("The line is not valid JSON", (string)errors[3]!["Errors"]![""]![0]!);
        Assert.Equal(9_995 * 3, server.Log(user.Agency).Count);
    }

    [Fact]
    public async Task A_csv_export_is_read_by_its_header_with_quoted_cells_and_collections_as_json()
    {
        using var user = await new CliUser(server).LoggedInAsync();
        var csv = user.WriteFile("export.csv", """
            IntegrationId,FirstName,LastName,Status,AssignedOfficer,Email,Addresses
            C1,Ann,"Lee, Jr",Active,Ortiz,ann@lee.co,"[{""IntegrationId"":""H1"",""AddressType"":""Home"",""Address"":""1 Main St""}]"
            C2,Bob,Ray,Inactive,,,"[{""IntegrationId"":""H1"",
              ""AddressType"":""Work"",""Address"":""2 Mill Rd""}]"
            C3,Cy,Sun,Retired,,,
            """.Replace("\r", "", StringComparison.Ordinal));

        var result = await user.RunAsync("sync", "push", csv, "--quiet");
        var c1 = await user.RunAsync("clients", "get", "C1", "-o", "json");
        var unknown = await user.RunAsync("sync", "push", user.WriteFile("odd.csv", "IntegrationId,ShoeSize\nC9,12\n"));

        Assert.True(result.ExitCode == 4, result.ToString());
        Assert.Matches(@"│ 5\s+│ C3\s+│ Status", result.Error);
        var profile = c1.Lines.Single();
        Assert.Equal("Lee, Jr", (string)profile["LastName"]!);
        Assert.Equal("1 Main St", (string)profile["Addresses"]![0]!["Address"]!);
        Assert.Equal("2 Mill Rd", (string)(await user.RunAsync("clients", "get", "C2", "-o", "json")).Lines.Single()["Addresses"]![0]!["Address"]!);
        Assert.Equal(4, unknown.ExitCode);
        Assert.Contains("unknown column ShoeSize", unknown.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dry_run_checks_every_line_and_sends_nothing()
    {
        using var user = await new CliUser(server).LoggedInAsync();
        var file = user.WriteFile("export.ndjson", """
            {"IntegrationId":"C1","FirstName":"Ann","LastName":"Lee"}

            {"IntegrationId":"C2","FirstName":"Bob","LastName":"Ray","Email":"bob@"}
            """);
        var good = user.WriteFile("good.ndjson", """{"IntegrationId":"C1","FirstName":"Ann","LastName":"Lee"}""");

        var dry = await user.RunAsync("sync", "push", file, "--dry-run", "-o", "json");
        var clean = await user.RunAsync("sync", "push", good, "--dry-run");

        Assert.Equal(4, dry.ExitCode);
        var report = dry.Lines.Single();
        Assert.Equal("DryRun", (string)report["State"]!);
        Assert.Equal(3, (long)report["Errors"]![0]!["Line"]!);
        Assert.Equal(0, clean.ExitCode);
        Assert.Empty(server.Log(user.Agency));
    }

    [Fact]
    public async Task Diff_foretells_exactly_the_messages_the_sync_then_writes()
    {
        using var user = await new CliUser(server).LoggedInAsync();
        var before = user.WriteFile("before.ndjson", """
            {"IntegrationId":"C1","FirstName":"Ann","LastName":"Lee","Email":"ann@lee.co","Addresses":[{"IntegrationId":"H1","AddressType":"Home","Address":"1 Main St"},{"IntegrationId":"W1","AddressType":"Work","Address":"9 Mill Rd"}]}
            {"IntegrationId":"C2","FirstName":"Bob","LastName":"Ray","Status":"Active"}
            {"IntegrationId":"C3","FirstName":"Cy","LastName":"Sun"}
            """);
        Assert.Equal(0, (await user.RunAsync("sync", "push", before, "--quiet")).ExitCode);
        var head = server.Log(user.Agency).Count;
        var after = user.WriteFile("after.ndjson", """
            {"IntegrationId":"C1","FirstName":"Ann","LastName":"Lee-Ray","Addresses":[{"IntegrationId":"H1","AddressType":"Home","Address":"1 Main St"},{"IntegrationId":"H2","AddressType":"Other","Address":"4 Elm"}]}
            {"IntegrationId":"C2","FirstName":"Bob","LastName":"Ray","Status":"Active"}
            {"IntegrationId":"C4","FirstName":"Di","LastName":"Fox","Contacts":[{"IntegrationId":"M","ContactType":"MobilePhone","Contact":"555-0100"}]}
            """);

        var diff = await user.RunAsync("diff", after, "-o", "json");
        var table = await user.RunAsync("diff", after);
        Assert.Equal(head, server.Log(user.Agency).Count);
        var push = await user.RunAsync("sync", "push", after, "-o", "json", "--quiet");
        var nothing = await user.RunAsync("diff", after);

        Assert.True(diff.ExitCode == 0, diff.ToString());
        var foretold = diff.Lines.Select(c => $"{c["ClientId"]} {c["SubType"]} {c["ItemId"]} {c["Verb"]}").ToList();
        var written = server.Log(user.Agency).Skip(head)
            .Select(m => $"{m.ClientId} {m.Message.Details.SubType} {(m.Message.Details as Caseline.Messages.ItemDetails)?.IntegrationId} {m.Message.Verb}").ToList();
        Assert.Equal(written, foretold);
        Assert.Equal(
            ["C1 Personal Details  Updated", "C1 Email Details  Removed", "C1 Address Details H2 Created", "C1 Address Details W1 Removed",
             "C4 Personal Details  Created", "C4 Contact Details M Created"],
            foretold);
        Assert.Equal(["LastName"], diff.Lines[0]["Fields"]!.AsArray().Select(f => (string)f!));
        Assert.Contains("3 profiles: 1 new, 1 changed, 1 unchanged; 1 items removed; 6 messages.", table.Error, StringComparison.Ordinal);
        var job = push.Lines.Single();
        Assert.Equal((1L, 1L, 1L, 1L, 6L), ((long)job["Created"]!, (long)job["Updated"]!, (long)job["Unchanged"]!, (long)job["ItemsRemoved"]!, (long)job["MessagesWritten"]!));
        Assert.Contains("No changes", nothing.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_checks_messages_and_profiles_offline_by_line()
    {
        using var user = await new CliUser(server).LoggedInAsync();
        await user.RunAsync("clients", "put", "C1", "--set", "FirstName=Ann", "--set", "LastName=Lee");
        var message = Encoding.UTF8.GetString(server.Log(user.Agency).Single().Body);
        var lines = user.WriteFile("mixed.ndjson", string.Join('\n',
            message,
            message.Replace("\"Ann\"", "\"<b>Ann</b>\"", StringComparison.Ordinal),
            """{"IntegrationId":"C2","FirstName":"Bob","LastName":"Ray"}""",
            """{"Client":{"IntegrationId":"C1"},"Activity":{"Identifier":"not-a-uuid","Type":"ClientProfile"}}""",
            """{"IntegrationId":"C3","TimeZone":"Mars Standard Time","FirstName":"Cy","LastName":"Sun"}"""));
        var array = user.WriteFile("messages.json", $"[{message},{message}]");
        user.Environment["CASELINE_URL"] = "http://127.0.0.1:9/";

        var mixed = await user.RunAsync("validate", lines, "-o", "json");
        var valid = await user.RunAsync("validate", array);

        Assert.Equal(4, mixed.ExitCode);
        Assert.Equal([2L, 4, 5], mixed.Lines.Select(e => (long)e["Line"]!));
        Assert.True(mixed.Lines[0]["Errors"]!.AsObject().ContainsKey("Details.FirstName"), mixed.Out);
        Assert.Equal(0, valid.ExitCode);
        Assert.Contains("2 documents: 2 valid, 0 invalid.", valid.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Diff_waits_out_a_429_for_the_time_the_server_asks_says_so_and_goes_on()
    {
        var faults = new Faults();
        await using var limited = CaselineServer.With(services: s => s.AddSingleton<IStartupFilter>(faults));
        using var user = await new CliUser(limited).LoggedInAsync();
        var file = user.WriteFile("all.ndjson", string.Join('\n', Enumerable.Range(1, 20).Select(i => $$"""{"IntegrationId":"C{{i}}","FirstName":"F{{i}}","LastName":"L{{i}}"}""")));
        faults.Answer("GET", "/api/v1/clients/C7", 429, times: 2, retryAfter: "1");

        var diff = await user.RunAsync("diff", file, "-o", "json");

        Assert.True(diff.ExitCode == 0, diff.ToString());
        Assert.Equal(3, faults.Count("GET", "/api/v1/clients/C7"));
        Assert.Equal(20, diff.Lines.Count);
        Assert.Contains("note: the server's rate limit was reached (HTTP 429); waiting 1 s as the server asked (attempt 2 of 5).", diff.Error, StringComparison.Ordinal);
        Assert.Contains("20 profiles: 20 new", diff.Error, StringComparison.Ordinal);
    }
}
