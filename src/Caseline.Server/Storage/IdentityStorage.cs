namespace Caseline.Server.Storage;

/// <summary>Agencies, users, API clients, sign-in failures, second factors and ended sessions: its SQL, portable.</summary>
internal class IdentityStorage(Database database)
{
    protected Database Database { get; } = database;
}
