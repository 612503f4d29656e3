using Caseline.Server.Storage;
using Caseline.Server.Storage.Postgres;

namespace Caseline.Server.Tests;

/// <summary>The storage contract on PostgreSQL, each test on a database of its own; and what only PostgreSQL has to keep.</summary>
public sealed class PostgresStorageContractTests : StorageContractTests
{
    private string? _connectionString;

    private protected override Database CreateDatabase() => new PostgresDatabase(_connectionString = TestStore.CreateDatabase());

    [Fact]
    public async Task Processes_starting_at_once_migrate_exactly_once()
    {
        var starts = Enumerable.Range(0, 4).Select(_ => Task.Run(() => Migrate(new PostgresDatabase(_connectionString!)))).ToList();
        await Task.WhenAll(starts);

        using var connection = Database.OpenReader();
        Assert.Equal(Database.Migrations.Count, connection.Scalar<long>("SELECT COUNT(*) FROM schema_version"));
    }

    [Fact]
    public void The_writer_commits_synchronously_at_read_committed()
    {
        using var writer = Database.OpenWriter();
        using var transaction = Database.BeginWrite(writer);

        Assert.Equal("on", writer.Scalar<string>("SHOW synchronous_commit", transaction));
        Assert.Equal("read committed", writer.Scalar<string>("SHOW transaction_isolation", transaction));
    }

    [Fact]
    public void The_database_on_the_same_machine_keeps_the_same_clock_so_no_offset_is_applied()
    {
        using var connection = Database.OpenWriter();

        Assert.Equal(TimeSpan.Zero, Database.ClockOffset(connection));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        ((IDisposable)Database).Dispose();
        TestStore.DropDatabase(_connectionString!);
    }
}
