using Caseline.Messages;
using Caseline.Messages.Json;
using Caseline.Server.Log;
using Caseline.Server.Storage;
using Caseline.Server.Sync;
#if !POSTGRES
using Caseline.Server.Storage.Sqlite;
using Microsoft.Data.Sqlite;
#endif
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Caseline.Server.Tests;

/// <summary>
/// The storage contract, written once. Each provider runs it by deriving a class that says how to
/// make a fresh, empty database.
/// </summary>
public abstract partial class StorageContractTests : IAsyncLifetime
{
    private WriteQueue? _writes;

    private protected Database Database { get; private set; } = null!;

    private protected WriteQueue Writes => _writes!;

    private protected abstract Database CreateDatabase();

    public async ValueTask InitializeAsync()
    {
        Database = CreateDatabase();
        await Migrate(Database);
        _writes = new WriteQueue(Database, TimeProvider.System, new LogSignal(), NullLogger<WriteQueue>.Instance);
        await _writes.StartAsync(TestContext.Current.CancellationToken);
    }

    public virtual async ValueTask DisposeAsync()
    {
        await Writes.StopAsync(CancellationToken.None);
        Writes.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Migrates <paramref name="database"/> as a starting server does.</summary>
    private protected static async Task Migrate(Database database)
    {
        using var node = new NodeIdentity(Path.Combine(Path.GetTempPath(), "caseline-storage", "node"), exclusive: false);
        await new Migrator(database, node, new ServiceCollection().BuildServiceProvider(), NullLogger<Migrator>.Instance)
            .StartAsync(TestContext.Current.CancellationToken);
    }

    private Task<long> NewAgency(string name) => Writes.RunAsync(scope =>
        scope.Scalar<long>("INSERT INTO agencies (name, created_at) VALUES (@name, 0) RETURNING id", ("@name", name)));

    private Task<T> Write<T>(long agency, Func<ProfileWriter, T> work, string origin = "cms user-1") =>
        Writes.RunAsync(scope => work(new ProfileWriter(scope, agency, "tester", origin)));

    /// <summary>A caller of <paramref name="agency"/>, as a token of its officer would make it.</summary>
    private static Identity.Caller Caller(long agency, string origin = "cms user-1") => new(agency, "agency", "tester", "Officer", origin);

    private List<(long Position, string Body)> Log(long agency)
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command("SELECT position, body FROM messages WHERE agency_id = @agency ORDER BY position", null, ("@agency", agency));
        using var reader = command.ExecuteReader();
        var log = new List<(long, string)>();
        while (reader.Read())
        {
            log.Add((reader.GetInt64(0), System.Text.Encoding.UTF8.GetString(reader.Bytes(1))));
        }

        return log;
    }

    [Fact]
    public async Task Migrating_again_changes_nothing()
    {
        await Migrate(Database);

        using var connection = Database.OpenReader();
        Assert.Equal(Schema.Version, connection.Scalar<long>("SELECT MAX(version) FROM schema_version"));
        Assert.Equal(1, connection.Scalar<long>("SELECT COUNT(*) FROM schema_version")); // a new store is made at its last version at once
    }

    [Fact]
    public async Task A_statement_run_again_binds_its_new_values_and_survives_a_unit_that_failed()
    {
        const string insert = "INSERT INTO lookups (agency_id, kind, value, sort) VALUES (@agency, @kind, @value, @sort)";
        var agency = await NewAgency("statements");
        await Writes.RunAsync(scope => scope.Execute(insert, ("@agency", agency), ("@kind", "k"), ("@value", "first"), ("@sort", 1)), TestContext.Current.CancellationToken);
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => Writes.RunAsync(scope =>
            scope.Execute(insert, ("@agency", agency), ("@kind", "k"), ("@value", null), ("@sort", 2)), TestContext.Current.CancellationToken));
        await Writes.RunAsync(scope => scope.Execute(insert, ("@agency", agency), ("@kind", "k"), ("@value", "second"), ("@sort", 3)), TestContext.Current.CancellationToken);

