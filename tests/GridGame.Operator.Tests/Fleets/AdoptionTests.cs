using GridGame.Crds;
using GridGame.Operator.Fleets;
using k8s;
using k8s.Models;

namespace GridGame.Operator.Tests.Fleets;

/// <summary>Pods labelled for a fleet that no controller owns are adopted, as the ReplicaSet controller does; owned ones never.</summary>
public sealed class AdoptionTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task An_orphan_Allocated_server_is_adopted_and_kept_and_a_pod_of_another_controller_is_left_alone()
    {
        await using var cluster = await OperatorCluster.StartAsync(sessions: false);
        var template = FleetBuilder.Fleet("arena", replicas: 2);
        var orphan = Pod("arena-restored", WellKnown.States.Allocated, hostPort: 7901);
        orphan.Metadata.Annotations = new Dictionary<string, string> { [WellKnown.SessionAnnotation] = "match-1" };
        await cluster.Client.CoreV1.CreateNamespacedPodAsync(orphan, OperatorCluster.Namespace);
        var foreign = Pod("arena-foreign", WellKnown.States.Ready, hostPort: 7902);
        foreign.Metadata.OwnerReferences = [new V1OwnerReference { ApiVersion = "apps/v1", Kind = "ReplicaSet", Name = "other", Uid = "uid-other", Controller = true }];
        await cluster.Client.CoreV1.CreateNamespacedPodAsync(foreign, OperatorCluster.Namespace);

        var fleet = await cluster.CreateFleetAsync(template);

        var adopted = await Eventually.ValueAsync(() => cluster.Client.CoreV1.ReadNamespacedPodAsync("arena-restored", OperatorCluster.Namespace),
            p => p.Metadata.OwnerReferences?.Any(o => o.Controller == true) == true, Within, "the orphan is adopted");
        adopted.Metadata.OwnerReferences.Single().Uid.Should().Be(fleet.Metadata.Uid);
        adopted.Metadata.Labels[WellKnown.StateLabel].Should().Be(WellKnown.States.Allocated);
        var status = await Eventually.ValueAsync(() => cluster.GetFleetAsync("arena"), f => f.Status?.AllocatedReplicas == 1 && f.Status.ReadyReplicas == 1, Within, "1 Allocated (the orphan) and 1 Ready");
        status.Status!.Replicas.Should().Be(2, "the adopted Allocated server is one of the replicas");
        var owned = (await cluster.PodsAsync("arena")).Where(p => p.Metadata.OwnerReferences?.Any(o => o.Uid == fleet.Metadata.Uid) == true).ToList();
        owned.Should().HaveCount(2).And.Contain(p => p.Metadata.Name == "arena-restored");
        var untouched = await cluster.Client.CoreV1.ReadNamespacedPodAsync("arena-foreign", OperatorCluster.Namespace);
        untouched.Metadata.OwnerReferences.Single().Uid.Should().Be("uid-other");
    }

    private static V1Pod Pod(string name, string state, int hostPort)
    {
        var fleet = GameFleetDefaults.Apply(FleetBuilder.Fleet("arena", replicas: 2));
        var pod = PodFactory.Create(fleet, RevisionHash.Of(fleet.Spec), [hostPort]);
        pod.Metadata.Name = name;
        pod.Metadata.GenerateName = null;
        pod.Metadata.OwnerReferences = null;
        pod.Metadata.Labels[WellKnown.StateLabel] = state;
        return pod;
    }
}
