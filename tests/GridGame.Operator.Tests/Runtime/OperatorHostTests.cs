using System.Net;
using GridGame.Operator.Hosting;
using k8s;

namespace GridGame.Operator.Tests.Runtime;

public sealed class OperatorHostTests
{
    internal static OperatorOptions TestOptions(bool leaderElection = false) => new()
    {
        HttpPort = 0,
        HttpAddress = "127.0.0.1",
        JsonLogs = false,
        LeaderElectionEnabled = leaderElection,
        ShutdownTimeout = TimeSpan.FromSeconds(5),
    };

    [Fact]
    public async Task Health_readiness_and_metrics_are_served_on_the_http_port()
    {
        await using var host = await OperatorHost.StartAsync(TestOptions(), new KubernetesClientConfiguration { Host = "http://127.0.0.1:9" }, CancellationToken.None, controllers: []);
        using var http = new HttpClient { BaseAddress = host.HttpUri, Timeout = TimeSpan.FromSeconds(10) };

        (await http.GetStringAsync("healthz")).Should().Be("ok");
        (await http.GetAsync("readyz")).StatusCode.Should().Be(HttpStatusCode.OK, "with no informers there is nothing to sync");
        var metrics = await http.GetStringAsync("metrics");
        metrics.Should().Contain("gridgame_operator_reconcile_duration_seconds").And.Contain("gridgame_operator_watch_restarts_total");
        host.IsLeader.Should().BeTrue("without leader election the only replica leads");
        metrics.Should().Contain("process_cpu_seconds_total");
    }

    [Fact]
    public async Task An_informer_asked_for_after_start_is_refused_because_it_would_never_run()
    {
        await using var host = await OperatorHost.StartAsync(TestOptions(), new KubernetesClientConfiguration { Host = "http://127.0.0.1:9" }, CancellationToken.None, controllers: []);

        var act = () => host.Informers.Get<k8s.Models.V1Pod>();

        act.Should().Throw<InvalidOperationException>().WithMessage("*IController.Setup*");
    }
}
