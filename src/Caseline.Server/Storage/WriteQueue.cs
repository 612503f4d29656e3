using System.Data.Common;
using System.Diagnostics;
using System.Threading.Channels;
using Caseline.Server.Log;
using Caseline.Server.Operations;

namespace Caseline.Server.Storage;

/// <summary>
/// Group commit. Requests queue units of work; one writer drains whatever is waiting (up to
/// <see cref="MaxBatch"/>), runs each in its own savepoint inside one transaction, commits once, and only
/// then answers them all. So durable ingest costs one disk flush per batch, not per request, and all
/// writes are serialised: a client's changes, and an agency's log positions, follow commit order.
/// A unit that throws is rolled back alone; its batch-mates still commit.
/// </summary>
internal sealed partial class WriteQueue(Database database, TimeProvider clock, LogSignal signal, ILogger<WriteQueue> logger, CaselineTelemetry? telemetry = null) : BackgroundService
{
    public const int MaxBatch = 512;

    private readonly Channel<Work> _queue = Channel.CreateBounded<Work>(new BoundedChannelOptions(16_384)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    /// <summary>How many times a batch the database chose as a deadlock victim (or could not serialise) runs again before its units fail.</summary>
    private const int TransientRetries = 5;

    /// <summary>How often the offset to the database's clock is measured again.</summary>
    private static readonly TimeSpan ClockCheckInterval = TimeSpan.FromSeconds(10);

    private DateTimeOffset _lastCommit = DateTimeOffset.MinValue;
    private TimeSpan _clockOffset;
    private long _clockCheckedAt;
    private long _commits;
    private long _units;

    /// <summary>Transactions committed so far.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Units of work committed so far; <see cref="Commits"/> / <see cref="Units"/> is the cost of durability per request.</summary>
    public long Units => Interlocked.Read(ref _units);

    /// <summary>Runs <paramref name="work"/> in the next batch; completes once that batch is durably committed.</summary>
    public async Task<T> RunAsync<T>(Func<WriteScope, T> work, CancellationToken cancellationToken = default)
    {
        var item = new Work<T>(work);
        if (!_queue.Writer.TryWrite(item))
        {
            await _queue.Writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
        }

        return await item.Completion.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="work"/>, which writes the given clients of an agency, in the next batch. On a shared store the
    /// batch first locks every client its units name, in one order: two processes whose batches write the same clients
    /// then take turns instead of deadlocking on the clients' rows, which each batch would otherwise lock in its own
    /// order (and the database would break the tie only after a second).
    /// </summary>
    public async Task<T> RunForAsync<T>(long agencyId, IEnumerable<string> clients, Func<WriteScope, T> work, CancellationToken cancellationToken = default)
    {
        var item = new Work<T>(work) { Locks = [.. clients.Select(client => ClientKey(agencyId, client)).Distinct()] };
        if (!_queue.Writer.TryWrite(item))
        {
            await _queue.Writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
        }

        return await item.Completion.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// A client's lock: one of 65,536 numbers above the stream locks' range (<see cref="Webhooks.StreamKey"/>); two clients
    /// in one bucket only take turns.
    /// </summary>
    internal static long ClientKey(long agencyId, string clientId) =>
        (1L << 32) + (long)(((ulong)Webhooks.StreamKey.Hash(clientId) ^ ((ulong)agencyId * 0x9E3779B97F4A7C15UL)) & 0xFFFF);

    /// <summary>Completes once everything queued before it is committed.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default) => RunAsync(static _ => 0, cancellationToken);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Stop taking work, let the writer finish what is queued, then stop.
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(WriteLoop, TaskCreationOptions.LongRunning);

    private void WriteLoop()
    {
        var batch = new List<Work>(MaxBatch);
        DbConnection? connection = null;
        StatementCache? statements = null;
        try
        {
            while (_queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var work))
                {
                    batch.Add(work);
                }

                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        if (connection is null)
                        {
                            connection = database.OpenWriter();
                            statements = new StatementCache(connection);
                            _clockCheckedAt = 0;
                        }

                        MeasureClock(connection);
                        Commit(connection, statements!, batch);
                        statements!.Trim();
                        break;
                    }
                    catch (Exception e)
                    {
                        // The connection may be unusable after a failed commit: start afresh next time.
                        statements?.Dispose();
                        statements = null;
                        connection?.Dispose();
                        connection = null;
                        if (database.IsTransient(e) && attempt < TransientRetries)
                        {
                            // Nothing of it was committed: the same units run again, in a new transaction.
                            LogBatchRetried(batch.Count, attempt);
                            batch.ForEach(work => work.Reset());
                            continue;
                        }

                        LogBatchFailed(e, batch.Count);
                        foreach (var work in batch)
                        {
                            work.Fail(e);
                            work.Complete();
                        }

                        break;
                    }
                }

                batch.Clear();
            }
        }
        finally
        {
            statements?.Dispose();
            connection?.Dispose();
        }
    }

    /// <summary>
    /// A shared database is the one clock every process agrees on (leases, due times); this process's clock is
    /// corrected by its offset to it, measured against the system clock every few seconds. A test's own
    /// <see cref="TimeProvider"/> keeps working: the offset is the machine's, not the provider's.
    /// </summary>
    private void MeasureClock(DbConnection connection)
    {
        if (_clockCheckedAt != 0 && Stopwatch.GetElapsedTime(_clockCheckedAt) < ClockCheckInterval)
        {
            return;
        }

        _clockOffset = database.ClockOffset(connection);
        _clockCheckedAt = Stopwatch.GetTimestamp();
    }

    private void Commit(DbConnection connection, StatementCache statements, List<Work> batch)
    {
        var started = Stopwatch.GetTimestamp();
        var now = clock.GetUtcNow() + _clockOffset;
        _lastCommit = now = now > _lastCommit ? now : _lastCommit;
        // A unit's span is the child of the traced request that queued it, and ends when its batch is durable.
        // Units nobody traced (the dispatcher's, a bulk job's) get none: a parentless span would take the writer
        // thread's current one as its parent, chaining every unit of every batch into one endless trace.
        var spans = new Activity?[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            spans[i] = batch[i].Parent == default ? null : CaselineTelemetry.Source.StartActivity("caseline.write", ActivityKind.Internal, batch[i].Parent);
            Activity.Current = null;
            spans[i]?.SetTag("caseline.write.batch_size", batch.Count);
        }

        try
        {
            var running = Enumerable.Range(0, batch.Count).ToList();
            while (!TryCommit(connection, statements, batch, spans, running, now))
            {
                // A unit failed where the store keeps no savepoint per unit: the batch was rolled back, and its other
                // units run again without it. Units fail rarely (the requests were validated before they queued).
            }

            Interlocked.Increment(ref _commits);
            Interlocked.Add(ref _units, batch.Count);
        }
        finally
        {
            foreach (var span in spans)
            {
                span?.Dispose();
            }
        }

        telemetry?.Committed(batch.Count, Stopwatch.GetElapsedTime(started), _committed);
        if (_committed.Count > 0)
        {
            signal.Pulse();
        }

        foreach (var work in batch)
        {
            work.Complete();
        }
    }

    private List<AppendedMessage> _committed = [];

    /// <summary>
    /// Runs the <paramref name="running"/> units in one transaction and commits it; false when a unit failed and the
    /// transaction was rolled back (that unit is taken out of <paramref name="running"/> and the others are reset).
    /// SQLite keeps a savepoint per unit, which costs nothing there, so a failed unit is rolled back alone; PostgreSQL
    /// would pay two round trips per unit for them, so there the whole batch runs again instead.
    /// </summary>
    private bool TryCommit(DbConnection connection, StatementCache statements, List<Work> batch, Activity?[] spans, List<int> running, DateTimeOffset now)
    {
        var savepoints = database.SavepointPerUnit;
        using var transaction = database.BeginWrite(connection);
        var scope = new WriteScope(database, connection, transaction, statements, now);
        if (database.IsShared && running.SelectMany(i => batch[i].Locks).ToHashSet() is { Count: > 0 } locks)
        {
            database.LockKeys(scope, locks);
        }

        for (var r = 0; r < running.Count; r++)
        {
            var i = running[r];
            // Only a recorded span is worth linking to: an unsampled one is never exported.
            scope.Trace = spans[i] is { Recorded: true } span ? span.Id : null;
            var (appended, audits, after) = (scope.Appended.Count, scope.Audits.Count, scope.AfterCommit.Count);
            if (savepoints)
            {
                scope.Execute("SAVEPOINT unit");
            }

            try
            {
                batch[i].Run(scope);
                if (savepoints)
                {
                    scope.Execute("RELEASE SAVEPOINT unit");
                }
            }
            catch (Exception e) when (!database.IsTransient(e))
            {
                spans[i]?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
                batch[i].Fail(e);
                if (!savepoints)
                {
                    transaction.Rollback();
                    running.RemoveAt(r);
                    running.ForEach(other => batch[other].Reset());
                    return false;
                }

                scope.Execute("ROLLBACK TO SAVEPOINT unit");
                scope.Execute("RELEASE SAVEPOINT unit");
                scope.Appended.RemoveRange(appended, scope.Appended.Count - appended);
                scope.Audits.RemoveRange(audits, scope.Audits.Count - audits);
                scope.AfterCommit.RemoveRange(after, scope.AfterCommit.Count - after);
            }
        }

        scope.AssignPositions();
        transaction.Commit();
        _committed = scope.Appended;
        scope.AfterCommit.ForEach(action => action());
        return true;
    }

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "A write batch of {Count} units was rolled back by the database (a deadlock or a serialisation conflict) and runs again (attempt {Attempt})")]
    private partial void LogBatchRetried(int count, int attempt);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Error, Message = "A write batch of {Count} units failed to commit; each unit was answered with the error")]
    private partial void LogBatchFailed(Exception exception, int count);

    private abstract class Work
    {
        /// <summary>The span of whoever queued the unit (a request), for its write span's parent.</summary>
        public ActivityContext Parent { get; } = Activity.Current?.Context ?? default;

        /// <summary>The client locks the unit needs (<see cref="ClientKey"/>), taken for the whole batch before any unit runs.</summary>
        public long[] Locks { get; init; } = [];

        public abstract void Run(WriteScope scope);

        public abstract void Fail(Exception exception);

        public abstract void Complete();

        /// <summary>Forgets the result and error of a run whose batch was rolled back, before it runs again.</summary>
        public abstract void Reset();
    }

    private sealed class Work<T>(Func<WriteScope, T> work) : Work
    {
        private T? _result;
        private Exception? _error;

        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Run(WriteScope scope) => _result = work(scope);

        public override void Fail(Exception exception) => _error ??= exception;

        public override void Reset()
        {
            _result = default;
            _error = null;
        }

        public override void Complete()
        {
            if (_error is null)
            {
                Completion.TrySetResult(_result!);
            }
            else
            {
                Completion.TrySetException(_error);
            }
        }
    }
}
