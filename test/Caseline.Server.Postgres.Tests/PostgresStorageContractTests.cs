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
        Assert.Equal(1, connection.Scalar<long>("SELECT COUNT(*) FROM schema_version"));
        Assert.Equal(Schema.Version, connection.Scalar<long>("SELECT MAX(version) FROM schema_version"));
    }

    [Fact]
    public async Task A_store_an_older_Caseline_made_with_its_own_version_numbers_is_upgraded_to_the_defined_schema()
    {
        var connectionString = TestStore.CreateDatabase();
        try
        {
            using var old = new PostgresDatabase(connectionString);
            using (var connection = old.OpenWriter())
            {
                // PostgreSQL numbered its versions 1 to 4 before the schema was defined once; version 2 is its second.
                connection.Execute(old.History[9] + old.History[10] + "CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1), (2);");
            }

            await Migrate(old);

            using var upgraded = old.OpenReader();
            using var created = Database.OpenReader();
            Assert.Equal(Described(Database, created), Described(old, upgraded));
            Assert.Equal(Database.DescribeIndexes(created), old.DescribeIndexes(upgraded));
            Assert.Equal(Schema.Version, old.SchemaVersion(upgraded));
        }
        finally
        {
            TestStore.DropDatabase(connectionString);
        }
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
