namespace Caseline.Server.Log;

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
