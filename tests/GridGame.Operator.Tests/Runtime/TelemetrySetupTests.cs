using GridGame.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace GridGame.Operator.Tests.Runtime;

public sealed class TelemetrySetupTests
{
    [Theory]
    [InlineData(null, null, null, false)]
    [InlineData("", null, null, false)]
    [InlineData("http://collector:4317", null, null, true)]
    [InlineData(null, "http://collector:4318/v1/traces", null, true)]
    [InlineData("http://collector:4317", null, "true", false)]
    [InlineData("http://collector:4317", null, "false", true)]
    public void Traces_are_exported_only_when_an_endpoint_is_configured(string? endpoint, string? tracesEndpoint, string? disabled, bool enabled)
    {
        var configuration = Configuration(new()
        {
            [TelemetrySetup.OtlpEndpointVariable] = endpoint,
            [TelemetrySetup.OtlpTracesEndpointVariable] = tracesEndpoint,
            ["OTEL_SDK_DISABLED"] = disabled,
        });

        TelemetrySetup.TracingEnabled(configuration).Should().Be(enabled);
    }

    [Fact]
    public void Without_an_endpoint_no_tracer_is_registered_and_with_one_it_is()
    {
        using var without = new ServiceCollection().AddOtlpTracing(Configuration([]), "test", ["test"]).BuildServiceProvider();
        using var with = new ServiceCollection()
            .AddOtlpTracing(Configuration(new() { [TelemetrySetup.OtlpEndpointVariable] = "http://127.0.0.1:9" }), "test", ["test"]).BuildServiceProvider();

        without.GetService<TracerProvider>().Should().BeNull();
        with.GetService<TracerProvider>().Should().NotBeNull();
    }

    private static IConfiguration Configuration(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
