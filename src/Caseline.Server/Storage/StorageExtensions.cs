using Caseline.Server.Log;
using Caseline.Server.Storage.Postgres;
using Caseline.Server.Storage.Sqlite;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Storage;

internal static class StorageExtensions
{
    /// <summary>
    /// The store named by <c>Caseline:Storage:Provider</c>, its schema migration (run before traffic), the group-commit
    /// writer, leader rows, and a full disk or an unreachable database answered 503; SQLite adds its WAL checkpointer, PostgreSQL its listener for
    /// other processes' commits.
    /// </summary>
    public static IServiceCollection AddStorage(this IServiceCollection services, IConfiguration configuration)
    {
        var storage = StorageOptions.From(configuration);
        // Migrate first: every other hosted service may read the store as it starts.
        services.AddHostedService<Migrator>();
        switch (storage.Provider.ToLowerInvariant())
        {
            case "sqlite":
                services.AddSingleton(sp => new SqliteDatabase(sp.GetRequiredService<IOptions<CaselineOptions>>().Value.DatabasePath));
                services.AddSingleton<Database>(sp => sp.GetRequiredService<SqliteDatabase>());
                services.AddHostedService<Checkpointer>();
                break;
            case "postgres" or "postgresql":
                if (string.IsNullOrWhiteSpace(storage.ConnectionString))
                {
                    throw new OptionsValidationException(StorageOptions.Section, typeof(StorageOptions), ["Caseline:Storage:ConnectionString is required for the postgres provider."]);
                }

                services.AddSingleton(_ => new PostgresDatabase(storage.ConnectionString));
                services.AddSingleton<Database>(sp => sp.GetRequiredService<PostgresDatabase>());
                services.AddHostedService<LogListener>();
                break;
            default:
                throw new OptionsValidationException(StorageOptions.Section, typeof(StorageOptions), [$"Caseline:Storage:Provider must be sqlite or postgres, not '{storage.Provider}'."]);
        }

        services.AddSingleton(sp => new NodeIdentity(sp.GetRequiredService<IOptions<CaselineOptions>>().Value.DataDirectory, exclusive: sp.GetRequiredService<Database>().IsShared));
        // Each concern's storage, as the provider made it (its SQL, with the provider's overrides).
        services.AddSingleton(sp => sp.GetRequiredService<Database>().Clients);
        services.AddSingleton(sp => sp.GetRequiredService<Database>().Log);
        services.AddSingleton(sp => sp.GetRequiredService<Database>().Deliveries);
        services.AddSingleton(sp => sp.GetRequiredService<Database>().Identity);
        services.AddSingleton(sp => sp.GetRequiredService<Database>().Audit);
        services.AddSingleton(sp => sp.GetRequiredService<Database>().Jobs);
        services.AddSingleton<LogSignal>();
        services.AddSingleton<WriteQueue>();
        services.AddHostedService(sp => sp.GetRequiredService<WriteQueue>());
        services.AddSingleton<ClusterLease>();
        services.AddExceptionHandler<StoreFailureHandler>();
        return services;
    }
}
