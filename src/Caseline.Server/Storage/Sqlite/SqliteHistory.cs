namespace Caseline.Server.Storage.Sqlite;

/// <summary>
/// SQLite's schema history, version by version, as Caseline shipped it before the schema was defined once
/// (<see cref="Schema"/>): a store an older Caseline made runs the versions it lacks. Never edited: a change to the schema
/// is a new step in <see cref="Schema.Upgrades"/>.
/// </summary>
internal static class SqliteHistory
{
    public static IReadOnlyDictionary<int, string> Scripts { get; } = new Dictionary<int, string>
    {
        [1] = """
            CREATE TABLE agencies (
                id            INTEGER PRIMARY KEY,
                name          TEXT    NOT NULL UNIQUE,
                last_position INTEGER NOT NULL DEFAULT 0,
                created_at    INTEGER NOT NULL
            );
            CREATE TABLE clients (
                agency_id   INTEGER NOT NULL REFERENCES agencies (id),
                client_id   TEXT    NOT NULL,
                first_name  TEXT,
                last_name   TEXT,
                search_name TEXT,
                status      TEXT,
                caseload    TEXT,
                officer     TEXT,
                created_at  INTEGER NOT NULL,
                updated_at  INTEGER NOT NULL,
                PRIMARY KEY (agency_id, client_id)
            ) WITHOUT ROWID;
            CREATE TABLE sections (
                agency_id INTEGER NOT NULL,
                client_id TEXT    NOT NULL,
                section   TEXT    NOT NULL,
                item_id   TEXT    NOT NULL,
                details   BLOB    NOT NULL,
                PRIMARY KEY (agency_id, client_id, section, item_id)
            ) WITHOUT ROWID;
            CREATE TABLE messages (
                agency_id   INTEGER NOT NULL,
                position    INTEGER NOT NULL,
                client_id   TEXT    NOT NULL,
                sub_type    TEXT    NOT NULL,
                occurred_on INTEGER NOT NULL,
                body        BLOB    NOT NULL,
                PRIMARY KEY (agency_id, position)
            ) WITHOUT ROWID;
            CREATE INDEX messages_by_client ON messages (agency_id, client_id, position);
            CREATE TABLE sync_jobs (
                id            TEXT    PRIMARY KEY,
                agency_id     INTEGER NOT NULL,
                state         TEXT    NOT NULL,
                updated_by    TEXT    NOT NULL,
                created_at    INTEGER NOT NULL,
                started_at    INTEGER,
                finished_at   INTEGER,
                total_lines   INTEGER NOT NULL DEFAULT 0,
                lines_done    INTEGER NOT NULL DEFAULT 0,
                created       INTEGER NOT NULL DEFAULT 0,
                updated       INTEGER NOT NULL DEFAULT 0,
                unchanged     INTEGER NOT NULL DEFAULT 0,
                invalid       INTEGER NOT NULL DEFAULT 0,
                items_removed INTEGER NOT NULL DEFAULT 0,
                messages      INTEGER NOT NULL DEFAULT 0,
                errors        TEXT    NOT NULL DEFAULT '[]',
                failure       TEXT
            );
            CREATE INDEX sync_jobs_by_agency ON sync_jobs (agency_id, created_at);
            CREATE TABLE lookups (
                agency_id INTEGER NOT NULL,
                kind      TEXT    NOT NULL,
                value     TEXT    NOT NULL,
                sort      INTEGER NOT NULL,
                PRIMARY KEY (agency_id, kind, value)
            ) WITHOUT ROWID;
            """,
        [2] = """
            ALTER TABLE messages ADD COLUMN activity_id TEXT;
            CREATE TABLE webhook_endpoints (
                id                    TEXT    PRIMARY KEY,
                agency_id             INTEGER NOT NULL REFERENCES agencies (id),
                url                   TEXT    NOT NULL,
                description           TEXT,
                sub_types             TEXT,
                enabled               INTEGER NOT NULL,
                disabled_reason       TEXT,
                secret                TEXT    NOT NULL,
                previous_secret       TEXT,
                previous_secret_until INTEGER,
                created_at            INTEGER NOT NULL,
                updated_at            INTEGER NOT NULL,
                last_success_at       INTEGER,
                failing_since         INTEGER,
                enqueued_through      INTEGER NOT NULL
            );
            CREATE INDEX webhook_endpoints_by_agency ON webhook_endpoints (agency_id);
            CREATE TABLE deliveries (
                id              INTEGER PRIMARY KEY,
                endpoint_id     TEXT    NOT NULL,
                position        INTEGER NOT NULL,
                client_id       TEXT    NOT NULL,
                state           TEXT    NOT NULL,
                attempts        INTEGER NOT NULL DEFAULT 0,
                attempt_base    INTEGER NOT NULL DEFAULT 0,
                next_attempt_at INTEGER NOT NULL,
                lease_until     INTEGER,
                last_status     INTEGER,
                last_error      TEXT,
                created_at      INTEGER NOT NULL,
                finished_at     INTEGER,
                UNIQUE (endpoint_id, position)
            );
            CREATE INDEX deliveries_open ON deliveries (endpoint_id, client_id, position) WHERE state IN ('Pending', 'Retrying', 'InFlight');
            CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state IN ('Pending', 'Retrying', 'InFlight');
            CREATE INDEX deliveries_by_state ON deliveries (endpoint_id, state, id);
            CREATE TABLE delivery_attempts (
                delivery_id INTEGER NOT NULL,
                attempt     INTEGER NOT NULL,
                at          INTEGER NOT NULL,
                status_code INTEGER,
                latency_ms  REAL    NOT NULL,
                error       TEXT,
                PRIMARY KEY (delivery_id, attempt)
            ) WITHOUT ROWID;
            """,
        [3] = """
            CREATE TABLE users (
                id            TEXT    PRIMARY KEY,
                agency_id     INTEGER REFERENCES agencies (id),
                login         TEXT    NOT NULL,
                login_key     TEXT    NOT NULL UNIQUE,
                role          TEXT    NOT NULL,
                password_hash TEXT    NOT NULL,
                disabled      INTEGER NOT NULL DEFAULT 0,
                created_at    INTEGER NOT NULL
            );
            CREATE INDEX users_by_agency ON users (agency_id);
            CREATE TABLE api_clients (
                client_id   TEXT    PRIMARY KEY,
                agency_id   INTEGER REFERENCES agencies (id),
                name        TEXT    NOT NULL,
                secret_hash TEXT,
                disabled    INTEGER NOT NULL DEFAULT 0,
                created_at  INTEGER NOT NULL
            );
            CREATE INDEX api_clients_by_agency ON api_clients (agency_id);
            CREATE TABLE logon_failures (
                login_key TEXT    NOT NULL,
                at        INTEGER NOT NULL
            );
            CREATE INDEX logon_failures_by_login ON logon_failures (login_key, at);
            CREATE TABLE audit (
                id        INTEGER PRIMARY KEY,
                agency_id INTEGER,
                at        INTEGER NOT NULL,
                actor     TEXT    NOT NULL,
                action    TEXT    NOT NULL,
                client_id TEXT,
                remote    TEXT,
                outcome   INTEGER NOT NULL
            );
            CREATE INDEX audit_by_agency ON audit (agency_id, id);
            """,
        [4] = """
            -- A delivery is the head of its stream when no earlier delivery of the same endpoint and client is
            -- still open: only heads are sent. Keeping the flag makes claiming a range scan of due heads.
            -- A leased (InFlight) delivery is next due when its lease ends.
            ALTER TABLE deliveries ADD COLUMN head INTEGER NOT NULL DEFAULT 0;
            UPDATE deliveries SET head = 1
            WHERE state IN ('Pending', 'Retrying', 'InFlight') AND NOT EXISTS (
                SELECT 1 FROM deliveries p
                WHERE p.endpoint_id = deliveries.endpoint_id AND p.client_id = deliveries.client_id AND p.position < deliveries.position
                  AND p.state IN ('Pending', 'Retrying', 'InFlight'));
            UPDATE deliveries SET next_attempt_at = lease_until WHERE state = 'InFlight' AND lease_until > next_attempt_at;
            DROP INDEX deliveries_due;
            CREATE INDEX deliveries_heads ON deliveries (endpoint_id, next_attempt_at, position) WHERE head = 1;
            """,
        [5] = """
            -- Nothing read it, and keeping it cost a write to the client's row (one more page per commit) for every change.
            -- A client's last change is its last message.
            ALTER TABLE clients DROP COLUMN updated_at;
            """,
        [6] = """
            -- The same rows as before, under a test SQLite evaluates as two comparisons. It looked a list of three
            -- constants up in a temporary table, built anew each time a statement wrote a delivery.
            DROP INDEX deliveries_open;
            CREATE INDEX deliveries_open ON deliveries (endpoint_id, client_id, position) WHERE state NOT IN ('Delivered', 'Failed');
            """,
        [7] = """
            -- Whose credentials wrote each message (API client and subject), so a reader can tell its own echo.
            -- Messages written before this know no origin: they are nobody's echo.
            ALTER TABLE messages ADD COLUMN origin TEXT;
            ALTER TABLE sync_jobs ADD COLUMN origin TEXT NOT NULL DEFAULT '';
            """,
        [8] = """
            -- Retention finds old finished deliveries by when they finished; only finished ones are indexed, once each.
            CREATE INDEX deliveries_finished ON deliveries (finished_at) WHERE finished_at IS NOT NULL;
            -- The write span (W3C trace context) a message was appended in, when tracing was on: its deliveries link to it.
            ALTER TABLE messages ADD COLUMN trace TEXT;
            """,
        [9] = """
            -- Which lease of a delivery an answer belongs to: a late answer to a lease that ran out (and was taken again) is not recorded.
            ALTER TABLE deliveries ADD COLUMN lease_token INTEGER;
            -- The node whose data folder holds a bulk job's spooled upload: only that node runs it.
            ALTER TABLE sync_jobs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
            -- Leader rows for background work that one process at a time does.
            CREATE TABLE cluster_leases (
                name   TEXT    PRIMARY KEY,
                holder TEXT    NOT NULL,
                until  INTEGER NOT NULL
            );
            """,
        [10] = MfaSchema,
        [11] = RevocationSchema,
        [12] = PasswordChangeSchema,
    };

