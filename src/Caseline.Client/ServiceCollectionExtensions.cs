using Caseline.Client.Consumer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Caseline.Client;

/// <summary>Registers the SDK with a host's services.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>The <c>IHttpClientFactory</c> client name the SDK's <see cref="HttpClient"/> is made under.</summary>
    public const string HttpClientName = "Caseline";

    /// <summary>
    /// Registers one <see cref="CaselineClient"/> (a singleton) over an <c>IHttpClientFactory</c> client named
    /// <see cref="HttpClientName"/>, configured by <paramref name="configure"/>. Returns the HTTP client's builder,
    /// for handlers or a primary handler of the application's own.
    /// </summary>
    public static IHttpClientBuilder AddCaselineClient(this IServiceCollection services, Action<CaselineClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<CaselineClientOptions>().Configure(configure);
        services.AddSingleton(sp => new CaselineClient(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName), sp.GetRequiredService<IOptions<CaselineClientOptions>>().Value));
        // The client keeps one HttpClient for its life, so the handler must not be recycled under it by the factory.
        return services.AddHttpClient(HttpClientName).ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AllowAutoRedirect = false,
        }).SetHandlerLifetime(Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Runs a <see cref="TransmitConsumer"/> as a hosted service, handing each message to a
    /// <typeparamref name="THandler"/> resolved in a scope of its own. Needs <see cref="AddCaselineClient"/>.
    /// Several consumers may run side by side under different names.
    /// </summary>
    public static IServiceCollection AddTransmitConsumer<THandler>(this IServiceCollection services, Action<TransmitConsumerOptions> configure)
        where THandler : class, ITransmitHandler
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new TransmitConsumerOptions();
        configure(options);
        services.AddScoped<THandler>();
        services.AddSingleton<IHostedService>(sp => new ConsumerService(new TransmitConsumer(
            sp.GetRequiredService<CaselineClient>(), new ScopedHandler<THandler>(sp.GetRequiredService<IServiceScopeFactory>()), options,
            sp.GetRequiredService<ILogger<TransmitConsumer>>())));
        return services;
    }

    private sealed class ConsumerService(TransmitConsumer consumer) : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => consumer.RunAsync(stoppingToken);
    }

    private sealed class ScopedHandler<THandler>(IServiceScopeFactory scopes) : ITransmitHandler
        where THandler : class, ITransmitHandler
    {
        public async Task HandleAsync(TransmitContext context, CancellationToken cancellationToken)
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<THandler>().HandleAsync(context, cancellationToken).ConfigureAwait(false);
        }
    }
}
