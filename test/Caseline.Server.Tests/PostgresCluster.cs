using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Caseline.Server.Tests;

/// <summary>
/// A throwaway PostgreSQL cluster from Debian's package (<c>PG_BIN</c>, else the newest under /usr/lib/postgresql):
/// initdb into a temporary folder and pg_ctl on a free loopback port, as the unprivileged <c>postgres</c> user when
/// run as root (initdb refuses root); stopped and deleted on dispose. The scale-out test stops its own one under
/// load; the bench measures on one. Trust authentication: it listens on 127.0.0.1 only and lives minutes.
/// </summary>
internal sealed class PostgresCluster : IAsyncDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "caseline-pg-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly int _port;

    private PostgresCluster()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        _port = ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Whether Debian's PostgreSQL is installed here.</summary>
    public static bool Installed => Bin is not null;

    private static string? Bin => Environment.GetEnvironmentVariable("PG_BIN") is { Length: > 0 } bin
        ? bin
        : Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Order().LastOrDefault() : null;

    private static bool Root => Environment.UserName == "root";

    private string _settings = "";

    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = _port, Username = "caseline", Database = database, MaxPoolSize = 32 }.ConnectionString;

    /// <param name="settings">Server settings (<c>-c name=value</c>) beside the port and the listen address.</param>
    /// <param name="ct">Cancels the start.</param>
    public static async Task<PostgresCluster> StartAsync(string settings = "", CancellationToken ct = default)
    {
        var cluster = new PostgresCluster();
        Directory.CreateDirectory(Path.Combine(cluster._folder, "s"));
        if (Root)
        {
            await Run("chown", ["-R", "postgres", cluster._folder], ct);
        }

        await RunAsOwner(Path.Combine(Bin!, "initdb"), ["-D", Path.Combine(cluster._folder, "data"), "-U", "caseline", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"], ct);
        cluster._settings = settings;
        await cluster.StartAgainAsync(ct);
        return cluster;
    }

    /// <summary>Creates a database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name, CancellationToken ct = default)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync(ct);
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await create.ExecuteNonQueryAsync(ct);
        return ConnectionString(name);
    }

    /// <summary>No shutdown checkpoint, no goodbye to the clients: the next start recovers from the WAL.</summary>
    public Task StopImmediatelyAsync(CancellationToken ct = default) =>
        RunAsOwner(Path.Combine(Bin!, "pg_ctl"), ["-D", Path.Combine(_folder, "data"), "-m", "immediate", "-w", "stop"], ct);

    public Task StartAgainAsync(CancellationToken ct = default) => RunAsOwner(
        Path.Combine(Bin!, "pg_ctl"),
        ["-D", Path.Combine(_folder, "data"), "-l", Path.Combine(_folder, "server.log"), "-w", "-t", "60",
            "-o", $"-p {_port} -k {Path.Combine(_folder, "s")} -c listen_addresses=127.0.0.1 {_settings}", "start"],
        ct);

    /// <summary>The CPU time the cluster's processes (the postmaster and every backend it started) have used.</summary>
    public TimeSpan Cpu()
    {
        var postmaster = int.Parse(File.ReadLines(Path.Combine(_folder, "data", "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        long ticks = 0;
        foreach (var stat in Directory.GetDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)).Select(d => Path.Combine(d, "stat")))
        {
            try
            {
                // pid (comm) state ppid … utime stime: fields 14 and 15, counted after the parenthesised name.
                var text = File.ReadAllText(stat);
                var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
                var pid = int.Parse(Path.GetFileName(Path.GetDirectoryName(stat))!, CultureInfo.InvariantCulture);
                if (pid == postmaster || int.Parse(fields[1], CultureInfo.InvariantCulture) == postmaster)
                {
                    ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                }
            }
            catch (IOException)
            {
                // The process ended meanwhile.
            }
        }

        return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopImmediatelyAsync();
        }
        finally
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static Task RunAsOwner(string program, string[] arguments, CancellationToken ct) =>
        Root ? Run("runuser", ["-u", "postgres", "--", program, .. arguments], ct) : Run(program, arguments, ct);

    private static async Task Run(string program, string[] arguments, CancellationToken ct)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        arguments.ToList().ForEach(start.ArgumentList.Add);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var errors = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output}{await errors}");
        }
    }
}
