using System.Data.Common;
using System.Diagnostics;
using System.Threading.Channels;
using Caseline.Server.Operations;

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

    /// <summary>Set by a unit that appended to a message log, so that readers waiting on the log are woken after the commit.</summary>
    public bool MessagesAppended { get; set; }

    /// <summary>The agency and section of each message the batch's committed units appended, for the metrics.</summary>
    public List<(long Agency, string SubType)> Appended { get; } = [];

    /// <summary>The running unit's span (W3C id) when tracing is on, stored with its messages so deliveries link back to it.</summary>
    public string? Trace { get; set; }

    public int Execute(string text, params ReadOnlySpan<(string Name, object? Value)> parameters) =>
        statements.Get(text, Transaction, parameters).ExecuteNonQuery();

    public T? Scalar<T>(string text, params ReadOnlySpan<(string Name, object? Value)> parameters) =>
        Sql.Convert<T>(statements.Get(text, Transaction, parameters).ExecuteScalar());

    /// <summary>Runs a query; dispose the reader (not the command) when done.</summary>
    public DbDataReader Query(string text, params ReadOnlySpan<(string Name, object? Value)> parameters) =>
        statements.Get(text, Transaction, parameters).ExecuteReader();
}

/// <summary>
/// Wakes whoever waits for the log to grow (long-polling feed readers, the webhook dispatcher) once a
/// commit that appended messages is durable. A waiter re-reads the log; a missed pulse costs at most its poll interval.
/// </summary>
internal sealed class LogSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A task that completes at the next pulse.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    public void Pulse() => Interlocked.Exchange(ref _next, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}

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

    private DateTimeOffset _lastCommit = DateTimeOffset.MinValue;
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

                try
                {
                    if (connection is null)
                    {
                        connection = database.OpenWriter();
                        statements = new StatementCache(connection);
                    }

                    Commit(connection, statements!, batch);
                    statements!.Trim();
                }
                catch (Exception e)
                {
                    LogBatchFailed(e, batch.Count);
                    foreach (var work in batch)
                    {
                        work.Fail(e);
                        work.Complete();
                    }

                    // The connection may be unusable after a failed commit: start afresh next time.
                    statements?.Dispose();
                    statements = null;
                    connection?.Dispose();
                    connection = null;
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

    private void Commit(DbConnection connection, StatementCache statements, List<Work> batch)
    {
        var started = Stopwatch.GetTimestamp();
        var now = clock.GetUtcNow();
        _lastCommit = now = now > _lastCommit ? now : _lastCommit;
        List<Activity>? spans = null;
        try
        {
            using var transaction = database.BeginWrite(connection);
            var scope = new WriteScope(database, connection, transaction, statements, now);
            for (var i = 0; i < batch.Count; i++)
            {
                // A unit's span is the child of the traced request that queued it, and ends when its batch is durable.
                // Units nobody traced (the dispatcher's, a bulk job's) get none: a parentless span would take the writer
                // thread's current one as its parent, chaining every unit of every batch into one endless trace.
                var span = batch[i].Parent == default ? null : CaselineTelemetry.Source.StartActivity("caseline.write", ActivityKind.Internal, batch[i].Parent);
                if (span is not null)
                {
                    Activity.Current = null;
                    span.SetTag("caseline.write.batch_size", batch.Count);
                    (spans ??= []).Add(span);
                }

                // Only a recorded span is worth linking to: an unsampled one is never exported.
                scope.Trace = span is { Recorded: true } ? span.Id : null;
                var appended = scope.Appended.Count;
                scope.Execute("SAVEPOINT unit");
                try
                {
                    batch[i].Run(scope);
                    scope.Execute("RELEASE SAVEPOINT unit");
                }
                catch (Exception e)
                {
                    scope.Execute("ROLLBACK TO SAVEPOINT unit");
                    scope.Execute("RELEASE SAVEPOINT unit");
                    scope.Appended.RemoveRange(appended, scope.Appended.Count - appended);
                    span?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
                    batch[i].Fail(e);
                }
            }

            transaction.Commit();
            Interlocked.Increment(ref _commits);
            Interlocked.Add(ref _units, batch.Count);
            telemetry?.Committed(batch.Count, Stopwatch.GetElapsedTime(started), scope.Appended);
            if (scope.MessagesAppended)
            {
                signal.Pulse();
            }
        }
        finally
        {
            spans?.ForEach(span => span.Dispose());
        }

        foreach (var work in batch)
        {
            work.Complete();
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Error, Message = "A write batch of {Count} units failed to commit; each unit was answered with the error")]
    private partial void LogBatchFailed(Exception exception, int count);

    private abstract class Work
    {
        /// <summary>The span of whoever queued the unit (a request), for its write span's parent.</summary>
        public ActivityContext Parent { get; } = Activity.Current?.Context ?? default;

        public abstract void Run(WriteScope scope);

        public abstract void Fail(Exception exception);

        public abstract void Complete();
    }

    private sealed class Work<T>(Func<WriteScope, T> work) : Work
    {
        private T? _result;
        private Exception? _error;

        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Run(WriteScope scope) => _result = work(scope);

        public override void Fail(Exception exception) => _error ??= exception;

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
