namespace Caseline.Server.Operations;

/// <summary>What an operator runs the server with: telemetry, health endpoints, retention, backups.</summary>
internal static class OperationsExtensions
{
    public static IServiceCollection AddOperations(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddTelemetry(configuration);
        services.AddReadiness();
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<RetentionSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<RetentionSweeper>());
        return services;
    }

    public static IEndpointRouteBuilder MapOperations(this IEndpointRouteBuilder app) => app.MapHealth().MapTelemetry();
}
