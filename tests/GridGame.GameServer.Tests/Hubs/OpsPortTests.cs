using System.Net;
using GridGame.GameServer.Operations;
using GridGame.GameServer.Tests.Infrastructure;

namespace GridGame.GameServer.Tests.Hubs;

/// <summary>/ready and /metrics are for the kubelet and Prometheus: on the ops port, not on the game port players reach.</summary>
public sealed class OpsPortTests
{
    [Fact]
    public async Task Readiness_and_metrics_are_served_on_the_ops_port_and_not_on_the_game_port()
    {
        await using var server = await RunningServer.StartAsync();

        server.Ops.BaseAddress!.Port.Should().NotBe(new Uri(server.BaseUrl).Port);
        (await server.Ops.GetStringAsync(new Uri("/ready", UriKind.Relative))).Should().StartWith("ready");
        (await server.Ops.GetStringAsync(new Uri("/metrics", UriKind.Relative))).Should().Contain("websocket_connections_active");
        (await server.Ops.GetStringAsync(new Uri("/health", UriKind.Relative))).Should().Be("ok");
        (await server.Http.GetAsync(new Uri("/ready", UriKind.Relative))).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await server.Http.GetAsync(new Uri("/metrics", UriKind.Relative))).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await server.Http.GetStringAsync(new Uri("/health", UriKind.Relative))).Should().Be("ok", "kept on the game port for probes set up before");
    }

    [Fact]
    public async Task The_ops_port_is_the_configured_one()
    {
        var port = TestServices.FreePort();

        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["GridGame:OpsPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) });

        server.Ops.BaseAddress!.Port.Should().Be(port);
        (await server.Ops.GetStringAsync(new Uri("/health", UriKind.Relative))).Should().Be("ok");
    }

    [Theory]
    [InlineData("http://127.0.0.1:0", "127.0.0.1")]
    [InlineData("http://127.0.0.3:41000;http://127.0.0.3:41001", "127.0.0.3")]
    [InlineData("http://0.0.0.0:7777", "0.0.0.0")]
    [InlineData("http://+:7777", "0.0.0.0")]
    [InlineData("http://*:7777", "0.0.0.0")]
    [InlineData("http://localhost:5080", "127.0.0.1")]
    [InlineData("http://[::1]:5080", "::1")]
    [InlineData("http://game.example:80", "0.0.0.0")]
    [InlineData(null, "0.0.0.0")]
    public void The_ops_port_listens_on_the_game_ports_address(string? urls, string expected) =>
        OpsServer.HostFor(urls).ToString().Should().Be(expected);
}
