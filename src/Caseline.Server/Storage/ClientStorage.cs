namespace Caseline.Server.Storage;

/// <summary>Clients, their sections and items, a client's history in the log, and the agency's lookup values: its SQL, portable.</summary>
internal class ClientStorage(Database database)
{
    protected Database Database { get; } = database;
}
