using Caseline.Messages.Json;
using Caseline.Server.Storage;

namespace Caseline.Server.Webhooks;

/// <summary>
/// Every state transition of a delivery, as a state machine kept in the store: <c>Pending</c> → <c>InFlight</c> (leased)
/// → <c>Delivered</c>, or <c>Retrying</c> on a schedule, or <c>Failed</c> (dead letter) after the last attempt. Only the
/// head of a stream (the earliest open delivery of an endpoint and client, flagged <c>head</c>) is ever claimed, so a
/// client's next message waits for its previous one while other clients proceed. The SQL is <see cref="DeliveryStorage"/>'s;
/// this class decides which transition each step makes. Every method runs inside the caller's write unit.
/// </summary>
internal sealed class DeliveryStore(DeliveryStorage storage, WebhookSecrets secrets)
{
    /// <summary>
    /// Messages fanned out per endpoint in one round. The same round leases the free slots, so a backlog is fanned
    /// out a little at a time beside the sends: at 5,000 a round took ~100 ms, the slots ran dry meanwhile, and a
    /// released backlog of 100,000 messages went out at 2,500 msg/s for its first two seconds (bench/README.md).
    /// </summary>
    public const int FanOutBatch = 250;

    /// <summary>The next messages of each enabled endpoint behind its agency's log; read without locks.</summary>
    public List<EndpointBehind> NewMessages(WriteScope scope) => storage.EndpointsBehind(scope, FanOutBatch);

    /// <summary>
    /// Locks the streams a round writes on a shared store: those whose head it records an answer for, and those it appends
    /// to. Taken before any row is, so that no process waits for another while holding what that one waits for.
    /// </summary>
    public static void LockStreams(WriteScope scope, IReadOnlyList<Outcome> outcomes, IReadOnlyList<EndpointBehind> fanOut)
    {
        if (!scope.Database.IsShared)
        {
            return;
        }

        var endpoints = new HashSet<string>(StringComparer.Ordinal);
        var streams = new HashSet<long>();
        foreach (var outcome in outcomes)
        {
            endpoints.Add(outcome.Delivery.EndpointId);
            streams.Add(StreamKey.Of(outcome.Delivery.EndpointId, outcome.Delivery.ClientId));
        }

        foreach (var endpoint in fanOut)
        {
            endpoints.Add(endpoint.Id);
            foreach (var message in endpoint.Messages)
            {
                if (endpoint.Wants(message.SubType))
                {
                    streams.Add(StreamKey.Of(endpoint.Id, message.ClientId));
                }
            }
        }

        scope.Database.LockStreams(scope, endpoints, streams);
    }

    /// <summary>
    /// Creates a delivery for every new message each endpoint wants; returns how many messages it went through, wanted
    /// or not. An endpoint's fan-out cursor is taken first, skipping it when another process holds it or moved it on
    /// since it was read: fan-out happens exactly once, wherever it happens.
    /// </summary>
    public int FanOut(WriteScope scope, IReadOnlyList<EndpointBehind> fanOut)
    {
        var fannedOut = 0;
        foreach (var endpoint in fanOut.Where(e => e.Messages.Count > 0))
        {
            if (!storage.TakeFanOut(scope, endpoint.Id, endpoint.Through))
            {
                continue;
            }

            storage.InsertDeliveries(scope, endpoint.Id, [.. endpoint.Messages.Where(m => endpoint.Wants(m.SubType))]);
            fannedOut += endpoint.Messages.Count;
            storage.AdvanceFanOut(scope, endpoint.Id, endpoint.Messages[^1].Position);
        }

        return fannedOut;
    }

    /// <summary>
    /// Leases up to <paramref name="capacity"/> due heads for <paramref name="lease"/>, shared between the enabled endpoints
    /// that have any; the endpoint served first moves on each time (<paramref name="turn"/>, the caller's), so none waits
    /// behind the others for free slots. Each lease carries a fresh token: an answer that comes back after the lease ran out, and another
    /// was taken, is not recorded.
    /// </summary>
    public List<Claimed> Claim(WriteScope scope, int capacity, ref int turn, TimeSpan lease)
    {
        var claimed = new List<Claimed>();
        var endpoints = storage.EndpointsWithDueHeads(scope);
        var first = endpoints.Count == 0 ? 0 : turn % endpoints.Count;
        turn = first + 1;
        if (endpoints.Count == 0)
        {
            return claimed;
        }

        var share = Math.Max(1, capacity / endpoints.Count);
        foreach (var endpoint in endpoints[first..].Concat(endpoints[..first]))
        {
            if (claimed.Count >= capacity)
            {
                break;
            }

            claimed.AddRange(storage.ClaimDue(scope, endpoint, Math.Min(share, capacity - claimed.Count)).Select(due => ToClaimed(due, scope.Now)));
        }

        if (claimed.Count > 0)
        {
            storage.Lease(scope, [.. claimed.Select(c => (c.Id, c.LeaseToken))], scope.Now + lease);
        }

        return claimed;
    }