        var values = await Writes.RunAsync(scope =>
        {
            using var reader = scope.Query("SELECT value, sort FROM lookups WHERE agency_id = @agency ORDER BY sort", ("@agency", agency));
            var rows = new List<string>();
            while (reader.Read())
            {
                rows.Add($"{reader.GetString(0)}:{reader.GetInt64(1)}");
            }

            return rows;
        }, TestContext.Current.CancellationToken);
        Assert.Equal(["first:1", "second:3"], values);
    }

    [Fact]
    public async Task A_put_emits_created_then_updated_and_an_unchanged_put_emits_nothing()
    {
        var agency = await NewAgency("a");
        await Write(agency, w => { w.CreateClient("EX1"); return 0; });

        var verbs = new List<ChangeVerb?>
        {
            await Write(agency, w => w.Put("EX1", new AddressDetails("A1", "Home", "1 Main"))),
            await Write(agency, w => w.Put("EX1", new AddressDetails("A1", "Home", "1 Main"))),
            await Write(agency, w => w.Put("EX1", new AddressDetails("A1", "Work", "1 Main"))),
            await Write(agency, w => w.Remove("EX1", Section.AddressDetails, "A1")),
            await Write(agency, w => w.Remove("EX1", Section.AddressDetails, "A1")),
        };

        Assert.Equal([ChangeVerb.Created, null, ChangeVerb.Updated, ChangeVerb.Removed, null], verbs);
        var log = Log(agency);
        Assert.Equal([1L, 2, 3], log.Select(m => m.Position));
        Assert.Equal(new AddressDetails("A1", "Work", "1 Main"), MessageReader.Read(log[2].Body).Details);
    }

    [Fact]
    public async Task A_failing_unit_is_rolled_back_alone_and_its_batch_mates_commit()
    {
        var agency = await NewAgency("a");
        await Write(agency, w => { w.CreateClient("EX1"); return 0; });

        var units = Enumerable.Range(0, 40).Select(i => Write(agency, w =>
        {
            w.Put("EX1", new ContactDetails($"P{i}", "HomePhone", $"555-{i}"));
            return i % 4 == 0 ? throw new InvalidOperationException("unit fails after writing") : i;
        })).ToList();

        foreach (var (unit, i) in units.Select((u, i) => (u, i)))
        {
            if (i % 4 == 0)
            {
                await Assert.ThrowsAsync<InvalidOperationException>(() => unit);
            }
            else
            {
                Assert.Equal(i, await unit);
            }
        }

        var log = Log(agency);
        Assert.Equal(30, log.Count);
        Assert.Equal(Enumerable.Range(1, 30).Select(p => (long)p), log.Select(m => m.Position));
        using var connection = Database.OpenReader();
        Assert.Equal(30, connection.Scalar<long>("SELECT COUNT(*) FROM sections WHERE agency_id = @agency", null, ("@agency", agency)));
    }

    [Fact]
    public async Task Concurrent_units_share_commits_and_each_agency_counts_its_own_positions()
    {
        var first = await NewAgency("first");
        var second = await NewAgency("second");
        await Write(first, w => { w.CreateClient("EX1"); return 0; });
        await Write(second, w => { w.CreateClient("EX1"); return 0; });
        var (commits, units) = (Writes.Commits, Writes.Units);

        await Task.WhenAll(Enumerable.Range(0, 400).Select(i =>
            Write(i % 2 == 0 ? first : second, w => w.Put("EX1", new AddressDetails($"A{i}", "Home", $"{i} Main")))));

        Assert.Equal(400, Writes.Units - units);
        Assert.True(Writes.Commits - commits < 200, $"{Writes.Commits - commits} commits for 400 units: writes are not grouped");
        Assert.Equal(Enumerable.Range(1, 200).Select(p => (long)p), Log(first).Select(m => m.Position));
        Assert.Equal(Enumerable.Range(1, 200).Select(p => (long)p), Log(second).Select(m => m.Position));
    }

    [Fact]
    public async Task Reads_see_only_their_own_agency()
    {
        var first = await NewAgency("first");
        var second = await NewAgency("second");
        await Write(first, w => { w.CreateClient("EX1"); return w.Put("EX1", new EmailDetails("first@example.org")); });
        await Write(second, w => { w.CreateClient("EX1"); return w.Put("EX1", new EmailDetails("second@example.org")); });
        var clients = new ClientOperations(Database.Clients, Database.Deliveries, Writes, TimeProvider.System);

        Assert.Equal("first@example.org", clients.Profile(Caller(first), "EX1")!.Email);
        Assert.Equal("second@example.org", clients.Profile(Caller(second), "EX1")!.Email);
        Assert.Null(clients.Profile(Caller(first + second + 1), "EX1"));
        Assert.Single(Database.Clients.Timeline(first, "EX1", "cms user-1", 0, 10)!);
    }

    [Fact]
    public async Task A_message_is_an_own_echo_only_for_the_credentials_that_wrote_it()
    {
        var agency = await NewAgency("a");
        await Write(agency, w => { w.CreateClient("EX1"); return w.Put("EX1", new EmailDetails("cms@example.org")); }, origin: "cms user-1");
        await Write(agency, w => w.Put("EX1", new EmailDetails("ui@example.org")), origin: "caseline user-1");
        var queries = Database.Clients;

        Assert.Equal([true, false], queries.Timeline(agency, "EX1", "cms user-1", 0, 10)!.Select(m => m.OwnEcho));
        Assert.Equal([false, true], queries.Timeline(agency, "EX1", "caseline user-1", 0, 10)!.Select(m => m.OwnEcho));
        Assert.Equal([false, false], new Transmit.MessageFeed(Database).Read(agency, "cms user-2", 0, 10, null, null).Messages.Select(m => m.OwnEcho));
    }

    [Fact]
    public async Task Commit_times_never_go_backwards()
    {
        var agency = await NewAgency("a");
        await Write(agency, w => { w.CreateClient("EX1"); return 0; });
        for (var i = 0; i < 50; i++)
        {
            await Write(agency, w => w.Put("EX1", new EmailDetails($"e{i}@example.org")));
        }

        var times = Log(agency).Select(m => MessageReader.Read(m.Body).Action.OccurredOn).ToList();
        Assert.Equal(times.Order(), times);
    }
}

