using System.Collections.Concurrent;
using Caseline.Server.Log;
using Caseline.Server.Storage;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Webhooks;

/// <summary>
/// Delivers the log to webhook endpoints, at least once and in order per client: the loop. What each transition writes is
/// the <see cref="DeliveryStore"/>'s; how a delivery is sent and what its answer means is the <see cref="WebhookSender"/>'s.
/// <para>
/// The loop is a pipeline: each write unit (a round) (1) records the outcomes of the sends that finished since the last
/// one, (2) fans new messages out into deliveries, and (3) leases due heads for the free send slots and one more round of
/// slots ahead. Sends run concurrently with the next rounds, never inside a transaction; a finished send starts the next
/// leased delivery in its slot and wakes the loop. A crash before (1) leaves leases that expire, and those deliveries are
/// sent again: at least once, never lost.
/// </para>
/// </summary>
internal sealed partial class WebhookDispatcher(
    WriteQueue writes,
    LogSignal log,
    TimeProvider clock,
    DeliveryStore store,
    WebhookSender sender,
    IOptions<WebhookOptions> options,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    private readonly LogSignal _wake = new();
    private readonly LogSignal _answered = new();
    private readonly LogSignal _roundFinished = new();
    private readonly ConcurrentQueue<Outcome> _outcomes = new();
    private readonly ConcurrentQueue<Claimed> _ready = new();

    /// <summary>Deliveries this process has leased and not yet recorded an outcome for: handed back at shutdown.</summary>
    private readonly ConcurrentDictionary<long, long> _leased = new();
    private int _inFlight;
    private int _turn;

    private long _lastRoundTicks;
    private long _roundsStarted;
    private long _lastRoundFinished;

    /// <summary>Look for work now (an endpoint changed, a delivery was queued again).</summary>
    public void Wake() => _wake.Pulse();

    /// <summary>When the loop last finished a round without failing (readiness reads it); null before the first.</summary>
    public DateTimeOffset? LastRoundAt => Volatile.Read(ref _lastRoundTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>Deliveries leased by this process and not yet answered: being sent, or waiting for a free slot.</summary>
    public int Sending => Volatile.Read(ref _inFlight) + _ready.Count;

    /// <summary>
    /// Wakes the loop and completes once a round that started after this call has finished without failing: everything
    /// committed before the call has then been fanned out, and every head due by then leased (or recorded, for the answers
    /// that were in before that round began).
    /// </summary>
    public async Task RoundAsync(CancellationToken ct)
    {
        var after = Interlocked.Read(ref _roundsStarted);
        Wake();
        while (true)
        {
            var finished = _roundFinished.Next;
            if (Interlocked.Read(ref _lastRoundFinished) > after)
            {
                return;
            }

            await finished.WaitAsync(ct);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var outcomes = new List<Outcome>();
            try
            {
                var round = Interlocked.Increment(ref _roundsStarted);
                var grown = log.Next;
                var woken = _wake.Next;
                var answered = _answered.Next;
                while (_outcomes.TryDequeue(out var outcome))
                {
                    outcomes.Add(outcome);
                }

                // Up to a second round of slots is leased ahead and waits in _ready: a finished send starts the next one
                // at once, instead of its slot sitting idle until this loop's next unit has committed a lease for it.
                var capacity = 2 * options.Value.MaxConcurrency - Volatile.Read(ref _inFlight) - _ready.Count;
                var (fannedOut, claimed) = await writes.RunAsync(scope =>
                {
                    // Reading what to fan out takes no locks; the streams both steps write are locked next, before any row is.
                    var fanOut = store.NewMessages(scope);
                    DeliveryStore.LockStreams(scope, outcomes, fanOut);
                    store.Record(scope, outcomes);
                    return (store.FanOut(scope, fanOut), capacity > 0 ? store.Claim(scope, capacity, ref _turn, options.Value.Lease) : []);
                }, stoppingToken);

                foreach (var outcome in outcomes)
                {
                    _leased.TryRemove(outcome.Delivery.Id, out _);
                }

                foreach (var delivery in claimed)
                {
                    _leased[delivery.Id] = delivery.LeaseToken;
                    _ready.Enqueue(delivery);
                }

                StartReady(stoppingToken);
                Volatile.Write(ref _lastRoundTicks, clock.GetUtcNow().UtcTicks);
                Interlocked.Exchange(ref _lastRoundFinished, round);
                _roundFinished.Pulse();
                // A round that fanned messages out goes again at once even when the endpoints' filters wanted none of
                // them: the rest of a backlog must not wait for a signal or the poll interval, 250 messages at a time.
                if (outcomes.Count == 0 && fannedOut == 0 && claimed.Count == 0)
                {
                    await Task.WhenAny(grown, woken, answered, Task.Delay(options.Value.PollInterval, stoppingToken));
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Outcomes not recorded are not lost: their leases expire and the deliveries are sent again.
                LogRoundFailed(e);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    /// <summary>
    /// Stops the loop (sends in flight are cut off), records the answers already in, and hands every other lease
    /// back, so that a restarted process, or another one, sends those deliveries now rather than when the lease runs out.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        var outcomes = new List<Outcome>();
        while (_outcomes.TryDequeue(out var outcome))
        {
            outcomes.Add(outcome);
            _leased.TryRemove(outcome.Delivery.Id, out _);
        }

        var leased = _leased.Select(lease => (lease.Key, lease.Value)).ToList();
        if (outcomes.Count == 0 && leased.Count == 0)
        {
            return;
        }

        try
        {
            await writes.RunAsync(scope =>
            {
                store.Record(scope, outcomes);
                store.Release(scope, leased);
                return true;
            }, cancellationToken);
            LogLeasesReleased(outcomes.Count, leased.Count);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Nothing is lost: the leases run out and the deliveries are sent again then.
            LogReleaseFailed(e);
        }
    }

    /// <summary>Starts leased deliveries from <see cref="_ready"/> while fewer than <see cref="WebhookOptions.MaxConcurrency"/> are in flight.</summary>
    private void StartReady(CancellationToken ct)
    {
        while (true)
        {
            var inFlight = Volatile.Read(ref _inFlight);
            if (inFlight >= options.Value.MaxConcurrency)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _inFlight, inFlight + 1, inFlight) != inFlight)
            {
                continue;
            }

            if (!_ready.TryDequeue(out var delivery))
            {
                // Another caller may have seen this reserved slot as taken and left its delivery queued: look again.
                Interlocked.Decrement(ref _inFlight);
                if (_ready.IsEmpty)
                {
                    return;
                }

                continue;
            }

            // Sends start on the thread pool: signing and writing a request takes tens of microseconds, and neither
            // this loop's next round nor the answer that freed the slot should wait for hundreds of them.
            _ = Task.Run(() => sender.SendAsync(delivery, ct), CancellationToken.None).ContinueWith(
                send =>
                {
                    if (send.IsCompletedSuccessfully)
                    {
                        _outcomes.Enqueue(send.Result);
                    }

                    Interlocked.Decrement(ref _inFlight);
                    StartReady(ct);
                    _answered.Pulse();
                },
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Stopping: recorded {Answers} answers already in and handed {Leases} leased deliveries back")]
    private partial void LogLeasesReleased(int answers, int leases);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Stopping: the leased deliveries could not be handed back; they are sent again when their leases run out")]
    private partial void LogReleaseFailed(Exception exception);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Error, Message = "A webhook dispatch round failed; it will run again")]
    private partial void LogRoundFailed(Exception exception);
}
