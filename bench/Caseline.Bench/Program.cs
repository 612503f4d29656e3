using System.Globalization;
using System.Text;

namespace Caseline.Bench;

public static class BenchProgram
{
    public static async Task<int> Main(string[] args)
    {
        // dotnet run -c Release --project bench/Caseline.Bench -- <scenario|all> [--seconds N] [--messages N] [--log N] [--store sqlite|postgres]
        if (args.FirstOrDefault() == "receiver")
        {
            return await ReceiverProcess.RunAsync(Option(args, "--port", 0));
        }

        var store = Array.IndexOf(args, "--store") is var at and >= 0 && at + 1 < args.Length ? args[at + 1] : "sqlite";
        if (store is not ("sqlite" or "postgres"))
        {
            Console.Error.WriteLine($"Unknown store '{store}': sqlite or postgres.");
            return 2;
        }

        var scenario = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || !args[i - 1].StartsWith("--", StringComparison.Ordinal))).FirstOrDefault() ?? "all";
        var settings = new BenchSettings(
            Seconds: Option(args, "--seconds", 10),
            Messages: Option(args, "--messages", 1_000_000),
            Log: Option(args, "--log", 10_000_000));
        var scenarios = new Dictionary<string, Func<BenchSettings, Task<IReadOnlyList<Row>>>>(StringComparer.OrdinalIgnoreCase)
        {
            ["serialize"] = SerializeScenario.RunAsync,
            ["ingest"] = IngestScenario.RunAsync,
            ["delivery"] = DeliveryScenario.RunAsync,
            ["latency"] = LatencyScenario.RunAsync,
            ["bulk"] = BulkScenario.RunAsync,
            ["sdk"] = SdkScenario.RunAsync,
            ["telemetry"] = TelemetryScenario.RunAsync,
            ["scaleout"] = ScaleOutScenario.RunAsync,

            // Last: it leaves gigabytes of writes behind, which the disk is still flushing for a while.
            ["feed"] = FeedScenario.RunAsync,
        };
        if (scenario != "all" && !scenarios.ContainsKey(scenario))
        {
            Console.Error.WriteLine($"Unknown scenario '{scenario}'. Scenarios: {string.Join(", ", scenarios.Keys)}, all.");
            return 2;
        }

        if (store == "postgres")
        {
            await BenchStore.UsePostgresAsync();
        }

        var rows = new List<Row>();
        try
        {
            foreach (var (name, run) in scenarios.Where(s => scenario == "all" || s.Key.Equals(scenario, StringComparison.OrdinalIgnoreCase)))
            {
                Console.WriteLine($"== {name}{(BenchStore.Postgres ? " (postgres)" : "")}");
                rows.AddRange((await run(settings)).Select(r => BenchStore.Postgres && name != "scaleout" ? r with { Scenario = r.Scenario + " (postgres)" } : r));
            }
        }
        finally
        {
            await BenchStore.StopAsync();
        }

        var table = Row.Markdown(rows);
        Console.WriteLine();
        Console.WriteLine(table);
        var results = Path.Combine(Row.RepositoryRoot(), "bench", "results");
        Directory.CreateDirectory(results);
        await File.WriteAllTextAsync(Path.Combine(results, "latest.md"), new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"# Latest benchmark run ({DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores)")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"`dotnet run -c Release --project bench/Caseline.Bench -- {string.Join(' ', args)}`")
            .AppendLine()
            .Append(table)
            .ToString());
        return 0;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length && int.TryParse(args[index + 1], CultureInfo.InvariantCulture, out var value) ? value : fallback;
    }
}
