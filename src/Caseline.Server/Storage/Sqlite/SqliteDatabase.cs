using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Caseline.Server.Storage.Sqlite;

/// <summary>
/// The embedded default: one SQLite file in WAL mode. Readers use pooled connections and never block
/// the writer; the write queue holds the single writer connection with <c>synchronous=FULL</c>, so a
/// commit is on disk (WAL fsynced) before any request it carries is answered.
/// </summary>
internal sealed class SqliteDatabase : Database
{
    private readonly string _connectionString;
    private readonly string _path;

    public SqliteDatabase(string path)
    {
        _path = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public override string Provider => "sqlite";

    public override SchemaDialect Dialect { get; } = new(
        Long: "INTEGER", Int: "INTEGER", Text: "TEXT", Bytes: "BLOB", Real: "REAL", KeyColumn: "INTEGER PRIMARY KEY", CompactSuffix: " WITHOUT ROWID", Shared: false);

    public override IReadOnlyDictionary<int, string> History => SqliteHistory.Scripts;

    public override IReadOnlyList<StoredColumn> DescribeColumns(DbConnection connection)
    {
        var columns = new List<StoredColumn>();
        foreach (var table in TableNames(connection))
        {
            // The declared type's affinity is what SQLite keeps (BIGINT and INTEGER are both integers).
            using var command = connection.Command($"SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info('{table}')");
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var type = reader.GetString(1).ToUpperInvariant();
                var kind = type.Contains("INT", StringComparison.Ordinal) ? "integer"
                    : type.Contains("TEXT", StringComparison.Ordinal) ? "text"
                    : type.Contains("BLOB", StringComparison.Ordinal) ? "bytes"
                    : "real";
                var key = reader.GetInt64(4) > 0;
                // A rowid key (INTEGER PRIMARY KEY) is never null, whatever the pragma says.
                columns.Add(new StoredColumn(table, reader.GetString(0), kind, reader.GetInt64(2) == 0 && !key, reader.NullableString(3), key));
            }
        }

        return columns;
    }

    public override IReadOnlyList<string> DescribeIndexes(DbConnection connection)
    {
        using var command = connection.Command("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name");
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    private static List<string> TableNames(DbConnection connection)
    {
        using var command = connection.Command("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name <> 'schema_version' ORDER BY name");
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    public override DbConnection OpenReader()
    {
        // Readers read pages with pread, not through a memory map: mapped, the feed read 20-35% slower and an
        // empty head page took twice as long, each pooled connection remapping a growing file (bench/README.md).
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    public override DbConnection OpenWriter()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        // WAL lets readers run beside the writer; FULL fsyncs the WAL at every commit, so an
        // acknowledged change survives power loss, not only a process crash. The writer never
        // checkpoints: copying the WAL into the database (and fsyncing it) took the writer away for tens
        // of milliseconds every few megabytes; the checkpointer does it beside the writer instead.
        connection.Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA wal_autocheckpoint=0;");
        return connection;
    }

    /// <summary>
    /// Copies committed WAL frames into the database file without blocking the writer or readers
    /// (a passive checkpoint); once a checkpoint has copied everything, the next write starts the WAL
    /// over. When the WAL has still grown past <paramref name="truncateAbove"/> bytes (readers kept
    /// old frames in use), the checkpoint waits for them and truncates it.
    /// </summary>
    public void Checkpoint(long truncateAbove)
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        var wal = new FileInfo(_path + "-wal");
        connection.Execute(wal.Exists && wal.Length > truncateAbove ? "PRAGMA wal_checkpoint(TRUNCATE)" : "PRAGMA wal_checkpoint(PASSIVE)");
    }

    /// <summary>
    /// An online, consistent copy of the database: <c>VACUUM INTO</c> reads one snapshot (writers go on beside
    /// it, as for any reader) and writes a compact new file.
    /// </summary>
    public override void Backup(string path)
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        connection.Execute("VACUUM INTO @path", null, ("@path", path));
    }

    /// <summary>SQLITE_FULL (13): a write or a commit found no room; the transaction was rolled back whole.</summary>
    public override bool IsOutOfSpace(Exception exception) => exception is SqliteException { SqliteErrorCode: 13 } || base.IsOutOfSpace(exception);

    // A deferred transaction takes its WAL snapshot at the first read and keeps it to the end.
    public override DbTransaction BeginRead(DbConnection connection) =>
        ((SqliteConnection)connection).BeginTransaction(deferred: true);

    public override DbTransaction BeginWrite(DbConnection connection) =>
        ((SqliteConnection)connection).BeginTransaction(deferred: false);
}
