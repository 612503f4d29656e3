using System.Globalization;
using System.Text.Json;
using Caseline.Server.Storage;
using Caseline.Server.Webhooks;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Caseline.Server.Operations;

/// <summary>
/// <c>/health/live</c>: the process answers. <c>/health/ready</c>: the store answers, its schema is fully
/// migrated, and the webhook dispatcher has finished a round lately. Both answer a small JSON document,
/// 200 when healthy and 503 when not, for load balancers and orchestrators.
/// </summary>
internal static class Health
{
    public const string Ready = "ready";

    public static IServiceCollection AddReadiness(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<StoreHealthCheck>("store", tags: [Ready])
            .AddCheck<DispatcherHealthCheck>("dispatcher", tags: [Ready]);
        return services;
    }

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(Ready), ResponseWriter = WriteAsync });
        app.MapHealthChecks("/health", new HealthCheckOptions { Predicate = c => c.Tags.Contains(Ready), ResponseWriter = WriteAsync });
        return app;
    }

    /// <summary><c>{"Status":"Healthy","Checks":{"store":{"Status":"Healthy","Description":"…"},…}}</c>.</summary>
    private static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("Status", report.Status.ToString());
        json.WriteStartObject("Checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject(name);
            json.WriteString("Status", entry.Status.ToString());
            json.WriteString("Description", entry.Description);
            json.WriteNumber("DurationMs", Math.Round(entry.Duration.TotalMilliseconds, 1));
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }
}

/// <summary>The store answers a read, and its schema is at the version this build migrates to.</summary>
internal sealed class StoreHealthCheck(Database database) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = database.OpenReader();
            var version = database.SchemaVersion(connection);
            var wanted = Schema.Version;
            var text = string.Create(CultureInfo.InvariantCulture, $"{database.Provider} schema version {version} of {wanted}");
            return version == wanted ? HealthCheckResult.Healthy(text) : HealthCheckResult.Unhealthy(text + ": migrations have not run");
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or IOException)
        {
            // The exception's type only: a driver's message may name paths or hosts.
            return HealthCheckResult.Unhealthy($"{database.Provider} did not answer ({e.GetType().Name})");
        }
    }
}

/// <summary>The dispatcher's loop finished a round within three poll intervals and ten seconds: it is not stuck or failing.</summary>
internal sealed class DispatcherHealthCheck(WebhookDispatcher dispatcher, TimeProvider clock, IOptions<WebhookOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var limit = (3 * options.Value.PollInterval) + TimeSpan.FromSeconds(10);
        if (dispatcher.LastRoundAt is not { } last)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("the dispatcher has not finished a round yet"));
        }

        var age = clock.GetUtcNow() - last;
        var text = string.Create(CultureInfo.InvariantCulture, $"last round {age.TotalSeconds:0.0} s ago (limit {limit.TotalSeconds:0} s)");
        return Task.FromResult(age <= limit ? HealthCheckResult.Healthy(text) : HealthCheckResult.Unhealthy(text));
    }
}
