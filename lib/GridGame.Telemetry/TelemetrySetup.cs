using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace GridGame.Telemetry;

/// <summary>How the operator and the game server set up their logs and traces, the same way for both.</summary>
public static class TelemetrySetup
{
    /// <summary>The standard OpenTelemetry variables; either endpoint turns trace export on.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public const string OtlpTracesEndpointVariable = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";

    /// <summary>
    /// Log levels that apply unless configuration says otherwise (<c>Logging:LogLevel:…</c>, e.g. the environment
    /// variable <c>Logging__LogLevel__Microsoft.AspNetCore=Information</c>): ASP.NET Core's request lines are off, because
    /// the requests are the kubelet's probes and Prometheus's scrapes, four lines each, around a hundred a minute.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string?> DefaultLogLevels = new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
    };

    /// <summary>One JSON line per entry on stdout (<see cref="EcsJsonFormatter"/>), instead of the providers configured so far.</summary>
    public static ILoggingBuilder AddEcsJsonConsole(this ILoggingBuilder logging)
    {
        ArgumentNullException.ThrowIfNull(logging);
        logging.ClearProviders();
        logging.AddConsole(o => o.FormatterName = EcsJsonFormatter.FormatterName);
        logging.AddConsoleFormatter<EcsJsonFormatter, ConsoleFormatterOptions>(o => o.IncludeScopes = true);
        return logging;
    }

    /// <summary>Puts <see cref="DefaultLogLevels"/> under every other configuration source, so any of them overrides it.</summary>
    public static IConfigurationBuilder AddDefaultLogLevels(this IConfigurationBuilder configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = DefaultLogLevels });
        return configuration;
    }

    /// <summary>True when configuration names an OTLP endpoint for traces (and the SDK is not disabled).</summary>
    public static bool TracingEnabled(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return (!string.IsNullOrWhiteSpace(configuration[OtlpEndpointVariable]) || !string.IsNullOrWhiteSpace(configuration[OtlpTracesEndpointVariable]))
            && !string.Equals(configuration["OTEL_SDK_DISABLED"], "true", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Exports the spans of <paramref name="sources"/> over OTLP when an endpoint is configured (the exporter reads the
    /// standard <c>OTEL_*</c> variables itself); otherwise registers nothing, and an <c>ActivitySource</c> with no
    /// listener starts no spans at all. <paramref name="instrument"/> adds instrumentation that only an enabled tracer needs.
    /// </summary>
    public static IServiceCollection AddOtlpTracing(
        this IServiceCollection services, IConfiguration configuration, string serviceName, string[] sources, Action<TracerProviderBuilder>? instrument = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (!TracingEnabled(configuration))
        {
            return services;
        }

        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithTracing(t =>
            {
                t.AddSource(sources);
                instrument?.Invoke(t);
                t.AddOtlpExporter();
            });
        return services;
    }
}
