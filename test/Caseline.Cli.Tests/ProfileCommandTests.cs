using System.Net.Http.Json;
using System.Runtime.Versioning;
using Caseline.Server.Tests;

namespace Caseline.Cli.Tests;

public sealed class ProfileCommandTests(CaselineServer server) : IClassFixture<CaselineServer>
{
    [Fact]
    [SupportedOSPlatform("linux")]
    public async Task Login_saves_a_profile_only_its_owner_can_read_and_never_prints_a_secret()
    {
        using var user = await new CliUser(server).LoggedInAsync();

        var list = await user.RunAsync("profiles", "list", "-o", "json");
        var show = await user.RunAsync("profiles", "show");
        var config = Path.Combine(user.ConfigDirectory, "config.json");

        Assert.Equal(0, list.ExitCode);
        var profile = Assert.Single(list.Lines);
        Assert.Equal("default", (string)profile["Name"]!);
        Assert.True((bool)profile["Current"]!);
        Assert.Equal("password", (string)profile["Grant"]!);
        Assert.True((bool)profile["PasswordStored"]!);
        Assert.Contains("stored", show.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(CaselineServer.Password, list.Out + list.Error + show.Out + show.Error, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(config));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(user.ConfigDirectory));
    }

    [Fact]
    public async Task A_wrong_password_exits_3_and_saves_nothing()
    {
        using var user = new CliUser(server);
        (await server.ForAsync(user.Agency)).Dispose();

        var login = await user.RunAsync("login", "--url", server.Url.ToString(), "--username", user.Login, "--password", "not-the-password");

        Assert.Equal(3, login.ExitCode);
        Assert.Contains("error:", login.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", login.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(user.ConfigDirectory, "config.json")));
    }

    [Fact]
    public async Task A_password_not_given_is_asked_for_at_a_terminal_and_refused_without_one()
    {
        using var user = new CliUser(server);
        (await server.ForAsync(user.Agency)).Dispose();

        var noTerminal = await user.RunAsync("login", "--url", server.Url.ToString(), "--username", user.Login);
        user.Typed.Add(CaselineServer.Password);
        var asked = await user.RunAsync("login", "--url", server.Url.ToString(), "--username", user.Login);

        Assert.Equal(2, noTerminal.ExitCode);
        Assert.Contains("CASELINE_PASSWORD", noTerminal.Error + (await user.RunAsync("login", "--help")).Out, StringComparison.Ordinal);
        Assert.True(asked.ExitCode == 0, asked.ToString());
        Assert.Contains($"Password for {user.Login}:", asked.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(CaselineServer.Password, asked.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_credentials_log_in_a_machine_client_and_profiles_switch_by_name()
    {
        using var user = await new CliUser(server).LoggedInAsync();
        using var admin = await server.ForAsync(user.Agency);
        var created = await (await admin.PostAsJsonAsync("/api/v1/admin/clients", new { Name = "Nightly CMS", ClientId = "cms-" + user.Agency }, TestContext.Current.CancellationToken)).ReadObject();

        var login = await user.RunAsync("login", "--profile", "machine", "--url", server.Url.ToString(), "--client-id", (string)created["ClientId"]!, "--client-secret", (string)created["Secret"]!);
        var put = await user.RunAsync("clients", "put", "M1", "--set", "FirstName=Ann", "--set", "LastName=Lee");
        await user.RunAsync("profiles", "use", "default");
        var asOfficer = await user.RunAsync("timeline", "M1", "-o", "json");

        Assert.True(login.ExitCode == 0, login.ToString());
        Assert.True(put.ExitCode == 0, put.ToString());
        Assert.Equal("Nightly CMS", (string)asOfficer.Lines.Single()["Message"]!["Action"]!["UpdatedBy"]!);
        Assert.False((bool)asOfficer.Lines.Single()["OwnEcho"]!);
        Assert.Equal(1, (await user.RunAsync("profiles", "use", "nowhere")).ExitCode);
    }

    [Fact]
    public async Task Environment_variables_stand_in_for_a_profile()
    {
        using var user = new CliUser(server);
        (await server.ForAsync(user.Agency)).Dispose();
        user.Environment["CASELINE_URL"] = server.Url.ToString();
        user.Environment["CASELINE_CLIENT_ID"] = "caseline";
        user.Environment["CASELINE_USERNAME"] = user.Login;
        user.Environment["CASELINE_PASSWORD"] = CaselineServer.Password;

        var put = await user.RunAsync("clients", "put", "E1", "--set", "FirstName=Eve", "--set", "LastName=Ng");
        user.Environment["CASELINE_PASSWORD"] = "wrong";
        var refused = await user.RunAsync("clients", "get", "E1");

        Assert.True(put.ExitCode == 0, put.ToString());
        Assert.Equal(3, refused.ExitCode);
        Assert.False(File.Exists(Path.Combine(user.ConfigDirectory, "config.json")));
    }

    [Fact]
    public async Task Without_a_profile_a_command_says_how_to_log_in_and_exits_3()
    {
        using var user = new CliUser(server);

        var result = await user.RunAsync("clients", "get", "X");

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("caseline login", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nonsense")]
    [InlineData("clients", "get")]
    [InlineData("tail", "--after", "soon")]
    [InlineData("items", "put", "C1", "pets", "P1")]
    [InlineData("tail", "--sub-type", "Pet Details")]
    [InlineData("clients", "list", "--output", "yaml")]
    public async Task Usage_errors_exit_2_with_the_reason_on_standard_error(params string[] args)
    {
        using var user = new CliUser(server);

        var result = await user.RunAsync(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error:", result.Error, StringComparison.Ordinal);
        Assert.Equal("", result.Out);
    }

    [Fact]
    public async Task Help_lists_the_commands_and_exits_0()
    {
        using var user = new CliUser(server);

        var result = await user.RunAsync("--help");

        Assert.Equal(0, result.ExitCode);
        foreach (var command in new[] { "login", "profiles", "doctor", "clients", "items", "timeline", "profile", "tail", "listen", "replay", "sync", "diff", "mirror", "webhooks", "webhook", "validate" })
        {
            Assert.Contains(command, result.Out, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Doctor_reports_the_server_the_token_the_clock_and_a_consumer_s_lag()
    {
        using var user = await new CliUser(server).LoggedInAsync();
        await user.RunAsync("clients", "put", "D1", "--set", "FirstName=Dee", "--set", "LastName=Ray", "--set", "Email=d@r.co");
        Directory.CreateDirectory(Path.Combine(user.ConfigDirectory, "consumers", "default"));
        File.WriteAllText(Path.Combine(user.ConfigDirectory, "consumers", "default", "crm.secret"), "whsec_dGVzdA==");
        File.WriteAllText(Path.Combine(user.ConfigDirectory, "consumers", "default", "crm.checkpoint.json"), """{"Position":1,"Parked":[]}""");

        var doctor = await user.RunAsync("doctor", "--consumer", "crm", "-o", "json");
        var unknown = await user.RunAsync("doctor", "--consumer", "nobody");
        user.Environment["CASELINE_URL"] = "http://127.0.0.1:9/";
        var unreachable = await user.RunAsync("doctor");

        Assert.True(doctor.ExitCode == 0, doctor.ToString());
        var checks = doctor.Lines.ToDictionary(c => (string)c["Check"]!, c => c);
        Assert.Equal(["profile", "server", "clock", "feed", "consumer crm"], checks.Keys);
        Assert.All(checks.Values, c => Assert.Equal("ok", (string)c["Result"]!));
        Assert.Contains("last position 2", (string)checks["feed"]["Detail"]!, StringComparison.Ordinal);
        Assert.Contains("1 messages behind", (string)checks["consumer crm"]["Detail"]!, StringComparison.Ordinal);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Equal(5, unreachable.ExitCode);
        Assert.Contains("fail", unreachable.Out, StringComparison.Ordinal);
    }
}
