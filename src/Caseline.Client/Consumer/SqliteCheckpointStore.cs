using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Caseline.Client.Consumer;

/// <summary>
/// Checkpoints in a SQLite database — typically the CMS's own. Each message is handled in one
/// <c>BEGIN IMMEDIATE</c> transaction that the handler may write to (<see cref="CheckpointUnit.Transaction"/>):
/// the CMS's changes, the consumer's position and a processed-message record commit together, so a message is
/// applied effectively once, even when it is read again (a replay, a reset, a second copy of the feed).
/// </summary>
public sealed class SqliteCheckpointStore : ICheckpointStore
{
    private readonly string _connectionString;
    private readonly TimeProvider _clock;

    /// <summary>A store over the database <paramref name="connectionString"/> names; its tables are created if missing.</summary>
    public SqliteCheckpointStore(string connectionString, TimeProvider? clock = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _connectionString = connectionString;
        _clock = clock ?? TimeProvider.System;
        using var connection = Open();
        Execute(connection, null, """
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS caseline_checkpoints (consumer TEXT PRIMARY KEY, position INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS caseline_processed (
                consumer TEXT NOT NULL, message_id TEXT NOT NULL, position INTEGER NOT NULL, processed_at INTEGER NOT NULL,
                PRIMARY KEY (consumer, message_id)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS caseline_parked (
                consumer TEXT NOT NULL, position INTEGER NOT NULL, message_id TEXT NOT NULL, body BLOB NOT NULL, reason TEXT NOT NULL, parked_at INTEGER NOT NULL,
                PRIMARY KEY (consumer, position)) WITHOUT ROWID;
            """);
    }

    /// <inheritdoc />
    public async Task<long> GetPositionAsync(string consumer, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(connection, null, "SELECT position FROM caseline_checkpoints WHERE consumer = @consumer", ("@consumer", consumer));
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long position ? position : 0;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ParkedMessage>> GetParkedAsync(string consumer, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = Command(
            connection, null, "SELECT position, message_id, body, reason, parked_at FROM caseline_parked WHERE consumer = @consumer ORDER BY position", ("@consumer", consumer));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var parked = new List<ParkedMessage>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            parked.Add(new ParkedMessage(reader.GetInt64(0), reader.GetString(1), (byte[])reader.GetValue(2), reader.GetString(3), new DateTimeOffset(reader.GetInt64(4), TimeSpan.Zero)));
        }

        return parked;
    }

    /// <inheritdoc />
    public async Task ResetAsync(string consumer, long position, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        await using var connection = Open();
        await using var command = Command(
            connection, null,
            "INSERT INTO caseline_checkpoints (consumer, position) VALUES (@consumer, @position) ON CONFLICT (consumer) DO UPDATE SET position = excluded.position",
            ("@consumer", consumer), ("@position", position));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<CheckpointUnit> BeginAsync(string consumer, FeedItem item, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(consumer);
        ArgumentNullException.ThrowIfNull(item);
        var connection = Open();
        try
        {
            // IMMEDIATE takes the write lock now: a handler's first write can then never fail to upgrade a read lock.
#pragma warning disable CA1849 // Microsoft.Data.Sqlite's async methods run synchronously; only this overload says IMMEDIATE.
            var transaction = connection.BeginTransaction(deferred: false);
#pragma warning restore CA1849
            var messageId = item.MessageId;
            await using var seen = Command(
                connection, transaction, "SELECT 1 FROM caseline_processed WHERE consumer = @consumer AND message_id = @id", ("@consumer", consumer), ("@id", messageId));
            var processed = await seen.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
            return new Unit(this, connection, transaction, consumer, item, messageId, processed);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, null, "PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;");
        return connection;
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        command.ExecuteNonQuery();
    }

    private sealed class Unit(
        SqliteCheckpointStore store, SqliteConnection connection, SqliteTransaction transaction, string consumer, FeedItem item, string messageId, bool processed)
        : CheckpointUnit
    {
        private string? _parkReason;
        private bool _unpark;
        private bool _committed;

        public override DbConnection Connection => connection;

        public override DbTransaction Transaction => transaction;

        public override bool AlreadyProcessed => processed;

        public override void Park(string reason) => _parkReason = reason;

        public override void Unpark() => _unpark = true;

        public override async Task CommitAsync(CancellationToken cancellationToken)
        {
            var now = store._clock.GetUtcNow().UtcTicks;
            Execute(connection, transaction,
                """
                INSERT INTO caseline_checkpoints (consumer, position) VALUES (@consumer, @position)
                ON CONFLICT (consumer) DO UPDATE SET position = MAX(position, excluded.position)
                """, ("@consumer", consumer), ("@position", item.Position));
            if (_unpark)
            {
                Execute(connection, transaction, "DELETE FROM caseline_parked WHERE consumer = @consumer AND position = @position", ("@consumer", consumer), ("@position", item.Position));
            }

            if (_parkReason is not null)
            {
                Execute(connection, transaction,
                    """
                    INSERT INTO caseline_parked (consumer, position, message_id, body, reason, parked_at) VALUES (@consumer, @position, @id, @body, @reason, @now)
                    ON CONFLICT DO NOTHING
                    """, ("@consumer", consumer), ("@position", item.Position), ("@id", messageId), ("@body", item.Body.ToArray()), ("@reason", _parkReason), ("@now", now));
            }
            else if (!processed)
            {
                Execute(connection, transaction,
                    "INSERT INTO caseline_processed (consumer, message_id, position, processed_at) VALUES (@consumer, @id, @position, @now)",
                    ("@consumer", consumer), ("@id", messageId), ("@position", item.Position), ("@now", now));
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            _committed = true;
        }

        public override async ValueTask DisposeAsync()
        {
            if (!_committed)
            {
                await transaction.RollbackAsync().ConfigureAwait(false);
            }

            await transaction.DisposeAsync().ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }
    }
}
