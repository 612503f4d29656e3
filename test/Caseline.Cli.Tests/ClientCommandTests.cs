using Caseline.Server.Tests;

namespace Caseline.Cli.Tests;

public sealed class ClientCommandTests(CaselineServer server) : IClassFixture<CaselineServer>
{
    [Fact]
    public async Task Put_get_and_list_show_the_profile_as_a_table_or_as_json()
    {
        using var user = await new CliUser(server).LoggedInAsync();
        var body = user.WriteFile("ann.json", """{"FirstName":"Ann","LastName":"Lee","Status":"Active","AssignedOfficer":"Ortiz","Email":"ann@lee.co"}""");

        var put = await user.RunAsync("clients", "put", "C1", "--file", body);
        await user.RunAsync("clients", "put", "C2", "--set", "FirstName=Bob", "--set", "LastName=Ray", "--set", "Status=Inactive");
        var table = await user.RunAsync("clients", "get", "C1");
        var json = await user.RunAsync("clients", "get", "C1", "-o", "json");
        var active = await user.RunAsync("clients", "list", "--status", "Active", "-o", "json");
        var all = await user.RunAsync("clients", "list");

        Assert.True(put.ExitCode == 0, put.ToString());
        Assert.Contains("Created client C1.", put.Error, StringComparison.Ordinal);
        Assert.Contains("Personal Details", table.Out, StringComparison.Ordinal);
        Assert.Contains("Email: ann@lee.co", table.Out, StringComparison.Ordinal);
        var profile = Assert.Single(json.Lines);
        Assert.Equal("C1", (string)profile["IntegrationId"]!);
        Assert.Equal("Ortiz", (string)profile["AssignedOfficer"]!);
        Assert.Equal(["C1"], active.Lines.Select(l => (string)l["IntegrationId"]!));
        Assert.Contains("C2", all.Out, StringComparison.Ordinal);
        Assert.Contains("2 clients.", all.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Set_alone_changes_only_the_fields_it_names_and_emits_one_message()
    {
        using var user = await new CliUser(server).LoggedInAsync();
        await user.RunAsync("clients", "put", "C1", "--set", "FirstName=Ann", "--set", "LastName=Lee", "--set", "Email=ann@lee.co");

        var put = await user.RunAsync("clients", "put", "C1", "--set", "DateOfBirth=1980-02-03");
        var again = await user.RunAsync("clients", "put", "C1", "--set", "DateOfBirth=1980-02-03");

        Assert.True(put.ExitCode == 0, put.ToString());
        Assert.Equal(0, again.ExitCode);
        var log = server.Log(user.Agency);
        Assert.Equal(["Personal Details Created", "Email Details Created", "Personal Details Updated"], log.Select(m => m.Message.Action.Reason));
        Assert.Equal("Ann", ((Caseline.Messages.PersonalDetails)log[^1].Message.Details).FirstName);
    }

    [Fact]
    public async Task An_invalid_field_exits_4_with_the_guide_s_message_and_stores_nothing()
    {
        using var user = await new CliUser(server).LoggedInAsync();

        var local = await user.RunAsync("clients", "put", "C1", "--set", "FirstName=Ann", "--set", "LastName=Lee", "--set", "Email=not-an-address");
        var item = await user.RunAsync("items", "put", "C1", "vehicles", "V1", "--set", "Make=Ford", "--set", "Year:=[1]");
        var json = await user.RunAsync("clients", "put", "C1", "--file", user.WriteFile("bad.json", "{not json"));

        Assert.Equal(4, local.ExitCode);
        Assert.Contains("Email: Email is invalid", local.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("not-an-address", local.Error, StringComparison.Ordinal);
        Assert.Equal(4, item.ExitCode);
        Assert.Equal(4, json.ExitCode);
        Assert.Empty(server.Log(user.Agency));
    }

    [Fact]
    public async Task Items_are_put_and_deleted_and_a_missing_one_is_an_error()
    {
        using var user = await new CliUser(server).LoggedInAsync();
        await user.RunAsync("clients", "put", "C1", "--set", "FirstName=Ann", "--set", "LastName=Lee");

        var add = await user.RunAsync("items", "put", "C1", "addresses", "H1", "--set", "AddressType=Home", "--set", "Address=1 Main St");
        var change = await user.RunAsync("items", "put", "C1", "addresses", "H1", "--set", "Address=2 Main St", "-o", "json");
        var wage = await user.RunAsync("items", "put", "C1", "employers", "E1", "--set", "Employer=Acme", "--set", "Wage:=18.50");
        var delete = await user.RunAsync("items", "delete", "C1", "addresses", "H1");
        var missing = await user.RunAsync("items", "delete", "C1", "addresses", "H1");

        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Equal("Home", (string)change.Lines.Single()["AddressType"]!);
        Assert.True(wage.ExitCode == 0, wage.ToString());
        Assert.Equal(0, delete.ExitCode);
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal(
            ["Personal Details Created", "Address Details Created", "Address Details Updated", "Employment Details Created", "Address Details Removed"],
            server.Log(user.Agency).Select(m => m.Message.Action.Reason));
    }

    [Fact]
    public async Task Timeline_and_as_of_show_the_client_s_history()
    {
        using var user = await new CliUser(server).LoggedInAsync();
        await user.RunAsync("clients", "put", "C1", "--set", "FirstName=Ann", "--set", "LastName=Lee");
        await Task.Delay(50, TestContext.Current.CancellationToken);
        var between = DateTimeOffset.UtcNow;
        await Task.Delay(50, TestContext.Current.CancellationToken);
        await user.RunAsync("clients", "put", "C1", "--set", "LastName=Lee-Ray");

        var timeline = await user.RunAsync("timeline", "C1", "-o", "json");
        var newest = await user.RunAsync("timeline", "C1", "--newest-first");
        var then = await user.RunAsync("profile", "C1", "--as-of", between.ToString("O"), "-o", "json");
        var before = await user.RunAsync("profile", "C1", "--as-of", "2000-01-01T00:00:00Z");
        var none = await user.RunAsync("timeline", "NOBODY");

        Assert.Equal([1L, 2], timeline.Lines.Select(l => (long)l["Position"]!));
        Assert.Equal("Lee-Ray", (string)timeline.Lines[1]["Message"]!["Details"]!["LastName"]!);
        Assert.True(newest.Out.IndexOf("Updated", StringComparison.Ordinal) < newest.Out.IndexOf("Created", StringComparison.Ordinal));
        Assert.Equal("Lee", (string)then.Lines.Single()["LastName"]!);
        Assert.Equal(1, before.ExitCode);
        Assert.Equal(1, none.ExitCode);
    }

    [Fact]
    public async Task A_server_that_cannot_be_reached_exits_5()
    {
        using var user = await new CliUser(server).LoggedInAsync();
        user.Environment["CASELINE_URL"] = "http://127.0.0.1:9/";

        var result = await user.RunAsync("clients", "get", "C1");

        Assert.Equal(5, result.ExitCode);
        Assert.Contains("error:", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_officer_of_another_agency_cannot_read_the_client()
    {
        using var owner = await new CliUser(server).LoggedInAsync();
        using var other = await new CliUser(server).LoggedInAsync();
        await owner.RunAsync("clients", "put", "SECRET1", "--set", "FirstName=Ann", "--set", "LastName=Lee");

        var read = await other.RunAsync("clients", "get", "SECRET1");

        Assert.Equal(1, read.ExitCode);
        Assert.DoesNotContain("Ann", read.Out + read.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_set_of_a_field_that_does_not_exist_exits_4_names_the_closest_field_and_sends_nothing()
    {
        using var user = await new CliUser(server).LoggedInAsync();
        await user.RunAsync("clients", "put", "C1", "--set", "FirstName=John", "--set", "LastName=Farmer", "--set", "DateOfBirth=1975-07-04");
        await user.RunAsync("items", "put", "C1", "vehicles", "V1", "--set", "Make=Ford", "--set", "Color=Red");
        var logged = server.Log(user.Agency).Count;

        var client = await user.RunAsync("clients", "put", "C1", "--set", "DateOfBrith=1980-02-03");
        var item = await user.RunAsync("items", "put", "C1", "vehicles", "V1", "--set", "Colour=Blue");

        Assert.Equal(4, client.ExitCode);
        Assert.Contains("The profile of C1 is invalid.", client.Error, StringComparison.Ordinal);
        Assert.Contains("DateOfBrith: DateOfBrith is not a field of a client profile; did you mean DateOfBirth?", client.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Saved", client.Error, StringComparison.Ordinal);
        Assert.Equal(4, item.ExitCode);
        Assert.Contains("Colour: Colour is not a field of Vehicle Details; did you mean Color?", item.Error, StringComparison.Ordinal);
        Assert.Equal(logged, server.Log(user.Agency).Count);
        var stored = Assert.Single((await user.RunAsync("clients", "get", "C1", "-o", "json")).Lines);
        Assert.Equal("1975-07-04", (string?)stored["DateOfBirth"]);
    }

    [Fact]
    public async Task Output_into_a_pipe_is_plain_lines_that_never_cut_an_identifier_or_a_json_value()
    {
        using var user = await new CliUser(server).LoggedInAsync();
        var clientId = "C-" + new string('7', 62);
        var caseId = "K-" + new string('9', 62);
        var label = "Unlawful possession of a controlled substance with intent to distribute";
        await user.RunAsync("clients", "put", clientId, "--set", "FirstName=John", "--set", "LastName=Farmer");
        await user.RunAsync("items", "put", clientId, "cases", caseId, "--set", "CaseNumber=K1", "--set", $$"""Offenses:=[{"Label":"{{label}}","IsPrimary":true}]""");

        var get = await CliProcess.RunAsync(user.ProcessEnvironment(), "clients", "get", clientId);
        var list = await CliProcess.RunAsync(user.ProcessEnvironment(), "clients", "list");

        Assert.True(get.ExitCode == 0, get.ToString());
        var lines = get.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("Section\tItem\tFields", lines[0]);
        var row = Assert.Single(lines, l => l.StartsWith("Case Details\t", StringComparison.Ordinal)).Split('\t');
        Assert.Equal(caseId, row[1]);
        Assert.Equal($$"""CaseNumber: K1; Offenses: [{"Label":"{{label}}","Date":null,"Statute":null,"Category":null,"IsPrimary":true}]""", row[2]);
        Assert.DoesNotContain("│", get.Out, StringComparison.Ordinal);
        Assert.Contains($"{clientId}\tJohn\tFarmer\t", list.Out, StringComparison.Ordinal);
    }
}
