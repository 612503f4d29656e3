using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Caseline.Bench;

/// <summary>
/// A server the bench compares Caseline with (NATS, RabbitMQ), started from Debian's package as a child
/// process on a free loopback port with its data in a fresh folder, and stopped (with its data removed)
/// when the scenario ends.
/// </summary>
public sealed class PeerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Func<Task>? _afterStop;

    private PeerProcess(Process process, string dataDirectory, int port, Func<Task>? afterStop)
    {
        _process = process;
        DataDirectory = dataDirectory;
        Port = port;
        _afterStop = afterStop;
    }

    public string DataDirectory { get; }

    public int Port { get; }

    /// <summary>The CPU time the process has used so far.</summary>
    public TimeSpan Cpu
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>The executable at the first of <paramref name="candidates"/> that exists, or null when the package is not installed.</summary>
    public static string? Find(params string[] candidates) => candidates.FirstOrDefault(File.Exists);

    /// <summary>A TCP port on 127.0.0.1 that nothing listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts <paramref name="executable"/> and waits until <paramref name="port"/> accepts connections.</summary>
    public static async Task<PeerProcess> StartAsync(
        string executable, IEnumerable<string> arguments, string dataDirectory, int port, IReadOnlyDictionary<string, string>? environment = null, Func<Task>? afterStop = null)
    {
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = dataDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var peer = new PeerProcess(process, dataDirectory, port, afterStop);
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (process.HasExited)
            {
                await peer.DisposeAsync();
                throw new InvalidOperationException($"{Path.GetFileName(executable)} exited with code {process.ExitCode} before listening on 127.0.0.1:{port}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return peer;
            }
            catch (SocketException)
            {
                await Task.Delay(200);
            }
        }

        await peer.DisposeAsync();
        throw new TimeoutException($"{Path.GetFileName(executable)} did not listen on 127.0.0.1:{port} within a minute");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        if (_afterStop is not null)
        {
            await _afterStop();
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
