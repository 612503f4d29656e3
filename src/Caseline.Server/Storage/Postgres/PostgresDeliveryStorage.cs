namespace Caseline.Server.Storage.Postgres;

/// <summary>Deliveries on PostgreSQL: the statements whose SQL differs (arrays, <c>SKIP LOCKED</c>).</summary>
internal sealed class PostgresDeliveryStorage(PostgresDatabase database) : DeliveryStorage(database)
{
}
