namespace Caseline.Server.Storage;

/// <summary>Bulk sync jobs and the leader rows (cluster leases) of background work: its SQL, portable.</summary>
internal class JobStorage(Database database)
{
    protected Database Database { get; } = database;
}
