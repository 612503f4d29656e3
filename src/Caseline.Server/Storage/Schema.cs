using System.Globalization;
using System.Text;

namespace Caseline.Server.Storage;

/// <summary>What a column holds; each provider names its own type for it (<see cref="SchemaDialect"/>).</summary>
internal enum ColumnType
{
    /// <summary>A table's own 64-bit id, numbered by the store.</summary>
    Key,

    /// <summary>A 64-bit integer: ids, positions, counts, every instant (UTC ticks).</summary>
    Long,

    /// <summary>A 32-bit integer: flags, attempt numbers, HTTP statuses, sort orders.</summary>
    Int,

    Text,

    Bytes,

    Real,
}

internal sealed record Column(string Name, ColumnType Type, bool Null = false, string? Default = null, string? References = null);

internal sealed record Index(string Name, string Columns, string? Where = null);

/// <summary>
/// A table: its primary key's columns (unless a <see cref="ColumnType.Key"/> column is the key), one unique constraint, its
/// indexes; <c>Compact</c> stores it in its key's order with no separate row id (SQLite's <c>WITHOUT ROWID</c>), and
/// only a store that several processes share has a <c>SharedOnly</c> table.
/// </summary>
internal sealed record Table(string Name, Column[] Columns, string? Key = null, string? Unique = null, Index[]? Indexes = null, bool Compact = false, bool SharedOnly = false);

/// <summary>How a provider spells the schema: its type names and its numbered key.</summary>
internal sealed record SchemaDialect(string Long, string Int, string Text, string Bytes, string Real, string KeyColumn, string CompactSuffix, bool Shared)
{
    public string TypeOf(ColumnType type) => type switch
    {
        ColumnType.Long => Long,
        ColumnType.Int => Int,
        ColumnType.Text => Text,
        ColumnType.Bytes => Bytes,
        ColumnType.Real => Real,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}

/// <summary>
/// The schema, defined once: every table, column and index, from which each provider's <c>CREATE</c> statements come.
/// A store at version 0 is created from it; a store an older Caseline made is brought by its provider's own history
/// (<see cref="Database.History"/>) to this shape at version <see cref="Unified"/>; after that there is one numbering and
/// one history (<see cref="Upgrades"/>) for both providers.
/// The storage contract tests read each provider's schema back and compare it with this, column by column.
/// </summary>
internal static class Schema
{
    /// <summary>The version at which both providers' histories meet this definition, and from which they number their versions alike.</summary>
    public const int Unified = 13;

    /// <summary>The version a migrated store is at.</summary>
    public static int Version => Unified + Upgrades.Count;

    /// <summary>
    /// Steps after <see cref="Unified"/>, one per version, the same for every provider (written against <see cref="SchemaDialect"/>
    /// where types differ). Each step also changes <see cref="Tables"/>, so that a new store is created in its final shape.
    /// </summary>
    public static IReadOnlyList<Func<SchemaDialect, string>> Upgrades { get; } = [];

