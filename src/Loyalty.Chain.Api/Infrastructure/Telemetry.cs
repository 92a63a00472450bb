using System.Diagnostics;
using Hangfire.Server;
using Loyalty.Chain.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Loyalty.Chain.Api.Infrastructure;

/// <summary>Section "Telemetry". Nothing is sent anywhere unless an OTLP endpoint is configured.</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";
    /// <summary>Serve GET /metrics to anyone (for a scraper inside a trusted network); otherwise the deployment admin key is required.</summary>
    public bool MetricsPublic { get; set; }
    /// <summary>OTLP collector; the standard OTEL_EXPORTER_OTLP_ENDPOINT environment variable works too.</summary>
    public string? OtlpEndpoint { get; set; }
    /// <summary>"grpc" (default) or "http/protobuf".</summary>
    public string OtlpProtocol { get; set; } = "grpc";
    public string ServiceName { get; set; } = "loyalty-chain";
}

/// <summary>
/// OpenTelemetry for the host: metrics always (pulled at GET /metrics, so nothing leaves the process by itself),
/// traces only when an OTLP endpoint is configured, since an unexported span per request and SQL command would
/// only cost the intake path.
/// </summary>
public static class TelemetrySetup
{
    public static WebApplicationBuilder AddLoyaltyTelemetry(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        builder.Services.AddOptions<TelemetryOptions>().Bind(builder.Configuration.GetSection(TelemetryOptions.Section));
        builder.Services.AddSingleton<PipelineGauges>();
        var otlp = options.OtlpEndpoint ?? builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];

        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(options.ServiceName))
            .WithMetrics(m => m
                .AddMeter(LoyaltyMeters.Name)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter());
        if (!string.IsNullOrWhiteSpace(otlp))
        {
            otel.WithTracing(t => t
                .AddSource(LoyaltyMeters.Name)
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !IsProbe(http.Request.Path))
                // Nethereum's RpcClient sends through HttpClientHandler, which the runtime instruments: every RPC call is a span.
                .AddHttpClientInstrumentation()
                .AddEntityFrameworkCoreInstrumentation());
            if (options.OtlpEndpoint is not null)
                otel.UseOtlpExporter(options.OtlpProtocol.Equals("http/protobuf", StringComparison.OrdinalIgnoreCase)
                    ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc, new Uri(options.OtlpEndpoint));
            else otel.UseOtlpExporter();
        }
        JobTelemetryFilter.RegisterOnce();
        return builder;
    }

    private static bool IsProbe(PathString path) => path.StartsWithSegments("/metrics") || path.StartsWithSegments("/health");

    /// <summary>GET /metrics in the Prometheus text format: the admin key (X-Api-Key or Bearer) unless Telemetry:MetricsPublic.</summary>
    public static IEndpointConventionBuilder MapLoyaltyTelemetry(this WebApplication app)
    {
        // The gauges that read the database exist from the start, so the first scrape already has them.
        app.Services.GetRequiredService<PipelineGauges>();
        return app.MapPrometheusScrapingEndpoint("/metrics", meterProvider: null, configureBranchedPipeline: branch =>
            branch.Use(async (http, next) =>
            {
                await RequireMetricsAccessAsync(http);
                await next(http);
            }), optionsName: null).WithMetadata(new Microsoft.AspNetCore.Routing.HttpMethodMetadata(["GET"]));
    }

    private static async Task RequireMetricsAccessAsync(HttpContext http)
    {
        if (http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<TelemetryOptions>>().Value.MetricsPublic) return;
        // Prometheus' scrape config sends a credential as "Authorization: Bearer ..." (authorization.credentials).
        var auth = http.Request.Headers.Authorization.FirstOrDefault();
        if (auth is not null && auth.StartsWith("Bearer ", StringComparison.Ordinal)
            && http.RequestServices.GetRequiredService<AdminKeyVerifier>().IsAdminKey(auth["Bearer ".Length..].Trim())) return;
        var principal = await ApiAuth.AuthenticateAsync(http)
                        ?? throw new LoyaltyException("UNAUTHORIZED", "metrics need the deployment admin key (X-Api-Key or Authorization: Bearer)",
                            StatusCodes.Status401Unauthorized);
        if (!principal.IsRoot) throw new LoyaltyException("FORBIDDEN", "only the deployment admin may read metrics", StatusCodes.Status403Forbidden);
    }
}

/// <summary>
/// One span and one duration measurement per Hangfire job run (recurring passes included), named after the job's method.
/// Hangfire's filters are process-wide (GlobalJobFilters), hence registered once however many hosts a process builds.
/// </summary>
public sealed class JobTelemetryFilter : IServerFilter
{
    private const string StartedKey = "lc.telemetry.started";
    private const string ActivityKey = "lc.telemetry.activity";
    private static int _registered;

    public static void RegisterOnce()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0) Hangfire.GlobalJobFilters.Filters.Add(new JobTelemetryFilter());
    }

    private static string JobName(PerformContext context) =>
        $"{context.BackgroundJob.Job?.Type.Name}.{context.BackgroundJob.Job?.Method.Name}";

    public void OnPerforming(PerformingContext context)
    {
        context.Items[StartedKey] = Stopwatch.GetTimestamp();
        var activity = LoyaltyMeters.Source.StartActivity("job " + JobName(context), ActivityKind.Internal);
        if (activity is null) return;
        activity.SetTag("loyalty.job", JobName(context));
        activity.SetTag("hangfire.job.id", context.BackgroundJob.Id);
        context.Items[ActivityKey] = activity;
    }

    public void OnPerformed(PerformedContext context)
    {
        var outcome = context.Exception is null ? "ok" : context.Canceled ? "cancelled" : "failed";
        if (context.Items.TryGetValue(StartedKey, out var started) && started is long ts)
            LoyaltyMeters.JobDuration.Record(Stopwatch.GetElapsedTime(ts).TotalSeconds,
                new KeyValuePair<string, object?>("job", JobName(context)), new KeyValuePair<string, object?>("outcome", outcome));
        if (context.Items.TryGetValue(ActivityKey, out var a) && a is Activity activity)
        {
            if (context.Exception is not null) activity.SetStatus(ActivityStatusCode.Error, context.Exception.GetType().Name);
            activity.Stop();
        }
    }
}
