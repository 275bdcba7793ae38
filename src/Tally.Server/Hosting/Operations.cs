using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Tally.Core.Storage;
using Tally.Core.Telemetry;

namespace Tally.Server.Hosting;

/// <summary>What an operator sees: metrics (Prometheus at /metrics, OTLP when configured), the request log, health, the API document.</summary>
public static class Operations
{
    public const string MetricsPath = "/metrics";

    public static WebApplicationBuilder AddTallyOperations(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(RequestLogOptions.FromConfiguration(builder.Configuration));
        // The slim builder pins the simple console formatter; honour Logging__Console__FormatterName (json, systemd).
        if (builder.Configuration["Logging:Console:FormatterName"] is { Length: > 0 } formatter)
        {
            builder.Logging.AddConsole(o => o.FormatterName = formatter);
            if (formatter == "json")
            {
                builder.Logging.AddJsonConsole();
            }
        }
        builder.Services.AddTallyOpenApi();
        var metrics = MetricsSwitch.FromConfiguration(builder.Configuration);
        builder.Services.AddSingleton(metrics);
        // The standard OTEL_* variables (endpoint, protocol, headers, service name) configure the exporter itself.
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? "tally"));
        if (metrics.Enabled)
        {
            otel.WithMetrics(m =>
            {
                // ASP.NET Core's hosting and Kestrel meters only, the ones README lists (AddAspNetCoreInstrumentation
                // would also enable the routing, diagnostics and rate-limiting meters: per-request work for counters
                // that say nothing the request duration does not).
                m.AddMeter(TallyMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
                    .AddRuntimeInstrumentation()
                    .AddPrometheusExporter();
                if (otlp)
                {
                    m.AddOtlpExporter();
                }
            });
        }
        if (otlp)
        {
            // Traces only when someone collects them: an Activity per request is not free on the hot routes.
            otel.WithTracing(t => t.AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments(MetricsPath))
                .AddOtlpExporter());
        }
        return builder;
    }

    /// <summary><c>/healthz</c>: ready (the store answers); <c>/livez</c>: the process answers, without touching the store.</summary>
    public static void MapHealth(this WebApplication app)
    {
        app.MapGet("/healthz", async (ITallyStore store, CancellationToken ct) =>
                await store.IsReadyAsync(ct).ConfigureAwait(false) ? Results.Text("ok") : Results.StatusCode(503))
            .WithSummary("Readiness: 200 `ok` when the store is reachable, 503 otherwise")
            .WithTags("operations").Produces<string>(200, "text/plain").Produces(503);
        // Also the no-op baseline of the benchmarks in bench/.
        app.MapGet("/livez", () => Results.Text("ok"))
            .WithSummary("Liveness: 200 `ok` while the process serves requests (does not touch the store)")
            .WithTags("operations").Produces<string>(200, "text/plain");
    }

    public static void MapTallyOperations(this WebApplication app)
    {
        if (app.Services.GetRequiredService<MetricsSwitch>().Enabled)
        {
            app.MapPrometheusScrapingEndpoint(MetricsPath);
        }
        app.MapTallyDocs();
    }
}

/// <summary>
/// <c>TALLY_METRICS</c>: <c>on</c> (the default) collects and serves metrics; <c>off</c> registers no meter listener at
/// all, so the instruments cost nothing and <c>/metrics</c> is not mapped (also the benchmark's "metrics off" side).
/// </summary>
public sealed record MetricsSwitch(bool Enabled)
{
    public static MetricsSwitch FromConfiguration(IConfiguration config) => config["TALLY_METRICS"] switch
    {
        null or "" or "on" or "true" or "1" => new MetricsSwitch(true),
        "off" or "false" or "0" => new MetricsSwitch(false),
        var other => throw new TallyConfigurationException($"TALLY_METRICS: '{other}' is not on or off"),
    };
}