#if !POSTGRES
public sealed class SqliteStorageContractTests : StorageContractTests
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "caseline-storage", Guid.NewGuid().ToString("N"));

    private protected override Database CreateDatabase() => new SqliteDatabase(Path.Combine(_directory, "caseline.db"));

    [Fact]
    public void The_writer_commits_durably_in_wal_mode()
    {
        using var writer = Database.OpenWriter();

        Assert.Equal("wal", writer.Scalar<string>("PRAGMA journal_mode"));
        Assert.Equal(2, writer.Scalar<long>("PRAGMA synchronous")); // FULL: the WAL is fsynced at every commit
    }

    [Fact]
    public async Task A_store_an_older_Caseline_made_is_upgraded_to_the_defined_schema()
    {
        var old = new SqliteDatabase(Path.Combine(_directory, "v1.db"));
        using (var connection = old.OpenWriter())
        {
            connection.Execute(old.History[1] + "CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);");
        }

        await Migrate(old);

        using var upgraded = old.OpenReader();
        using var created = Database.OpenReader();
        Assert.Equal(Described(Database, created), Described(old, upgraded));
        Assert.Equal(Database.DescribeIndexes(created), old.DescribeIndexes(upgraded));
        Assert.Equal(Schema.Version, old.SchemaVersion(upgraded));
    }

    [Fact]
    public async Task Upgrading_to_stream_heads_flags_the_earliest_open_delivery_of_each_stream()
    {
        var path = Path.Combine(_directory, "v3.db");
        var old = new SqliteDatabase(path);
        using (var connection = old.OpenWriter())
        {
            foreach (var version in new[] { 1, 2, 3 })
            {
                connection.Execute(old.History[version]);
            }

            connection.Execute("CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1), (2), (3);");
            connection.Execute(
                """
                INSERT INTO deliveries (endpoint_id, position, client_id, state, next_attempt_at, lease_until, created_at) VALUES
                    ('e', 1, 'A', 'Delivered', 0, NULL, 0),
                    ('e', 2, 'A', 'InFlight', 10, 500, 0),
                    ('e', 3, 'A', 'Pending', 0, NULL, 0),
                    ('e', 4, 'B', 'Failed', 0, NULL, 0),
                    ('e', 5, 'B', 'Retrying', 70, NULL, 0),
                    ('e', 6, 'B', 'Pending', 0, NULL, 0),
                    ('f', 7, 'A', 'Pending', 0, NULL, 0)
                """);
        }

        await Migrate(old);

        // Heads: A's leased delivery (next due when its lease ends), B's retry, and A's first on the other endpoint.
        Assert.Equal(["1:0:0", "2:1:500", "3:0:0", "4:0:0", "5:1:70", "6:0:0", "7:1:0"], Heads(old));
    }

    [Fact]
    public async Task The_open_deliveries_index_serves_the_dispatchers_test_for_an_open_delivery()
    {
        await Writes.RunAsync(static scope => scope.Execute(
            """
            INSERT INTO deliveries (endpoint_id, position, client_id, state, next_attempt_at, created_at) VALUES
                ('e', 1, 'A', 'Delivered', 0, 0), ('e', 2, 'A', 'InFlight', 0, 0), ('e', 3, 'A', 'Pending', 0, 0),
                ('e', 4, 'A', 'Failed', 0, 0), ('e', 5, 'A', 'Retrying', 0, 0), ('e', 6, 'B', 'Pending', 0, 0)
            """), TestContext.Current.CancellationToken);

        // INDEXED BY fails the statement when the partial index cannot answer it.
        var open = Positions(
            $"SELECT position FROM deliveries INDEXED BY deliveries_open WHERE endpoint_id = 'e' AND client_id = 'A' AND state NOT IN {DeliveryStorage.Finished} ORDER BY position");

        Assert.Equal([2, 3, 5], open);
    }

    private List<long> Positions(string query)
    {
        using var connection = Database.OpenReader();
        using var command = connection.Command(query);
        using var rows = command.ExecuteReader();
        var positions = new List<long>();
        while (rows.Read())
        {
            positions.Add(rows.GetInt64(0));
        }

        return positions;
    }

    /// <summary>Each delivery as position:head:next_attempt_at.</summary>
    private static List<string> Heads(Database database)
    {
        using var connection = database.OpenReader();
        using var command = connection.Command("SELECT position, head, next_attempt_at FROM deliveries ORDER BY position");
        using var rows = command.ExecuteReader();
        var found = new List<string>();
        while (rows.Read())
        {
            found.Add($"{rows.GetInt64(0)}:{rows.GetInt64(1)}:{rows.GetInt64(2)}");
        }

        return found;
    }

    [Fact]
    public async Task The_writer_leaves_checkpoints_to_the_checkpointer_which_copies_and_truncates_the_wal()
    {
        var wal = new FileInfo(Path.Combine(_directory, "caseline.db-wal"));
        var body = new byte[16 * 1024];
        for (var unit = 0; unit < 20; unit++)
        {
            var first = unit * 50;
            await Writes.RunAsync(scope =>
            {
                for (var i = first; i < first + 50; i++)
                {
                    scope.Execute("INSERT INTO messages (agency_id, position, client_id, sub_type, occurred_on, body) VALUES (1, @position, 'C', 'S', 0, @body)",
                        ("@position", i), ("@body", body));
                }

                return 0;
            }, TestContext.Current.CancellationToken);
        }

        wal.Refresh();
        Assert.True(wal.Length > 12 * 1024 * 1024, $"the WAL holds every write until a checkpoint ({wal.Length} bytes)"); // SQLite's own would stop at ~4 MB

        ((SqliteDatabase)Database).Checkpoint(truncateAbove: 0);

        wal.Refresh();
        Assert.Equal(0, wal.Length);
        using var connection = Database.OpenReader();
        Assert.Equal(1_000, connection.Scalar<long>("SELECT COUNT(*) FROM messages"));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
#endif