    /// <summary>A user whose password someone else set (an invitation, an administrator's reset) must replace it at the next sign-in.</summary>
    public const string PasswordChangeSchema = """
        ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
        """;

    /// <summary>The web UI's second factor: a user's TOTP secret (encrypted), their recovery codes (hashed), an agency's rule.</summary>
    public const string MfaSchema = """
        ALTER TABLE users ADD COLUMN totp_secret TEXT;
        ALTER TABLE agencies ADD COLUMN require_mfa INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE recovery_codes (
            user_id   TEXT NOT NULL,
            code_hash TEXT NOT NULL,
            PRIMARY KEY (user_id, code_hash)
        );
        """;

    /// <summary>What ends tokens and sessions before their time, single-use codes, service accounts and bounded failure records.</summary>
    public const string RevocationSchema = """
        -- Every token and web session carries the security stamp its user and API client had when it was issued; a change
        -- that must end them all (disabled, role, password, second factor, secret) draws a new stamp.
        ALTER TABLE users ADD COLUMN stamp TEXT NOT NULL DEFAULT '';
        ALTER TABLE api_clients ADD COLUMN stamp TEXT NOT NULL DEFAULT '';
        -- A stamp need not be secret (tokens are sealed), only change: the first is the account's own id.
        UPDATE users SET stamp = id;
        UPDATE api_clients SET stamp = client_id;
        -- An account an integration logs on with by password alone: API only, never the web UI.
        ALTER TABLE users ADD COLUMN service_account INTEGER NOT NULL DEFAULT 0;
        -- The last authenticator time step a code was accepted for: each code is good once.
        ALTER TABLE users ADD COLUMN totp_step BIGINT NOT NULL DEFAULT 0;
        -- Sessions ended before their time (sign-out, RFC 7009 revocation), kept until they would have expired anyway.
        CREATE TABLE ended_sessions (
            id    TEXT   PRIMARY KEY,
            until BIGINT NOT NULL
        );
        -- Failure records now hold a hash of what was typed (bounded, and nothing a stranger typed is kept), pruned by time.
        DELETE FROM logon_failures;
        CREATE INDEX logon_failures_by_time ON logon_failures (at);
        """;
}
