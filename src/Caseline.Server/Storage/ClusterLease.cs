namespace Caseline.Server.Storage;

/// <summary>
/// Leader rows: a named lease in <c>cluster_leases</c> that one process at a time holds, renewed while it runs
/// and taken over by another once it lapses (a dead process's lease simply runs out). Background singletons
/// (retention, a node's bulk-sync runner) do their work only while they hold theirs. A row with an expiry, not a
/// session advisory lock: a lock would end with a connection, and a pooled or re-opened connection would silently
/// give it away or keep it.
/// </summary>
internal sealed class ClusterLease(WriteQueue writes, NodeIdentity node)
{
    /// <summary>Takes or renews <paramref name="name"/> for <paramref name="duration"/>; true while this process holds it.</summary>
    public async Task<bool> HoldAsync(string name, TimeSpan duration, CancellationToken ct) =>
        await writes.RunAsync(
            scope => scope.Scalar<string>(
                """
                INSERT INTO cluster_leases (name, holder, until) VALUES (@name, @holder, @until)
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
                WHERE cluster_leases.holder = excluded.holder OR cluster_leases.until < @now
                RETURNING holder
                """, ("@name", name), ("@holder", node.Instance), ("@until", (scope.Now + duration).UtcTicks), ("@now", scope.Now.UtcTicks)) is not null,
            ct);

    /// <summary>Gives <paramref name="name"/> up at once, if this process holds it, so that another may take it now.</summary>
    public Task ReleaseAsync(string name, CancellationToken ct) =>
        writes.RunAsync(scope => scope.Execute("DELETE FROM cluster_leases WHERE name = @name AND holder = @holder", ("@name", name), ("@holder", node.Instance)), ct);
}