    public static IReadOnlyList<Table> Tables { get; } =
    [
        new("agencies",
        [
            new("id", ColumnType.Key),
            new("name", ColumnType.Text),
            new("last_position", ColumnType.Long, Default: "0"),
            new("created_at", ColumnType.Long),
            new("require_mfa", ColumnType.Int, Default: "0"),
        ], Unique: "name"),
        new("clients",
        [
            new("agency_id", ColumnType.Long, References: "agencies (id)"),
            new("client_id", ColumnType.Text),
            new("first_name", ColumnType.Text, Null: true),
            new("last_name", ColumnType.Text, Null: true),
            new("search_name", ColumnType.Text, Null: true),
            new("status", ColumnType.Text, Null: true),
            new("caseload", ColumnType.Text, Null: true),
            new("officer", ColumnType.Text, Null: true),
            new("created_at", ColumnType.Long),
        ], Key: "agency_id, client_id", Compact: true),
        new("sections",
        [
            new("agency_id", ColumnType.Long),
            new("client_id", ColumnType.Text),
            new("section", ColumnType.Text),
            new("item_id", ColumnType.Text),
            new("details", ColumnType.Bytes),
        ], Key: "agency_id, client_id, section, item_id", Compact: true),
        new("messages",
        [
            new("agency_id", ColumnType.Long),
            new("position", ColumnType.Long),
            new("client_id", ColumnType.Text),
            new("sub_type", ColumnType.Text),
            new("occurred_on", ColumnType.Long),
            new("body", ColumnType.Bytes),
            new("activity_id", ColumnType.Text, Null: true),
            // Whose credentials wrote it (API client and subject), so a reader can tell its own echo.
            new("origin", ColumnType.Text, Null: true),
            // The write span (W3C trace context) it was appended in, when tracing was on: its deliveries link to it.
            new("trace", ColumnType.Text, Null: true),
        ], Key: "agency_id, position", Compact: true, Indexes: [new("messages_by_client", "agency_id, client_id, position")]),
        new("sync_jobs",
        [
            new("id", ColumnType.Text),
            new("agency_id", ColumnType.Long),
            new("state", ColumnType.Text),
            new("updated_by", ColumnType.Text),
            new("created_at", ColumnType.Long),
            new("started_at", ColumnType.Long, Null: true),
            new("finished_at", ColumnType.Long, Null: true),
            new("total_lines", ColumnType.Long, Default: "0"),
            new("lines_done", ColumnType.Long, Default: "0"),
            new("created", ColumnType.Long, Default: "0"),
            new("updated", ColumnType.Long, Default: "0"),
            new("unchanged", ColumnType.Long, Default: "0"),
            new("invalid", ColumnType.Long, Default: "0"),
            new("items_removed", ColumnType.Long, Default: "0"),
            new("messages", ColumnType.Long, Default: "0"),
            new("errors", ColumnType.Text, Default: "'[]'"),
            new("failure", ColumnType.Text, Null: true),
            new("origin", ColumnType.Text, Default: "''"),
            // The node whose data folder holds the job's spooled upload: only that node runs it.
            new("owner", ColumnType.Text, Default: "''"),
        ], Key: "id", Indexes: [new("sync_jobs_by_agency", "agency_id, created_at")]),
        new("lookups",
        [
            new("agency_id", ColumnType.Long),
            new("kind", ColumnType.Text),
            new("value", ColumnType.Text),
            new("sort", ColumnType.Int),
        ], Key: "agency_id, kind, value", Compact: true),
        new("webhook_endpoints",
        [
            new("id", ColumnType.Text),
            new("agency_id", ColumnType.Long, References: "agencies (id)"),
            new("url", ColumnType.Text),
            new("description", ColumnType.Text, Null: true),
            new("sub_types", ColumnType.Text, Null: true),
            new("enabled", ColumnType.Int),
            new("disabled_reason", ColumnType.Text, Null: true),
            new("secret", ColumnType.Text),
            new("previous_secret", ColumnType.Text, Null: true),
            new("previous_secret_until", ColumnType.Long, Null: true),
            new("created_at", ColumnType.Long),
            new("updated_at", ColumnType.Long),
            new("last_success_at", ColumnType.Long, Null: true),
            new("failing_since", ColumnType.Long, Null: true),
            new("enqueued_through", ColumnType.Long),
        ], Key: "id", Indexes: [new("webhook_endpoints_by_agency", "agency_id")]),
        new("deliveries",
        [
            new("id", ColumnType.Key),
            new("endpoint_id", ColumnType.Text),
            new("position", ColumnType.Long),
            new("client_id", ColumnType.Text),
            new("state", ColumnType.Text),
            new("attempts", ColumnType.Int, Default: "0"),
            new("attempt_base", ColumnType.Int, Default: "0"),
            // A leased (InFlight) delivery is next due when its lease ends.
            new("next_attempt_at", ColumnType.Long),
            new("lease_until", ColumnType.Long, Null: true),
            // Which lease an answer belongs to: a late answer to a lease that ran out (and was taken again) is not recorded.
            new("lease_token", ColumnType.Long, Null: true),
            new("last_status", ColumnType.Int, Null: true),
            new("last_error", ColumnType.Text, Null: true),
            new("created_at", ColumnType.Long),
            new("finished_at", ColumnType.Long, Null: true),
            // The head of its stream: no earlier delivery of the same endpoint and client is still open. Only heads are sent,
            // and keeping the flag makes claiming a range scan of due heads.
            new("head", ColumnType.Int, Default: "0"),
        ], Unique: "endpoint_id, position", Indexes:
        [
            new("deliveries_open", "endpoint_id, client_id, position", "state NOT IN ('Delivered', 'Failed')"),
            new("deliveries_heads", "endpoint_id, next_attempt_at, position", "head = 1"),
            new("deliveries_by_state", "endpoint_id, state, id"),
            // Retention finds old finished deliveries by when they finished; only finished ones are indexed.
            new("deliveries_finished", "finished_at", "finished_at IS NOT NULL"),
        ]),
        new("delivery_attempts",
        [
            new("delivery_id", ColumnType.Long),
            new("attempt", ColumnType.Int),
            new("at", ColumnType.Long),
            new("status_code", ColumnType.Int, Null: true),
            new("latency_ms", ColumnType.Real),
            new("error", ColumnType.Text, Null: true),
        ], Key: "delivery_id, attempt", Compact: true),
        new("users",
        [
            new("id", ColumnType.Text),
            new("agency_id", ColumnType.Long, Null: true, References: "agencies (id)"),
            new("login", ColumnType.Text),
            new("login_key", ColumnType.Text),
            new("role", ColumnType.Text),
            new("password_hash", ColumnType.Text),
            new("disabled", ColumnType.Int, Default: "0"),
            new("created_at", ColumnType.Long),
            // The authenticator's secret, encrypted.
            new("totp_secret", ColumnType.Text, Null: true),
            // Drawn anew by every change that must end the account's tokens and sessions; the first is the account's id.
            new("stamp", ColumnType.Text, Default: "''"),
            // Logs on by password alone, to the API only, never the web UI.
            new("service_account", ColumnType.Int, Default: "0"),
            // The last authenticator time step a code was accepted for: each code is good once.
            new("totp_step", ColumnType.Long, Default: "0"),
            // Someone else set the password (an invitation, a reset): it must be replaced at the next sign-in.
            new("must_change_password", ColumnType.Int, Default: "0"),
        ], Key: "id", Unique: "login_key", Indexes: [new("users_by_agency", "agency_id")]),
        new("api_clients",
        [
            new("client_id", ColumnType.Text),
            new("agency_id", ColumnType.Long, Null: true, References: "agencies (id)"),
            new("name", ColumnType.Text),
            new("secret_hash", ColumnType.Text, Null: true),
            new("disabled", ColumnType.Int, Default: "0"),
            new("created_at", ColumnType.Long),
            new("stamp", ColumnType.Text, Default: "''"),
        ], Key: "client_id", Indexes: [new("api_clients_by_agency", "agency_id")]),
        new("logon_failures",
        [
            // A hash of what was typed: bounded, and nothing a stranger typed is kept.
            new("login_key", ColumnType.Text),
            new("at", ColumnType.Long),
        ], Indexes: [new("logon_failures_by_login", "login_key, at"), new("logon_failures_by_time", "at")]),
        new("recovery_codes",
        [
            new("user_id", ColumnType.Text),
            new("code_hash", ColumnType.Text),
        ], Key: "user_id, code_hash"),
        // Sessions ended before their time (sign-out, revocation), kept until they would have expired anyway.
        new("ended_sessions",
        [
            new("id", ColumnType.Text),
            new("until", ColumnType.Long),
        ], Key: "id"),
        new("audit",
        [
            new("id", ColumnType.Key),
            new("agency_id", ColumnType.Long, Null: true),
            new("at", ColumnType.Long),
            new("actor", ColumnType.Text),
            new("action", ColumnType.Text),
            new("client_id", ColumnType.Text, Null: true),
            new("remote", ColumnType.Text, Null: true),
            new("outcome", ColumnType.Int),
        ], Indexes: [new("audit_by_agency", "agency_id, id")]),
        // Leader rows for background work that one process at a time does.
        new("cluster_leases",
        [
            new("name", ColumnType.Text),
            new("holder", ColumnType.Text),
            new("until", ColumnType.Long),
        ], Key: "name"),
        // The Data Protection key ring (token and webhook-secret keys), shared by every process; SQLite keeps it in files.
        new("data_protection_keys",
        [
            new("name", ColumnType.Text),
            new("xml", ColumnType.Text),
        ], Key: "name", SharedOnly: true),
    ];

