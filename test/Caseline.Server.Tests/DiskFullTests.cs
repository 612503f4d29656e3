using System.Diagnostics;
using System.Net;

namespace Caseline.Server.Tests;

/// <summary>
/// The store on a small filesystem that fills: writes are answered 503 problems, nothing acknowledged is lost,
/// and writes succeed again by themselves once there is room. The filesystem is <c>CASELINE_TEST_SMALL_FS</c>
/// when set, else a 16 MiB tmpfs this test mounts (it needs root, as CI and the developers' machines have).
/// </summary>
public sealed class DiskFullTests : IAsyncLifetime
{
    private string _folder = "";
    private bool _mounted;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("CASELINE_TEST_SMALL_FS") is { Length: > 0 } given)
        {
            _folder = Path.Combine(given, Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_folder);
            return;
        }

        _folder = Path.Combine(Path.GetTempPath(), "caseline-small-fs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        var mount = await RunAsync("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", _folder);
        Assert.True(mount.Code == 0, $"This test needs a small filesystem: run it as root (it mounts a tmpfs) or set CASELINE_TEST_SMALL_FS. mount said: {mount.Output}");
        _mounted = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (_mounted)
        {
            await RunAsync("umount", "-l", _folder);
        }

        Directory.Delete(_folder, recursive: true);
    }

    private static async Task<(int Code, string Output)> RunAsync(string command, params string[] args)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true };
        args.ToList().ForEach(start.ArgumentList.Add);
        try
        {
            using var process = Process.Start(start)!;
            var output = await process.StandardError.ReadToEndAsync(Ct) + await process.StandardOutput.ReadToEndAsync(Ct);
            await process.WaitForExitAsync(Ct);
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }

    /// <summary>Writes until the filesystem refuses another byte; returns the file, to be deleted to make room.</summary>
    private static async Task<string> FillAsync(string folder)
    {
        var path = Path.Combine(folder, "filler");
        var chunk = new byte[64 * 1024];
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.WriteThrough);
        try
        {
            while (true)
            {
                await file.WriteAsync(chunk, Ct);
            }
        }
        catch (IOException)
        {
            // Full.
        }

        return path;
    }

    [Fact]
    public async Task A_full_disk_is_answered_503_loses_nothing_acknowledged_and_writes_resume_when_there_is_room()
    {
        var data = Path.Combine(_folder, "data");
        var acknowledged = new List<string>();
        var server = CaselineServer.OnData(data);
        server.DeleteDataOnDispose = false;
        try
        {
            using var http = await server.ForAsync("full-agency");
            for (var i = 0; i < 5; i++)
            {
                Assert.Equal(HttpStatusCode.Created, (await http.Put($"/api/v1/clients/A{i}", """{"FirstName":"Ann","LastName":"Lee"}""")).StatusCode);
                acknowledged.Add($"A{i}");
            }

            var filler = await FillAsync(_folder);
            var refused = 0;
            for (var i = 0; refused < 3 && i < 2000; i++)
            {
                var response = await http.Put($"/api/v1/clients/B{i}", """{"FirstName":"Ann","LastName":"Lee","AssignedCaseload":"North"}""");
                if (response.IsSuccessStatusCode)
                {
                    acknowledged.Add($"B{i}");
                    continue;
                }

                var problem = await response.Problem(503);
                Assert.Equal("The server is out of disk space.", (string?)problem["title"]);
                Assert.NotNull(response.Headers.RetryAfter);
                refused++;
            }

            Assert.Equal(3, refused);
            Assert.Equal(HttpStatusCode.OK, (await http.Get("/api/v1/clients/A0")).StatusCode); // reads go on

            // A bulk upload that cannot be spooled is refused the same way, and leaves no partial file behind.
            var lines = string.Concat(Enumerable.Range(0, 2000).Select(i => $$"""{"IntegrationId":"S{{i}}","FirstName":"Ann","LastName":"Lee"}""" + "\n"));
            using var upload = new StringContent(lines, System.Text.Encoding.UTF8, "application/x-ndjson");
            var bulk = await http.PostAsync("/api/v1/sync/clients", upload, Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, bulk.StatusCode);
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(data, "sync")));

            File.Delete(filler);
            var recovered = false;
            for (var attempt = 0; attempt < 50 && !recovered; attempt++)
            {
                recovered = (await http.Put("/api/v1/clients/C0", """{"FirstName":"Cy","LastName":"Sun"}""")).IsSuccessStatusCode;
                await Task.Delay(recovered ? 0 : 100, Ct);
            }

            Assert.True(recovered, "writes did not resume once there was room");
            acknowledged.Add("C0");
            Assert.Contains(server.Logs, l => l.Contains("The disk is full", StringComparison.Ordinal));
        }
        finally
        {
            await server.DisposeAsync();
        }

        // After a restart on the same files, every acknowledged client is there, and none that was refused.
        var restarted = CaselineServer.OnData(data);
        try
        {
            using var http = await restarted.ForAsync("full-agency");
            var listed = await (await http.Get("/api/v1/clients?limit=1000")).ReadObject();
            var stored = listed["Clients"]!.AsArray().Select(c => (string)c!["IntegrationId"]!).ToList();
            Assert.Equal(acknowledged.Order(StringComparer.Ordinal), stored.Order(StringComparer.Ordinal));
            Assert.Equal(acknowledged.Count, restarted.Log("full-agency").Count(m => m.Message.Details is Caseline.Messages.PersonalDetails));
        }
        finally
        {
            await restarted.DisposeAsync();
        }
    }
}