    /// <summary>
    /// Records the answers the sender classified. Successes hand their stream's head on and clear the endpoint's failing
    /// clock; a 410 leaves its delivery pending and disables the endpoint; a failure is retried later or dead-lettered,
    /// and an endpoint that has failed for <see cref="RetrySchedule.DisableAfter"/> without one success is disabled.
    /// An answer whose lease ran out meanwhile is not recorded.
    /// </summary>
    public void Record(WriteScope scope, IReadOnlyList<Outcome> outcomes)
    {
        var now = scope.Now;
        // In endpoint order: processes that record answers at once then update endpoint rows in one order, never crosswise.
        var delivered = outcomes.Where(o => o.Verdict == Verdict.Delivered).OrderBy(o => o.Delivery.EndpointId, StringComparer.Ordinal).ToList();
        var done = storage.RecordDelivered(scope, [.. delivered.Select(o => o.Attempt)]).ToHashSet();
        var succeeded = new SortedSet<string>(delivered.Where(o => done.Contains(o.Delivery.Id)).Select(o => o.Delivery.EndpointId), StringComparer.Ordinal);

        foreach (var outcome in outcomes.Where(o => o.Verdict != Verdict.Delivered).OrderBy(o => o.Delivery.EndpointId, StringComparer.Ordinal))
        {
            var endpoint = outcome.Delivery.EndpointId;
            if (outcome.Verdict == Verdict.Gone)
            {
                // The receiver says it is gone for good: stop sending; this delivery waits for the endpoint to be enabled again.
                if (storage.RecordAttempt(scope, outcome.Attempt, DeliveryState.Pending, next: now, finished: null))
                {
                    storage.DisableEndpoint(scope, endpoint, "The endpoint answered 410 Gone");
                }

                continue;
            }

            var recorded = outcome.Verdict == Verdict.Retry
                ? storage.RecordAttempt(scope, outcome.Attempt, DeliveryState.Retrying, next: now + outcome.RetryIn, finished: null)
                : storage.RecordAttempt(scope, outcome.Attempt, DeliveryState.Failed, next: now, finished: now);
            if (!recorded)
            {
                continue;
            }

            if (storage.MarkFailing(scope, endpoint) is { } since && now - since >= RetrySchedule.DisableAfter)
            {
                storage.DisableEndpoint(scope, endpoint, "No successful delivery for 5 days");
            }
        }

        foreach (var endpoint in succeeded)
        {
            storage.MarkSucceeded(scope, endpoint);
        }
    }

    /// <summary>Hands leases back unused (at shutdown): those deliveries are due again now, for any process.</summary>
    public void Release(WriteScope scope, IEnumerable<(long Id, long Token)> leases)
    {
        foreach (var (id, token) in leases)
        {
            storage.ReleaseLease(scope, id, token);
        }
    }

    /// <summary>Puts a failed delivery back in its stream (the others are left as they are); returns the state it was found in, null when the agency has no such delivery.</summary>
    public string? Retry(WriteScope scope, long agencyId, string endpointId, long deliveryId)
    {
        var state = storage.StateOf(scope, agencyId, endpointId, deliveryId);
        if (state == DeliveryState.Failed)
        {
            // Every head of the endpoint is set afresh: no other process may move one meanwhile.
            scope.Database.LockEndpoint(scope, endpointId);
            storage.RequeueFailed(scope, endpointId, deliveryId);
        }

        return state;
    }

    /// <summary>Puts back every delivery of an endpoint that failed and was created at or after <paramref name="since"/>; returns how many.</summary>
    public int Recover(WriteScope scope, string endpointId, DateTimeOffset since)
    {
        scope.Database.LockEndpoint(scope, endpointId);
        return storage.RequeueFailedSince(scope, endpointId, since);
    }

    /// <summary>Removes an endpoint with all its deliveries; a send in flight for it then finds nothing to record.</summary>
    public void Delete(WriteScope scope, long agencyId, string endpointId) => storage.DeleteEndpoint(scope, agencyId, endpointId);

    private Claimed ToClaimed(DueDelivery due, DateTimeOffset now)
    {
        var keys = new List<byte[]> { secrets.Key(due.Secret) };
        if (due.PreviousSecret is { } previous && due.PreviousSecretUntil > now)
        {
            keys.Add(secrets.Key(previous));
        }

        var activityId = due.ActivityId ?? MessageReader.Read(due.Body).Activity.Identifier.ToString("D");
        return new Claimed(due.Id, due.EndpointId, due.ClientId, due.Attempts, due.AttemptBase, due.Url, [.. keys], activityId, due.Body, due.CommittedAt, due.Trace,
            Random.Shared.NextInt64(1, long.MaxValue));
    }
}

/// <summary>
/// A leased delivery, ready to send: where, signed with which keys, and what. <paramref name="LeaseToken"/> fences the lease:
/// the outcome is recorded only while the delivery still carries it. <paramref name="CommittedAt"/> is when its message was
/// committed (delivery latency is measured from there); <paramref name="Trace"/> the write span it was appended in, when traced.
/// </summary>
internal sealed record Claimed(
    long Id, string EndpointId, string ClientId, int Attempts, int AttemptBase, string Url, byte[][] Keys, string ActivityId, byte[] Body,
    DateTimeOffset CommittedAt, string? Trace, long LeaseToken);

/// <summary>What the sender made of an attempt's answer.</summary>
internal enum Verdict
{
    /// <summary>2xx: done.</summary>
    Delivered,

    /// <summary>410: the receiver is gone; its endpoint stops until enabled again.</summary>
    Gone,

    /// <summary>Any other answer, or none, with attempts left: tried again after <see cref="Outcome.RetryIn"/>.</summary>
    Retry,

    /// <summary>The last attempt failed.</summary>
    DeadLetter,
}

/// <summary>One attempt's answer (<paramref name="Status"/>, or <paramref name="Error"/> when none came) and what it means.</summary>
internal sealed record Outcome(Claimed Delivery, int? Status, string? Error, double LatencyMs, Verdict Verdict, TimeSpan RetryIn = default)
{
    /// <summary>The attempt as the store records it, under its lease.</summary>
    public AttemptRecord Attempt => new(Delivery.Id, Delivery.LeaseToken, Delivery.Attempts + 1, Status, Error, LatencyMs);
}
