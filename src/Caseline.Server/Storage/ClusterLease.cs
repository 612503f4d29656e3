namespace Caseline.Server.Storage;

/// <summary>
/// Leader rows: a named lease in <c>cluster_leases</c> that one process at a time holds, renewed while it runs
/// and taken over by another once it lapses (a dead process's lease simply runs out). Background singletons
/// (retention, a node's bulk-sync runner) do their work only while they hold theirs. A row with an expiry, not a
/// session advisory lock: a lock would end with a connection, and a pooled or re-opened connection would silently
/// give it away or keep it.
/// </summary>
internal sealed class ClusterLease(WriteQueue writes, JobStorage jobs, NodeIdentity node)
{
    /// <summary>Takes or renews <paramref name="name"/> for <paramref name="duration"/>; true while this process holds it.</summary>
    public Task<bool> HoldAsync(string name, TimeSpan duration, CancellationToken ct) =>
        writes.RunAsync(scope => jobs.HoldLease(scope, name, node.Instance, scope.Now + duration), ct);

    /// <summary>Gives <paramref name="name"/> up at once, if this process holds it, so that another may take it now.</summary>
    public Task ReleaseAsync(string name, CancellationToken ct) =>
        writes.RunAsync(
            scope =>
            {
                jobs.ReleaseLease(scope, name, node.Instance);
                return true;
            },
            ct);
}
