using Caseline.Server.Clients;
using Caseline.Server.Storage.Sqlite;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Storage;

internal static class StorageExtensions
{
    /// <summary>The store, its schema migration (run before traffic) and the group-commit writer.</summary>
    public static IServiceCollection AddStorage(this IServiceCollection services)
    {
        services.AddSingleton<Database>(sp => new SqliteDatabase(sp.GetRequiredService<IOptions<CaselineOptions>>().Value.DatabasePath));
        services.AddHostedService<Migrator>();
        services.AddSingleton<LogSignal>();
        services.AddSingleton<WriteQueue>();
        services.AddHostedService(sp => sp.GetRequiredService<WriteQueue>());
        services.AddSingleton<ProfileQueries>();
        return services;
    }
}
