using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Caseline.Server.Tests;

/// <summary>
/// The server as its own process (the build's Caseline.Server.dll), started and killed by the test, on this assembly's
/// store (<see cref="TestStore"/>). Processes that share one store each have their own data folder and name the folder
/// whose store they share as <paramref name="storeOf"/>.
/// </summary>
internal sealed class ServerProcess(string dataDirectory, IReadOnlyDictionary<string, string>? settings = null, string? storeOf = null) : IAsyncDisposable
{
    public const string ClientSecret = "crash-client-secret-0123456789";
    public const string OfficerPassword = "crash-officer-password";

    private readonly int _port = FreePort();
    private Process? _process;

    public string Url => $"http://127.0.0.1:{_port}";

    public string DataDirectory => dataDirectory;

    /// <summary>The umask the process starts with (octal, as the shell takes it); null keeps the test's.</summary>
    public string? Umask { get; init; }

    /// <summary>Everything the process wrote to its standard output and error, line by line.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Output { get; } = new();

    public async Task StartAsync(CancellationToken ct)
    {
        Launch();
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            Assert.False(_process!.HasExited, "the server exited while starting: " + string.Join("\n", Output));
            try
            {
                if ((await probe.GetAsync(Url + "/health", ct)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            Assert.True(DateTime.UtcNow < deadline, "the server did not start: " + string.Join("\n", Output));
            await Task.Delay(50, ct);
        }
    }

    /// <summary>Starts the process and waits for it to end by itself (a start that must fail); returns its exit code.</summary>
    public async Task<int> RunToExitAsync(CancellationToken ct)
    {
        Launch();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await _process!.WaitForExitAsync(timeout.Token);
        var code = _process.ExitCode;
        _process.Dispose();
        _process = null;
        return code;
    }

    private void Launch()
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Caseline.Server.dll"), "--urls", Url },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment =
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Development", // bootstraps the demo agency, its API client and officer
                ["Caseline__DataDirectory"] = dataDirectory,
                ["Caseline__Bootstrap__DemoClientSecret"] = ClientSecret,
                ["Caseline__Bootstrap__DemoUserPassword"] = OfficerPassword,
                ["Caseline__Bootstrap__AdminPassword"] = OfficerPassword,
                ["Caseline__Identity__PasswordHashIterations"] = "1000",
                ["Caseline__Webhooks__AllowPrivateNetworks"] = "true",
                ["Caseline__Webhooks__PollInterval"] = "00:00:00.050",
                ["Caseline__Webhooks__Lease"] = "00:00:02",
                ["Logging__LogLevel__Default"] = "Warning",
            },
        };
        if (Umask is not null)
        {
            // The shell sets the umask and becomes the server: the same process, as a service manager would start it.
            start.ArgumentList.Insert(0, start.FileName);
            start.ArgumentList.Insert(0, $"umask {Umask} && exec \"$0\" \"$@\"");
            start.ArgumentList.Insert(0, "-c");
            start.FileName = "/bin/sh";
        }

        foreach (var (key, value) in TestStore.Settings(storeOf ?? dataDirectory, "__"))
        {
            start.Environment[key] = value;
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, line) => Keep(line.Data);
        _process.ErrorDataReceived += (_, line) => Keep(line.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            Output.Enqueue(line);
        }
    }

    /// <summary>SIGTERM, as an orchestrator stops a process; returns its exit code and how long it took to exit.</summary>
    public async Task<(int ExitCode, TimeSpan Took)> TerminateAsync(CancellationToken ct)
    {
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        using (var kill = Process.Start("kill", ["-TERM", _process!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(ct);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(40));
        await _process.WaitForExitAsync(timeout.Token);
        var code = _process.ExitCode;
        _process.Dispose();
        _process = null;
        return (code, stopwatch.Elapsed);
    }

    /// <summary>SIGKILL: no shutdown, no flush, as a power cut leaves a process.</summary>
    public void Kill()
    {
        _process!.Kill();
        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }

    public ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            Kill();
        }

        try
        {
            if (storeOf is null)
            {
                TestStore.Forget(dataDirectory);
            }

            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
