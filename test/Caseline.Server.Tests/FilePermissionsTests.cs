using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Caseline.Server.Tests;

/// <summary>
/// The server started by a shell whose umask lets everyone read and write: whatever it writes under its data folder
/// (the database and its WAL, the key ring, the node files, the bulk-sync spool, backups) is its own user's alone.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // Unix file modes, and a shell to set the umask
public sealed class FilePermissionsTests
{
    private const UnixFileMode OwnerFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Under_a_permissive_umask_every_file_the_server_writes_is_0600_and_every_folder_0700()
    {
        var data = Path.Combine(Path.GetTempPath(), "caseline-tests", Guid.NewGuid().ToString("N"));
        // A data folder made by hand, open to everyone: the server closes it.
        Directory.CreateDirectory(data);
        File.SetUnixFileMode(data, (UnixFileMode)0b111_111_111);
        await using var server = new ServerProcess(data) { Umask = "000" };
        using var http = new HttpClient { BaseAddress = new Uri(server.Url), Timeout = TimeSpan.FromSeconds(30) };
        await server.StartAsync(Ct);

        http.DefaultRequestHeaders.Authorization = new("Bearer", await Token(http, "officer@demo.local"));
        Assert.Equal(HttpStatusCode.Created, (await http.PutAsync("/api/v1/clients/EX1", Http.Json("""{"FirstName":"Ann","LastName":"Lee"}"""), Ct)).StatusCode);

        // A bulk upload whose body is held open: its spool file is checked while it is being written.
        var rest = new TaskCompletionSource();
        var upload = http.PostAsync("/api/v1/sync/clients", new HeldBody("""{"IntegrationId":"EX2","FirstName":"Bo","LastName":"Ray"}""" + "\n", rest.Task), Ct);
        var spool = Path.Combine(data, "sync");
        await WebhookTests.Until(() => Directory.Exists(spool) && Directory.EnumerateFiles(spool).Any(), "the upload's spool file");
        AssertOwnerOnly(data);
        rest.SetResult();
        Assert.Equal(HttpStatusCode.Accepted, (await upload).StatusCode);

        if (!TestStore.Postgres)
        {
            using var platform = new HttpClient { BaseAddress = new Uri(server.Url), Timeout = TimeSpan.FromSeconds(30) };
            platform.DefaultRequestHeaders.Authorization = new("Bearer", await Token(platform, "admin@caseline.local"));
            Assert.Equal(HttpStatusCode.OK, (await platform.PostAsync("/api/v1/admin/backup", null, Ct)).StatusCode);
            Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(data, "backups")));
            Assert.True(File.Exists(Path.Combine(data, "caseline.db-wal")));
        }

        AssertOwnerOnly(data);
    }

    private static void AssertOwnerOnly(string data)
    {
        var modes = new[] { data }.Concat(Directory.EnumerateFileSystemEntries(data, "*", SearchOption.AllDirectories))
            .Select(path => (Path: Path.GetRelativePath(data, path), Folder: Directory.Exists(path), Mode: File.GetUnixFileMode(path)))
            .ToList();
        Assert.Contains(modes, m => !m.Folder);
        var open = modes.Where(m => m.Mode != (m.Folder ? OwnerFolder : OwnerFile)).Select(m => $"{m.Path} {Convert.ToString((int)m.Mode, 8)}").ToList();
        Assert.True(open.Count == 0, "not the owner's alone: " + string.Join(", ", open));
    }

    private static async Task<string> Token(HttpClient http, string login)
    {
        var form = $"grant_type=password&client_id=caseline&scope=openid caseIntegrationApi&username={login}&password={ServerProcess.OfficerPassword}";
        var response = await http.PostAsync("/identity/connect/token", new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded"), Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
        return (string)(await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!["access_token"]!;
    }

    /// <summary>An NDJSON body sent in two parts: its first line at once, the end once the test lets it go.</summary>
    private sealed class HeldBody : HttpContent
    {
        private readonly byte[] _first;
        private readonly Task _rest;

        public HeldBody(string first, Task rest)
        {
            (_first, _rest) = (Encoding.UTF8.GetBytes(first), rest);
            Headers.ContentType = Http.NdJson;
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(_first);
            await stream.FlushAsync();
            await _rest;
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
