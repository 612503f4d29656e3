using System.Runtime.InteropServices;

namespace Caseline.Cli;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var interrupted = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // The first Ctrl+C stops the command cleanly (exit 130); a second one is the shell's.
            e.Cancel = !interrupted.IsCancellationRequested;
            interrupted.Cancel();
        };
        using var terminated = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            interrupted.Cancel();
        });

        return await Cli.RunAsync(args, CliHost.FromProcess(), interrupted.Token).ConfigureAwait(false);
    }
}
