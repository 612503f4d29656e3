using System.Diagnostics;
using System.Text;

namespace Caseline.Cli.Tests;

/// <summary><c>caseline</c> as a real process (<c>dotnet Caseline.Cli.dll …</c>), for what only a process shows: being killed, writing into a pipe.</summary>
internal sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _error = new();

    private CliProcess(Process process) => _process = process;

    public string Error
    {
        get
        {
            lock (_error)
            {
                return _error.ToString();
            }
        }
    }

    public static CliProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var process = new CliProcess(Process.Start(StartInfo(environment, args))!);
        process._process.ErrorDataReceived += (_, e) =>
        {
            lock (process._error)
            {
                process._error.AppendLine(e.Data);
            }
        };
        process._process.OutputDataReceived += (_, _) => { };
        process._process.BeginErrorReadLine();
        process._process.BeginOutputReadLine();
        return process;
    }

    /// <summary>Runs <c>caseline</c> to its end with its standard output and error going into pipes, as in <c>caseline … | grep</c>.</summary>
    public static async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var ct = TestContext.Current.CancellationToken;
        using var process = Process.Start(StartInfo(environment, args))!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return new CliResult(process.ExitCode, await output, await error);
    }

    private static ProcessStartInfo StartInfo(IReadOnlyDictionary<string, string> environment, string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Caseline.Cli.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return start;
    }

    /// <summary>SIGKILL: no shutdown code runs, as when a laptop's battery dies.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync(TestContext.Current.CancellationToken);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}
