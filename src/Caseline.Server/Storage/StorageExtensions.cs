using Caseline.Server.Clients;
using Caseline.Server.Storage.Sqlite;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Storage;

internal static class StorageExtensions
{
    /// <summary>The store, its schema migration (run before traffic), its WAL checkpointer, the group-commit writer, and a full disk answered 503.</summary>
    public static IServiceCollection AddStorage(this IServiceCollection services)
    {
        services.AddSingleton(sp => new SqliteDatabase(sp.GetRequiredService<IOptions<CaselineOptions>>().Value.DatabasePath));
        services.AddSingleton<Database>(sp => sp.GetRequiredService<SqliteDatabase>());
        services.AddHostedService<Checkpointer>();
        services.AddHostedService<Migrator>();
        services.AddSingleton<LogSignal>();
        services.AddSingleton<WriteQueue>();
        services.AddHostedService(sp => sp.GetRequiredService<WriteQueue>());
        services.AddSingleton<ProfileQueries>();
        services.AddExceptionHandler<OutOfSpaceHandler>();
        return services;
    }
}
