namespace Caseline.Server.Storage;

/// <summary>Webhook endpoints and their deliveries; every state transition of a delivery is one method here: its SQL, portable.</summary>
internal class DeliveryStorage(Database database)
{
    protected Database Database { get; } = database;
}
