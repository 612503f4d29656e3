using Caseline.Server.Storage.Postgres;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Webhooks;

internal static class WebhookExtensions
{
    /// <summary>Webhook endpoints, their encrypted secrets (and the key ring: a file under the data folder, or the shared database), and the dispatcher with its guarded HTTP client.</summary>
    public static IServiceCollection AddWebhooks(this IServiceCollection services, CaselineOptions caseline, bool shared)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section);
        var protection = services.AddDataProtection().SetApplicationName("Caseline");
        if (shared)
        {
            // Every process must read what any other protected: the key ring lives in the shared database.
            protection.Services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
                new ConfigureOptions<KeyManagementOptions>(keys => keys.XmlRepository = new DatabaseKeyRepository(sp.GetRequiredService<PostgresDatabase>())));
        }
        else
        {
            protection.PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(caseline.DataDirectory, "keys")));
        }
        services.AddSingleton<WebhookSecrets>();
        services.AddSingleton<WebhookDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        services.AddHttpClient(WebhookDispatcher.HttpClientName)
            .ConfigureHttpClient((sp, client) => client.Timeout = sp.GetRequiredService<IOptions<WebhookOptions>>().Value.Timeout)
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var allowPrivate = sp.GetRequiredService<IOptions<WebhookOptions>>().Value.AllowPrivateNetworks;
                return new SocketsHttpHandler
                {
                    AllowAutoRedirect = false, // a redirect could lead past the address check
                    ActivityHeadersPropagator = null, // a receiver is another party: our trace ids are not sent to it
                    UseCookies = false,
                    PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                    ConnectCallback = (context, ct) => UrlGuard.ConnectAsync(context, allowPrivate, ct),
                };
            })
            .RemoveAllLoggers(); // webhook URLs may carry the receiver's own tokens
        return services;
    }
}
