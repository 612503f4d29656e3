using System.Text.RegularExpressions;

namespace Caseline.Server.Tests;

/// <summary>What an operator reads on the console of a first start in Development.</summary>
public sealed partial class ConsoleLogTests
{
    [Fact]
    public async Task A_first_start_prints_readable_lines_and_one_line_for_the_whole_migration()
    {
        var data = Path.Combine(Path.GetTempPath(), "caseline-tests", Guid.NewGuid().ToString("N"));
        await using var server = new ServerProcess(data, new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Information" });

        await server.StartAsync(TestContext.Current.CancellationToken);

        var lines = server.Output.ToList();
        var timestamped = lines.Where(l => l.StartsWith("20", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(timestamped);
        Assert.All(timestamped, line => Assert.Matches(TimestampThenLevel(), line));
        var migration = Assert.Single(lines, l => l.Contains("migrated", StringComparison.Ordinal));
        Assert.Matches(@"migrated the schema from version 0 to \d+$", migration);
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (trce|dbug|info|warn|fail|crit): ")]
    private static partial Regex TimestampThenLevel();
}
