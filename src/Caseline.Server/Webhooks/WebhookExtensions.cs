using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Webhooks;

internal static class WebhookExtensions
{
    /// <summary>Webhook endpoints, their encrypted secrets, and the dispatcher with its guarded HTTP client.</summary>
    public static IServiceCollection AddWebhooks(this IServiceCollection services, CaselineOptions caseline)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section);
        services.AddDataProtection()
            .SetApplicationName("Caseline")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(caseline.DataDirectory, "keys")));
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
