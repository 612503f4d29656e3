using System.Globalization;
using Caseline.Server.Identity;
using Caseline.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Operations;

/// <summary>A finished backup: the file (under the data folder's <c>backups</c>), its size and when it was taken.</summary>
internal sealed record BackupResult(string File, long Bytes, DateTimeOffset At);

/// <summary>
/// <c>POST /api/v1/admin/backup</c> for the platform administrator: an online, consistent copy of the whole
/// store, taken while the server goes on serving. One at a time; a second request meanwhile gets 409.
/// </summary>
internal static partial class BackupApi
{
    private static readonly SemaphoreSlim OneAtATime = new(1, 1);

    public static RouteGroupBuilder MapBackup(this RouteGroupBuilder admin)
    {
        admin.MapPost("/backup", Backup).WithTags("Administration").RequireAuthorization(Policies.PlatformAdministration)
            .WithSummary("Take an online, consistent backup of the store")
            .WithDescription("Writes backups/caseline-<UTC time>.db under the data folder. Restore: stop the server, put the file in place of caseline.db (removing caseline.db-wal and caseline.db-shm), start it.");
        return admin;
    }

    private static async Task<Results<Ok<BackupResult>, ProblemHttpResult>> Backup(
        Database database, IOptions<CaselineOptions> options, TimeProvider clock, ILogger<BackupResult> logger, CancellationToken ct)
    {
        if (database.IsShared)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status501NotImplemented, title: "This store is backed up by the database server.",
                detail: "On PostgreSQL, back up with pg_dump or continuous WAL archiving; see the README.");
        }

        if (!await OneAtATime.WaitAsync(0, ct))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "A backup is already running.");
        }

        try
        {
            var at = clock.GetUtcNow();
            var folder = Path.Combine(options.Value.DataDirectory, "backups");
            Directory.CreateDirectory(folder);
            var name = $"caseline-{at.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture)}.db";
            var path = Path.Combine(folder, name);
            await Task.Run(() => database.Backup(path), ct);
            var bytes = new FileInfo(path).Length;
            LogBackedUp(logger, name, bytes);
            return TypedResults.Ok(new BackupResult(Path.Combine("backups", name), bytes, at));
        }
        finally
        {
            OneAtATime.Release();
        }
    }

    [LoggerMessage(EventId = 6101, Level = LogLevel.Information, Message = "Backed the store up to {File} ({Bytes} bytes)")]
    private static partial void LogBackedUp(ILogger logger, string file, long bytes);
}