    /// <summary>The tables <paramref name="dialect"/>'s stores have.</summary>
    public static IEnumerable<Table> For(SchemaDialect dialect) => Tables.Where(t => dialect.Shared || !t.SharedOnly);

    /// <summary>Every statement that creates the schema at <see cref="Version"/> in an empty store.</summary>
    public static string Create(SchemaDialect dialect)
    {
        var sql = new StringBuilder();
        foreach (var table in For(dialect))
        {
            var lines = table.Columns.Select(column => "    " + Define(column, dialect)).ToList();
            if (table.Key is { } key)
            {
                lines.Add($"    PRIMARY KEY ({key})");
            }

            if (table.Unique is { } unique)
            {
                lines.Add($"    UNIQUE ({unique})");
            }

            sql.Append(CultureInfo.InvariantCulture, $"CREATE TABLE {table.Name} (\n{string.Join(",\n", lines)}\n){(table.Compact ? dialect.CompactSuffix : "")};\n");
            foreach (var index in table.Indexes ?? [])
            {
                sql.Append(CultureInfo.InvariantCulture, $"CREATE INDEX {index.Name} ON {table.Name} ({index.Columns}){(index.Where is { } where ? " WHERE " + where : "")};\n");
            }
        }

        return sql.ToString();
    }

    private static string Define(Column column, SchemaDialect dialect)
    {
        if (column.Type == ColumnType.Key)
        {
            return $"{column.Name} {dialect.KeyColumn}";
        }

        var text = $"{column.Name} {dialect.TypeOf(column.Type)}";
        text += column.Null ? "" : " NOT NULL";
        text += column.Default is { } value ? " DEFAULT " + value : "";
        text += column.References is { } target ? " REFERENCES " + target : "";
        return text;
    }
}
