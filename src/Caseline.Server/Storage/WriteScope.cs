using System.Data.Common;
using Caseline.Server.Log;

namespace Caseline.Server.Storage;

/// <summary>
/// What a unit of work sees: the writer's connection and transaction, and the batch's commit time. Units
/// run their SQL through <see cref="Execute"/>, <see cref="Scalar{T}"/> and <see cref="Query"/>, which
/// reuse the writer's prepared statements.
/// </summary>
internal sealed class WriteScope(Database database, DbConnection connection, DbTransaction transaction, StatementCache statements, DateTimeOffset now)
{
    public Database Database { get; } = database;

    public DbConnection Connection { get; } = connection;

    public DbTransaction Transaction { get; } = transaction;

    /// <summary>The commit time of every change in this batch; never earlier than the previous batch's.</summary>
    public DateTimeOffset Now { get; } = now;

    /// <summary>
    /// The messages the batch's units appended, in the order they were appended. They get their positions, and are
    /// inserted, when the batch is about to commit (<see cref="AssignPositions"/>); a unit that fails takes its own back out.
    /// </summary>
    public List<AppendedMessage> Appended { get; } = [];

    /// <summary>The running unit's span (W3C id) when tracing is on, stored with its messages so deliveries link back to it.</summary>
    public string? Trace { get; set; }

    public int Execute(string text, params ReadOnlySpan<(string Name, object? Value)> parameters) =>
        statements.Get(text, Transaction, parameters).ExecuteNonQuery();

    public T? Scalar<T>(string text, params ReadOnlySpan<(string Name, object? Value)> parameters) =>
        Sql.Convert<T>(statements.Get(text, Transaction, parameters).ExecuteScalar());

    /// <summary>Runs a query; dispose the reader (not the command) when done.</summary>
    public DbDataReader Query(string text, params ReadOnlySpan<(string Name, object? Value)> parameters) =>
        statements.Get(text, Transaction, parameters).ExecuteReader();

    /// <summary>The audit records the batch's units wrote, inserted together just before the commit.</summary>
    public List<AuditRow> Audits { get; } = [];

    /// <summary>What the batch's units asked to run once it is committed (in-memory state that must not run ahead of the store).</summary>
    public List<Action> AfterCommit { get; } = [];

    /// <summary>Appends a message to its agency's log; it is stored, with its position, just before the batch commits.</summary>
    public void Append(AppendedMessage message) => Appended.Add(message);

    /// <summary>Adds an audit record; it is inserted with the batch's others just before the commit.</summary>
    public void Audit(AuditRow row) => Audits.Add(row);

    /// <summary>
    /// Gives the batch's messages their positions and stores them: per agency, in ascending agency order, one bump of
    /// the agency's counter row for all of its messages. The counter rows are taken last, and always in the same order,
    /// so two writers (processes sharing one PostgreSQL) never deadlock on them, and each holds them only for the
    /// moment before its commit. A writer that bumped a counter holds its row lock until it commits, and a database
    /// makes a commit visible before it lets the lock go: positions are gap-free and in commit order, and a reader
    /// that sees position n sees every position below it.
    /// </summary>
    internal void AssignPositions()
    {
        if (Audits.Count > 0)
        {
            Database.Audit.Insert(this, Audits);
        }

        if (Appended.Count == 0)
        {
            return;
        }

        foreach (var agency in Appended.Select(m => m.Agency).Distinct().Order())
        {
            var messages = Appended.Where(m => m.Agency == agency).ToList();
            var last = Database.Log.Advance(this, agency, messages.Count);
            Database.Log.Insert(this, last - messages.Count + 1, messages);
        }

        Database.LogGrew(this);
    }
}

/// <summary>An audit record a unit wrote, not yet inserted (<see cref="Audit.AuditTrail"/>).</summary>
internal sealed record AuditRow(long? Agency, long At, string Actor, string Action, string? ClientId, string? Remote, int Outcome);
