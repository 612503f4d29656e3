using System.Data.Common;
using Microsoft.AspNetCore.DataProtection.KeyManagement;

namespace Caseline.Server.Storage;

/// <summary>
/// Creates or upgrades the schema at start, before the server takes traffic. Processes sharing a store migrate
/// under its schema lock, one after another: the first migrates and the rest find nothing left to do.
/// </summary>
internal sealed partial class Migrator(Database database, NodeIdentity node, IServiceProvider services, ILogger<Migrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (node.Conflict is { } conflict)
        {
            LogNodeTaken(conflict);
            throw new StorageStartupException();
        }

        try
        {
            await Task.Run(() => Migrate(cancellationToken), cancellationToken);
        }
        catch (Exception e) when (e is not (OperationCanceledException or StorageStartupException))
        {
            // One line that says what is wrong, never a stack trace: this is almost always configuration (an unreachable
            // host, a wrong password, a missing database). The message is the driver's; it names no password.
            LogUnavailable(database.Provider, e);
            throw new StorageStartupException();
        }
    }

    private void Migrate(CancellationToken cancellationToken)
    {
        using var connection = database.OpenWriter();
        using var schemaLock = database.LockSchema(connection);
        connection.Execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        var current = database.SchemaVersion(connection);
        if (current > Schema.Version)
        {
            LogTooNew(database.Provider, current, Schema.Version);
            throw new StorageStartupException();
        }

        if (current == 0)
        {
            // An empty store is made in the schema's final shape at once.
            Step(connection, Schema.Version, Schema.Create(database.Dialect));
        }

        // A store an older Caseline made: first its provider's own history, then the shared one.
        for (var version = current == 0 ? Schema.Version + 1 : (int)current + 1; version <= Schema.Version; version++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var script = version < Schema.Unified ? database.History[version]
                : version == Schema.Unified ? "" // where the two histories meet the definition: only the number changes
                : Schema.Upgrades[version - Schema.Unified - 1](database.Dialect);
            Step(connection, version, script);
        }

        if (current < Schema.Version)
        {
            LogMigrated(database.Provider, current, Schema.Version);
        }

        if (database.IsShared && services.GetService<IKeyManager>() is { } keys && keys.GetAllKeys().Count == 0)
        {
            // The first process makes the shared key ring's first key while it holds the schema lock: processes starting
            // together would otherwise each make one and, for a while, not read each other's tokens.
            var now = DateTimeOffset.UtcNow;
            keys.CreateNewKey(now, now.AddDays(90));
        }
    }

    private void Step(DbConnection connection, int version, string script)
    {
        using var transaction = database.BeginWrite(connection);
        if (script.Length > 0)
        {
            connection.Execute(script, transaction);
        }

        connection.Execute("INSERT INTO schema_version (version) VALUES (@version)", transaction, ("@version", version));
        transaction.Commit();
        LogStep(database.Provider, version);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Storage ({Provider}) migrated the schema from version {From} to {To}")]
    private partial void LogMigrated(string provider, long from, int to);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Debug, Message = "Storage ({Provider}) migrated to schema version {Version}")]
    private partial void LogStep(string provider, int version);

    private void LogUnavailable(string provider, Exception e)
    {
        var error = e.GetType().Name;
        LogUnavailable(provider, error, e.Message);
    }

    [LoggerMessage(EventId = 1002, Level = LogLevel.Critical, Message = "Storage ({Provider}) cannot be used ({Error}: {Reason}); the server stops. Check Caseline:Storage.")]
    private partial void LogUnavailable(string provider, string error, string reason);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Critical, Message = "This process cannot start: {Conflict}.")]
    private partial void LogNodeTaken(string conflict);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Critical, Message = "Storage ({Provider}) has schema version {Current}, newer than this build's {Known}: a newer Caseline migrated it. The server stops; run that version or newer.")]
    private partial void LogTooNew(string provider, long current, int known);
}

/// <summary>The store could not be opened or migrated; the reason is logged already, and the server exits with a non-zero code.</summary>
internal sealed class StorageStartupException() : Exception("The store could not be opened or migrated; see the log line before this.");
