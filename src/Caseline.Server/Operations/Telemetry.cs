using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Caseline.Server.Operations;

/// <summary>The <c>Caseline:Telemetry</c> section. With neither exporter set, nothing listens and the instruments cost nothing.</summary>
internal sealed class TelemetryOptions
{
    public const string Section = "Caseline:Telemetry";

    /// <summary>Serve metrics for Prometheus to scrape at <see cref="PrometheusPath"/>. Default off.</summary>
    public bool Prometheus { get; set; }

    /// <summary>Where the scrape endpoint is. Default <c>/metrics</c>.</summary>
    public string PrometheusPath { get; set; } = "/metrics";

    /// <summary>An OTLP collector (for example <c>http://127.0.0.1:4317</c>) that gets metrics and traces; the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> does the same. Default none.</summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary>
    /// The share of traces recorded when the caller sent no sampling decision (a request without <c>traceparent</c>);
    /// a recorded request's deliveries are recorded with it. Default 0.05; 1 records every one.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(0.0, 1.0)]
    public double TraceSampleRatio { get; set; } = 0.05;
}

/// <summary>OpenTelemetry: the <c>Caseline</c> meter and spans, ASP.NET Core's and HttpClient's, exported as configured.</summary>
internal static class Telemetry
{
    public static IServiceCollection AddTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<CaselineTelemetry>();
        var settings = configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new();
        var otlp = settings.OtlpEndpoint ?? (Uri.TryCreate(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"], UriKind.Absolute, out var fromEnvironment) ? fromEnvironment : null);
        if (!settings.Prometheus && otlp is null)
        {
            return services;
        }

        var telemetry = services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("caseline"));
        telemetry.WithMetrics(metrics =>
        {
            metrics.AddMeter(CaselineTelemetry.Name, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel");
            if (settings.Prometheus)
            {
                metrics.AddPrometheusExporter();
            }

            if (otlp is not null)
            {
                metrics.AddOtlpExporter(exporter => exporter.Endpoint = otlp);
            }
        });
        if (otlp is not null)
        {
            // No HttpClient spans: each attempt's own span has the endpoint and the answer, and a second span per
            // delivery cost 14% of the delivery rate in the bench (bench/README.md).
            telemetry.WithTracing(tracing => tracing
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(settings.TraceSampleRatio)))
                .AddSource(CaselineTelemetry.Name)
                // A query string may hold a search by name: it never leaves the process.
                .AddAspNetCoreInstrumentation(asp => asp.EnrichWithHttpRequest = (activity, _) => activity.SetTag("url.query", null))
                .AddOtlpExporter(exporter => exporter.Endpoint = otlp));
        }

        return services;
    }

    public static IEndpointRouteBuilder MapTelemetry(this IEndpointRouteBuilder app)
    {
        var settings = app.ServiceProvider.GetRequiredService<IConfiguration>().GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new();
        if (settings.Prometheus)
        {
            app.MapPrometheusScrapingEndpoint(settings.PrometheusPath);
        }

        return app;
    }
}
