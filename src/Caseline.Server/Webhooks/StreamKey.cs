namespace Caseline.Server.Webhooks;

/// <summary>
/// The number that stands for a webhook stream (an endpoint and a client) in the store's stream locks: one of
/// <see cref="Buckets"/>, so a transaction holds a bounded number of locks however many clients it touches. Two
/// streams in one bucket only wait for each other a moment longer; they never deadlock, as locks are taken in order.
/// </summary>
internal static class StreamKey
{
    public const int Buckets = 1024;

    public static long Of(string endpointId, string clientId) => (long)(((ulong)Hash(endpointId) ^ ((ulong)Hash(clientId) * 31)) % Buckets);

    /// <summary>FNV-1a over the UTF-16 code units, as a non-negative number: the same in every process, unlike <see cref="string.GetHashCode()"/>.</summary>
    public static long Hash(string value)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in value)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return (long)(hash >> 1);
    }
}
