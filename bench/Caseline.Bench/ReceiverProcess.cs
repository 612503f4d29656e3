using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Caseline.Bench;

/// <summary>
/// A webhook receiver in a process of its own (<c>Caseline.Bench receiver --port N</c>): it answers 204 to every
/// POST and counts the distinct <c>webhook-id</c>s at <c>GET /count</c>. A receiver in the server's process
/// would pay for the server's telemetry listeners too, and so blur what the server itself costs.
/// </summary>
public static class ReceiverProcess
{
    public static async Task<int> RunAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var seen = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        app.MapPost("/hook", async (HttpRequest request) =>
        {
            await request.Body.CopyToAsync(Stream.Null);
            seen.TryAdd(request.Headers["webhook-id"].ToString(), 0);
            return Results.NoContent();
        });
        app.MapGet("/count", () => seen.Count.ToString(CultureInfo.InvariantCulture));
        await app.RunAsync();
        return 0;
    }

    /// <summary>Starts the receiver as a child process and waits until it listens.</summary>
    public static Task<PeerProcess> StartAsync()
    {
        var port = PeerProcess.FreePort();
        var folder = Directory.CreateTempSubdirectory("caseline-bench-receiver").FullName;
        // Under `dotnet run` this process is the bench's own executable; under `dotnet Caseline.Bench.dll`, the host.
        var self = Environment.ProcessPath!;
        string[] arguments = ["receiver", "--port", port.ToString(CultureInfo.InvariantCulture)];
        return Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? PeerProcess.StartAsync(self, [typeof(ReceiverProcess).Assembly.Location, .. arguments], folder, port)
            : PeerProcess.StartAsync(self, arguments, folder, port);
    }
}
