using System.Data.Common;
using Caseline.Server.Log;

namespace Caseline.Server.Storage;

/// <summary>
/// The storage contract, written once. A provider says how to connect, how to open a write transaction, and the few
/// things that differ between one writer and many (locks, the clock, notifications). The SQL itself lives in one
/// storage class per concern (<see cref="Clients"/>, <see cref="Log"/>, <see cref="Deliveries"/>, <see cref="Identity"/>,
/// <see cref="Audit"/>, <see cref="Jobs"/>): portable SQL with named parameters in the class, and a provider's subclass
/// overrides only the statements whose SQL differs on it (arrays, <c>SKIP LOCKED</c>). Nothing else writes SQL.
/// </summary>
internal abstract class Database
{
    protected Database()
    {
        Clients = new ClientStorage(this);
        Log = new LogStorage(this);
        Deliveries = new DeliveryStorage(this);
        Identity = new IdentityStorage(this);
        Audit = new AuditStorage(this);
        Jobs = new JobStorage(this);
    }

    /// <summary>Clients, their sections and items, and the agency's lookup values.</summary>
    public ClientStorage Clients { get; protected init; }

    /// <summary>The message log: positions, appending, reading in order.</summary>
    public LogStorage Log { get; protected init; }

    /// <summary>Webhook endpoints and their deliveries: every state a delivery passes through.</summary>
    public DeliveryStorage Deliveries { get; protected init; }

    /// <summary>Agencies, users, API clients, sign-in failures, second factors, ended sessions.</summary>
    public IdentityStorage Identity { get; protected init; }

    /// <summary>The audit trail.</summary>
    public AuditStorage Audit { get; protected init; }

    /// <summary>Bulk sync jobs and the leader rows of background work.</summary>
    public JobStorage Jobs { get; protected init; }

    /// <summary>A short name for logs and health output.</summary>
    public abstract string Provider { get; }

    /// <summary>How this provider spells the schema (<see cref="Schema"/>).</summary>
    public abstract SchemaDialect Dialect { get; }

    /// <summary>
    /// The provider's own history from before the schema was defined once: by version (in <see cref="Schema"/>'s numbering),
    /// the script that brought a store an older Caseline made to it. Only stores made before version
    /// <see cref="Schema.Unified"/> run any of it; a new store is created from <see cref="Schema"/>.
    /// </summary>
    public abstract IReadOnlyDictionary<int, string> History { get; }

    /// <summary>The version a store whose <c>schema_version</c> says <paramref name="stored"/> is at, in <see cref="Schema"/>'s numbering.</summary>
    public virtual long VersionOf(long stored) => stored;

    /// <summary>The version the store's schema is at (0 for an empty store), in <see cref="Schema"/>'s numbering.</summary>
    public long SchemaVersion(DbConnection connection) =>
        VersionOf(connection.Scalar<long?>("SELECT MAX(version) FROM schema_version") ?? 0);

    /// <summary>Every column of every table the store has, as it describes them itself (for the schema contract test).</summary>
    public abstract IReadOnlyList<StoredColumn> DescribeColumns(DbConnection connection);

    /// <summary>The names of the indexes the schema made (not those a key or a unique constraint made).</summary>
    public abstract IReadOnlyList<string> DescribeIndexes(DbConnection connection);

    /// <summary>Opens a connection for reading.</summary>
    public abstract DbConnection OpenReader();

    /// <summary>Opens the connection the write queue keeps for its whole life.</summary>
    public abstract DbConnection OpenWriter();

    /// <summary>Starts a read-only transaction whose queries all see one snapshot.</summary>
    public abstract DbTransaction BeginRead(DbConnection connection);

    /// <summary>Starts a write transaction that takes the write lock at once.</summary>
    public abstract DbTransaction BeginWrite(DbConnection connection);

    /// <summary>Writes an online, consistent copy of the whole store to <paramref name="path"/> (a new file).</summary>
    public abstract void Backup(string path);

