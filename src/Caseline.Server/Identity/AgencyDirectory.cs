using System.Collections.Concurrent;
using Caseline.Server.Storage;

namespace Caseline.Server.Identity;

/// <summary>Agencies by name; each one is a tenant with its own client ids and its own message log.</summary>
internal sealed class AgencyDirectory(Database database, WriteQueue writes, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, long> _ids = new(StringComparer.Ordinal);

    /// <summary>The agency's id, creating the agency when it does not exist yet.</summary>
    public async Task<long> EnsureAsync(string name, CancellationToken cancellationToken)
    {
        if (_ids.TryGetValue(name, out var id))
        {
            return id;
        }

        using (var connection = database.OpenReader())
        {
            if (connection.Scalar<long?>("SELECT id FROM agencies WHERE name = @name", null, ("@name", name)) is { } existing)
            {
                return _ids[name] = existing;
            }
        }

        id = await writes.RunAsync(scope =>
            scope.Connection.Scalar<long?>("SELECT id FROM agencies WHERE name = @name", scope.Transaction, ("@name", name))
            ?? scope.Connection.Scalar<long>(
                "INSERT INTO agencies (name, created_at) VALUES (@name, @now) RETURNING id",
                scope.Transaction, ("@name", name), ("@now", clock.GetUtcNow().UtcTicks)), cancellationToken).ConfigureAwait(false);
        return _ids[name] = id;
    }
}
