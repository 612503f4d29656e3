using Caseline.Messages;
using Caseline.Messages.Json;
using Microsoft.Data.Sqlite;

namespace Caseline.Client.Mirror;

/// <summary>
/// A local SQLite copy of the agency's current profiles, kept by applying Transmit messages: each message
/// replaces its section (or item) when it is newer than what is stored for it, an item's <c>Removed</c>
/// deletes it, and a message at or below the stored position of its section is ignored — so duplicates,
/// replays and a feed read twice are harmless. <see cref="GetProfile"/> answers what
/// <c>GET /api/v1/clients/{id}</c> would, without a call.
/// </summary>
public sealed class ProfileMirror : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _upsert;
    private readonly SqliteCommand _advance;

    private ProfileMirror(SqliteConnection connection)
    {
        _connection = connection;
        Execute("""
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=NORMAL;
            CREATE TABLE IF NOT EXISTS mirror_sections (
                client_id TEXT NOT NULL, section TEXT NOT NULL, item_id TEXT NOT NULL,
                position INTEGER NOT NULL, details BLOB,
                PRIMARY KEY (client_id, section, item_id)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS mirror_state (id INTEGER PRIMARY KEY CHECK (id = 1), position INTEGER NOT NULL);
            INSERT OR IGNORE INTO mirror_state (id, position) VALUES (1, 0);
            """);

        // A removed item keeps its row without details (a tombstone), so an older Created replayed later cannot bring it back.
        _upsert = Prepare("""
            INSERT INTO mirror_sections (client_id, section, item_id, position, details) VALUES (@client, @section, @item, @position, @details)
            ON CONFLICT (client_id, section, item_id) DO UPDATE SET position = excluded.position, details = excluded.details
            WHERE excluded.position > mirror_sections.position
            """, "@client", "@section", "@item", "@position", "@details");
        _advance = Prepare("UPDATE mirror_state SET position = MAX(position, @position) WHERE id = 1", "@position");
    }

    /// <summary>Opens (or creates) the mirror in the SQLite file at <paramref name="path"/>.</summary>
    public static ProfileMirror Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        return new ProfileMirror(connection);
    }

    /// <summary>The highest feed position applied: where <see cref="CatchUpAsync"/> resumes.</summary>
    public long Position => (long)Scalar("SELECT position FROM mirror_state WHERE id = 1")!;

    /// <summary>Applies messages in one transaction. Items may come in any order and more than once: only the newest state of each section counts.</summary>
    public void Apply(IEnumerable<FeedItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        using var transaction = _connection.BeginTransaction();
        _upsert.Transaction = transaction;
        _advance.Transaction = transaction;
        long highest = 0;
        foreach (var item in items)
        {
            var message = item.Message;
            var details = message.Details;
            _upsert.Parameters[0].Value = message.Client.IntegrationId;
            _upsert.Parameters[1].Value = details.SubType;
            _upsert.Parameters[2].Value = details is ItemDetails i ? i.IntegrationId : "";
            _upsert.Parameters[3].Value = item.Position;
            _upsert.Parameters[4].Value = message.Verb == ChangeVerb.Removed ? DBNull.Value : MessageWriter.DetailsToUtf8Bytes(details);
            _upsert.ExecuteNonQuery();
            highest = Math.Max(highest, item.Position);
        }

        _advance.Parameters[0].Value = highest;
        _advance.ExecuteNonQuery();
        transaction.Commit();
    }

    /// <summary>The client's current profile as the mirror holds it, or null when no message about the client was applied.</summary>
    public ClientProfile? GetProfile(string clientId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clientId);
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT section, details FROM mirror_sections WHERE client_id = @client";
        command.Parameters.AddWithValue("@client", clientId);
        using var reader = command.ExecuteReader();
        var sections = new List<SectionDetails>();
        var known = false;
        while (reader.Read())
        {
            known = true;
            if (!reader.IsDBNull(1))
            {
                sections.Add(MessageReader.ReadDetails((byte[])reader.GetValue(1), Section.Find(reader.GetString(0))));
            }
        }

        return known ? ClientProfile.FromSections(clientId, sections) : null;
    }

    /// <summary>Every client the mirror knows, in identifier order.</summary>
    public IReadOnlyList<string> ClientIds()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT DISTINCT client_id FROM mirror_sections ORDER BY client_id";
        using var reader = command.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <summary>
    /// Reads the feed from <see cref="Position"/> and applies it, one transaction per page; with
    /// <paramref name="follow"/> it keeps applying new messages until cancelled. Returns how many messages were applied.
    /// </summary>
    public async Task<long> CatchUpAsync(CaselineClient client, bool follow = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var applied = 0L;
        try
        {
            await foreach (var page in client.ReadFeedPagesAsync(Position, new FeedReadOptions { Follow = follow }, cancellationToken).ConfigureAwait(false))
            {
                Apply(page);
                applied += page.Count;
            }
        }
        catch (OperationCanceledException) when (follow && cancellationToken.IsCancellationRequested)
        {
            // Following ends when the caller stops it; what was applied is committed.
        }

        return applied;
    }

    /// <summary>Forgets everything and applies the whole feed again from position 0.</summary>
    public async Task<long> RebuildAsync(CaselineClient client, CancellationToken cancellationToken = default)
    {
        Execute("DELETE FROM mirror_sections; UPDATE mirror_state SET position = 0 WHERE id = 1;");
        return await CatchUpAsync(client, follow: false, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _upsert.Dispose();
        _advance.Dispose();
        _connection.Dispose();
    }

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private object? Scalar(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