    /// <summary>Whether <paramref name="exception"/> says the disk is full (the store's own code, or a file's ENOSPC / ERROR_DISK_FULL).</summary>
    public virtual bool IsOutOfSpace(Exception exception) => exception is IOException { HResult: 28 or unchecked((int)0x80070070) };

    /// <summary>Whether <paramref name="exception"/> says the store could not be reached (a database server restarting, a lost connection).</summary>
    public virtual bool IsUnavailable(Exception exception) => false;

    /// <summary>
    /// Whether a failed batch may simply run again: the database chose it as a deadlock's victim, or could not serialise it.
    /// A store with one writer has neither.
    /// </summary>
    public virtual bool IsTransient(Exception exception) => false;

    /// <summary>
    /// Whether each unit of a write batch runs in a savepoint of its own, so that a failing unit rolls back alone. Where a
    /// savepoint costs round trips (a database server), the batch is run again without the failing unit instead.
    /// </summary>
    public virtual bool SavepointPerUnit => true;

    /// <summary>Whether several processes may share this store (and so must claim work from each other).</summary>
    public virtual bool IsShared => false;

    /// <summary>
    /// Holds the schema lock on <paramref name="connection"/> until the result is disposed, so that processes
    /// starting at once migrate one after another. A store with one process needs none.
    /// </summary>
    public virtual IDisposable LockSchema(DbConnection connection) => NoLock.Instance;

    /// <summary>
    /// Serialises, across processes and until the transaction ends, the writers of the same webhook streams (an endpoint
    /// and a client: one that finishes a stream's head and one that appends to its tail must not miss each other).
    /// <paramref name="endpoints"/> are taken shared (many writers of one endpoint's streams go on together, while
    /// <see cref="LockEndpoint"/> waits), then <paramref name="streams"/> exclusively; both in ascending order, so two
    /// writers never deadlock on them. A store with one writer needs neither.
    /// </summary>
    public virtual void LockStreams(WriteScope scope, IReadOnlyCollection<string> endpoints, IReadOnlyCollection<long> streams)
    {
    }

    /// <summary>
    /// Serialises one piece of work across processes until the transaction ends: a unit that checks and then inserts
    /// (the first start's bootstrap) takes it first, so that two processes starting at once do it once.
    /// </summary>
    public virtual void LockNamed(WriteScope scope, string name)
    {
    }

    /// <summary>Takes exclusive locks on <paramref name="keys"/>, in ascending order, until the transaction ends; nothing where one writer writes.</summary>
    public virtual void LockKeys(WriteScope scope, IReadOnlyCollection<long> keys)
    {
    }

    /// <summary>Takes all of an endpoint's streams at once (putting failed deliveries back sets every head afresh).</summary>
    public virtual void LockEndpoint(WriteScope scope, string endpointId)
    {
    }

    /// <summary>How far the database's clock is ahead of this machine's (all processes then agree on one clock); zero for an embedded store.</summary>
    public virtual TimeSpan ClockOffset(DbConnection connection) => TimeSpan.Zero;

    /// <summary>
    /// Called in a batch that appended messages, before it commits: a shared store tells the other processes' feed
    /// readers and dispatchers (this process pulses its own <see cref="LogSignal"/> after the commit).
    /// </summary>
    public virtual void LogGrew(WriteScope scope)
    {
    }

    /// <summary>
    /// Called in a unit that ends tokens or sessions (<see cref="Identity.Sessions"/>): a shared store tells the other
    /// processes when the batch commits (this process forgets its own copy after the commit).
    /// </summary>
    public virtual void IdentityChanged(WriteScope scope, string key)
    {
    }

    private sealed class NoLock : IDisposable
    {
        public static readonly NoLock Instance = new();

        public void Dispose()
        {
        }
    }
}

/// <summary>A column as a store describes it: its type as the kind of value it keeps (<c>integer</c>, <c>text</c>, <c>bytes</c>, <c>real</c>).</summary>
internal sealed record StoredColumn(string Table, string Name, string Kind, bool Null, string? Default, bool Key);
