using Caseline.Server.Storage;
using Caseline.Server.Storage.Postgres;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Webhooks;

internal static class WebhookExtensions
{
    /// <summary>
    /// Webhook endpoints and their operations, their encrypted secrets (and the key ring: a file under the data folder, or
    /// the database when the store is shared), the delivery store, and the dispatcher with its sender's guarded HTTP client.
    /// </summary>
    public static IServiceCollection AddWebhooks(this IServiceCollection services, CaselineOptions caseline)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section);
        var keys = new DirectoryInfo(Path.Combine(caseline.DataDirectory, "keys"));
        // Every process must read what any other protected: on a shared store the key ring lives in the database.
        services.AddDataProtection().SetApplicationName("Caseline").Services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
            new ConfigureOptions<KeyManagementOptions>(options => options.XmlRepository = sp.GetRequiredService<Database>().IsShared
                ? new DatabaseKeyRepository(sp.GetRequiredService<PostgresDatabase>())
                : new FileSystemXmlRepository(keys, sp.GetRequiredService<ILoggerFactory>())));
        services.AddSingleton<WebhookSecrets>();
        services.AddSingleton<DeliveryStore>();
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<EndpointOperations>();
        services.AddSingleton<WebhookDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        services.AddHttpClient(WebhookSender.HttpClientName)
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
