using GridGame.Crds;
using GridGame.Operator.Fleets;

namespace GridGame.Operator.Tests.Fleets;

/// <summary>The fleet controller end to end: LocalCluster, simulated kubelets on three nodes, the real client.</summary>
public sealed class FleetControllerTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_fleet_gets_its_replicas_as_Ready_servers_and_a_status()
    {
        await using var cluster = await OperatorCluster.StartAsync();
        await cluster.CreateFleetAsync(FleetBuilder.Fleet("arena", replicas: 3));

        var ready = await Eventually.ValueAsync(() => cluster.ReadyPodsAsync("arena"), p => p.Count == 3, Within, "3 Ready servers");
        ready.Should().OnlyContain(p => p.Metadata.OwnerReferences.Single().Kind == "GameFleet");

        var fleet = await Eventually.ValueAsync(() => cluster.GetFleetAsync("arena"), f => f.Status?.ReadyReplicas == 3, Within, "status counts 3 Ready");
        fleet.Status!.Selector.Should().Be("gridgame.io/fleet=arena");
        fleet.Status.ObservedGeneration.Should().Be(fleet.Metadata.Generation);
        fleet.Status.ActiveRevision.Should().Be(ready[0].Metadata.Labels[WellKnown.RevisionLabel]);
        fleet.Metadata.Finalizers.Should().Contain(WellKnown.DrainFinalizer);
    }
}
