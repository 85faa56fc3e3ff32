using GridGame.Crds;

namespace GridGame.Operator.Tests.Fleets;

/// <summary>The per-fleet gauges on the operator's /metrics: set from the fleet's status figures, gone with the fleet.</summary>
public sealed class FleetMetricsTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_fleet_shows_its_servers_rollout_phase_and_maxReplicas_and_its_series_go_with_it()
    {
        await using var cluster = await OperatorCluster.StartAsync(sessions: false);
        var fleet = FleetBuilder.Fleet("arena", replicas: 2);
        fleet.Spec.Autoscaling = new FleetAutoscaling { Policy = AutoscalingPolicy.Buffer, Buffer = new BufferSettings { Size = "2" }, MinReplicas = 2, MaxReplicas = 7 };
        await cluster.CreateFleetAsync(fleet);
        using var http = new HttpClient();
        var uri = new Uri(cluster.Operator!.HttpUri, "metrics");

        var metrics = await Eventually.ValueAsync(() => http.GetStringAsync(uri),
            m => m.Contains("gridgame_fleet_replicas{namespace=\"default\",fleet=\"arena\",state=\"ready\"} 2", StringComparison.Ordinal), Within, "2 Ready servers in the gauge");
        metrics.Should().Contain("gridgame_fleet_replicas{namespace=\"default\",fleet=\"arena\",state=\"desired\"} 2")
            .And.Contain("gridgame_fleet_replicas{namespace=\"default\",fleet=\"arena\",state=\"allocated\"} 0")
            .And.Contain("gridgame_fleet_replicas{namespace=\"default\",fleet=\"arena\",state=\"draining\"} 0")
            .And.Contain("gridgame_fleet_replicas{namespace=\"default\",fleet=\"arena\",state=\"unhealthy\"} 0")
            .And.Contain("gridgame_fleet_max_replicas{namespace=\"default\",fleet=\"arena\"} 7")
            .And.Contain("gridgame_fleet_sessions_pending{namespace=\"default\",fleet=\"arena\"} 0");
        var phase = (await cluster.GetFleetAsync("arena")).Status?.Rollout?.Phase ?? RolloutPhase.Idle;
        metrics.Should().Contain($"gridgame_fleet_rollout_phase{{namespace=\"default\",fleet=\"arena\",phase=\"{phase}\"}} 1");
        metrics.Split('\n').Count(l => l.StartsWith("gridgame_fleet_rollout_phase{", StringComparison.Ordinal) && l.EndsWith(" 1", StringComparison.Ordinal))
            .Should().Be(1, "one phase is current");

        await cluster.DeleteFleetAsync("arena");
        await Eventually.UntilAsync(async () => !await cluster.FleetExistsAsync("arena"), Within, "the fleet is gone");
        await Eventually.ValueAsync(() => http.GetStringAsync(uri), m => !m.Contains("fleet=\"arena\"", StringComparison.Ordinal), Within, "no series of the deleted fleet");
    }
}
