namespace Caseline.Server.Storage;

/// <summary>Creates or upgrades the schema at start, before the server takes traffic.</summary>
internal sealed partial class Migrator(Database database, ILogger<Migrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var connection = database.OpenWriter();
        connection.Execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        var current = connection.Scalar<long?>("SELECT MAX(version) FROM schema_version") ?? 0;
        for (var version = (int)current + 1; version <= database.Migrations.Count; version++)
        {
            await using var transaction = database.BeginWrite(connection);
            connection.Execute(database.Migrations[version - 1], transaction);
            connection.Execute("INSERT INTO schema_version (version) VALUES (@version)", transaction, ("@version", version));
            await transaction.CommitAsync(cancellationToken);
            LogMigrated(database.Provider, version);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Storage ({Provider}) migrated to schema version {Version}")]
    private partial void LogMigrated(string provider, int version);
}
