using System.Text.Json.Nodes;
using Caseline.Server.Tests;
using Spectre.Console.Testing;

namespace Caseline.Cli.Tests;

/// <summary>What one run of <c>caseline</c> did: its exit code, its standard output and its standard error.</summary>
internal sealed record CliResult(int ExitCode, string Out, string Error)
{
    /// <summary>Standard output as JSON lines.</summary>
    public List<JsonObject> Lines => [.. Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject())];

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}

/// <summary>
/// One user's machine: a configuration folder of its own and an environment, against the real server. Runs go
/// through the real parser and the real command tree, with Spectre's test console standing in for the terminal.
/// </summary>
internal sealed class CliUser : IDisposable
{
    public CliUser(CaselineServer server, string? agency = null)
    {
        Server = server;
        Agency = agency ?? CaselineServer.NewAgency();
        ConfigDirectory = Path.Combine(Path.GetTempPath(), "caseline-cli-tests", Guid.NewGuid().ToString("N"));
    }

    public CaselineServer Server { get; }

    public string Agency { get; }

    public string ConfigDirectory { get; }

    public string Login => CaselineServer.Login(Agency);

    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    /// <summary>The standard output of the run in progress (or the last one), to watch a command that runs until stopped.</summary>
    public TestConsole? Output { get; private set; }

    /// <summary>When set, the runs have a terminal, and these are typed at its prompts.</summary>
    public List<string> Typed { get; } = [];

    /// <summary>Creates the agency and its user on the server, then logs in through the CLI as they would.</summary>
    public async Task<CliUser> LoggedInAsync()
    {
        (await Server.ForAsync(Agency)).Dispose();
        var login = await RunAsync("login", "--url", Server.Url.ToString(), "--username", Login, "--password", CaselineServer.Password);
        Assert.True(login.ExitCode == 0, login.ToString());
        return this;
    }

    public Task<CliResult> RunAsync(params string[] args) => RunAsync(null, CancellationToken.None, args);

    public async Task<CliResult> RunAsync(string? input, CancellationToken cancellationToken, params string[] args)
    {
        var output = new TestConsole().Width(250);
        Output = output;
        var error = new TestConsole().Width(250);
        if (Typed.Count > 0)
        {
            error.Interactive();
            Typed.ForEach(error.Input.PushTextWithEnter);
        }

        var host = new CliHost(output, error, name => Environment.GetValueOrDefault(name), ConfigDirectory) { In = new StringReader(input ?? ""), Interactive = Typed.Count > 0 };
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, TestContext.Current.CancellationToken);
        var code = await Cli.RunAsync(args, host, linked.Token);
        return new CliResult(code, output.Output, error.Output);
    }

    /// <summary>The environment a separate <c>caseline</c> process of this user gets.</summary>
    public Dictionary<string, string> ProcessEnvironment() => new(Environment) { ["CASELINE_CONFIG_DIR"] = ConfigDirectory, ["NO_COLOR"] = "1" };

    public string WriteFile(string name, string content)
    {
        Directory.CreateDirectory(ConfigDirectory);
        var path = Path.Combine(ConfigDirectory, name);
        File.WriteAllText(path, content);
        return path;
    }

    public void Dispose()
    {
        if (Directory.Exists(ConfigDirectory))
        {
            Directory.Delete(ConfigDirectory, recursive: true);
        }
    }
}

internal static class Harness
{
    /// <summary>A delivery's Standard Webhooks headers, as the StandardWebhooks package takes them.</summary>
    public static Microsoft.AspNetCore.Http.HeaderDictionary Headers(string id, string timestamp, string signature) => new()
    {
        ["webhook-id"] = id,
        ["webhook-timestamp"] = timestamp,
        ["webhook-signature"] = signature,
    };

    public static async Task Until(Func<bool> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
