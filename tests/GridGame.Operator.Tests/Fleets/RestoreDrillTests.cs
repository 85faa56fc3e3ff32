using GridGame.Crds;
using GridGame.Operator.Tests.Sessions;
using k8s;
using k8s.Models;

namespace GridGame.Operator.Tests.Fleets;

/// <summary>
/// The resource half of the restore drill (docs/backup-restore.md): fleets, sessions and game-server pods exported
/// with kubectl as YAML, restored into an empty cluster as Velero restores them (no uid, resourceVersion,
/// ownerReferences or nodeName; status written back), and the operator adopts them.
/// </summary>
public sealed class RestoreDrillTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_restored_fleet_adopts_its_servers_and_keeps_the_allocated_one_for_its_session()
    {
        string fleets, sessions, pods;
        string server;
        await using (var source = await OperatorCluster.StartAsync())
        {
            await source.CreateFleetAsync(FleetBuilder.Fleet("arena", replicas: 3));
            await Eventually.ValueAsync(() => source.ReadyPodsAsync("arena"), p => p.Count == 3, Within, "3 Ready servers");
            await source.CreateSessionAsync(SessionClient.Session("match-1"));
            server = (await source.WaitForPhaseAsync("match-1", SessionPhase.Allocated))!.Status!.ServerName!;
            await Eventually.ValueAsync(() => source.GetFleetAsync("arena"), f => f.Status?.AllocatedReplicas == 1 && f.Status.ReadyReplicas == 2, Within, "1 Allocated and 2 Ready");
            fleets = await Kubectl.RunAsync(source, "get gamefleets -o yaml");
            sessions = await Kubectl.RunAsync(source, "get gamesessions -o yaml");
            pods = await Kubectl.RunAsync(source, $"get pods -l {WellKnown.FleetLabel} -o yaml");
        }
        var exportedPods = KubernetesYaml.Deserialize<V1PodList>(pods).Items;
        exportedPods.Should().HaveCount(3);

        await using var target = await OperatorCluster.StartAsync(startOperator: false);
        // Velero's order: pods before custom resources.
        foreach (var pod in exportedPods)
        {
            Reset(pod.Metadata);
            pod.Spec.NodeName = null;
            pod.Status = null;
            await target.Client.CoreV1.CreateNamespacedPodAsync(pod, OperatorCluster.Namespace);
        }
        foreach (var fleet in KubernetesYaml.Deserialize<GameFleetList>(fleets).Items)
        {
            await RestoreAsync(target, fleet, GameFleet.KubePluralName);
        }
        foreach (var exported in KubernetesYaml.Deserialize<GameSessionList>(sessions).Items)
        {
            await RestoreAsync(target, exported, GameSession.KubePluralName);
        }
        var restored = await target.GetFleetAsync("arena");

        await target.StartOperatorAsync();

        // The restored status already says 1 Allocated and 2 Ready: the operator's own signal is the pods it owns.
        var live = await Eventually.ValueAsync(() => target.PodsAsync("arena"),
            p => p.Count > 0 && p.All(pod => pod.Metadata.OwnerReferences?.Any(o => o.Controller == true && o.Uid == restored.Metadata.Uid) == true), Within, "the restored servers are adopted");
        live.Select(p => p.Metadata.Name).Should().BeEquivalentTo(exportedPods.Select(p => p.Metadata.Name), "no server is created again");
        (await target.EventsAsync("arena", "ServersAdopted")).Should().NotBeEmpty();
        await Eventually.ValueAsync(() => target.ReadyPodsAsync("arena"), p => p.Count == 2, Within, "the two free servers are Ready again");
        var fleetNow = await Eventually.ValueAsync(() => target.GetFleetAsync("arena"),
            f => f.Status?.AllocatedReplicas == 1 && f.Status.ReadyReplicas == 2 && f.Status.ObservedGeneration == f.Metadata.Generation, Within, "the fleet reaches its replicas with the restored servers");
        fleetNow.Status!.Replicas.Should().Be(3);
        (await target.PodsAsync("arena")).Should().HaveCount(3);
        var allocated = live.Single(p => p.Metadata.Name == server);
        allocated.Metadata.Labels[WellKnown.StateLabel].Should().Be(WellKnown.States.Allocated);
        allocated.Metadata.Annotations[WellKnown.SessionAnnotation].Should().Be("match-1");
        var session = await target.GetSessionAsync("match-1");
        session!.Status!.Phase.Should().Be(SessionPhase.Allocated);
        session.Status.ServerName.Should().Be(server);
        (await target.EventsAsync("arena", "ServersCreated")).Should().BeEmpty();
    }

    /// <summary>What Velero drops of an object's metadata (its resetMetadata): identity, version and ownerReferences.</summary>
    private static void Reset(V1ObjectMeta metadata)
    {
        metadata.Uid = null;
        metadata.ResourceVersion = null;
        metadata.CreationTimestamp = null;
        metadata.Generation = null;
        metadata.OwnerReferences = null;
        metadata.ManagedFields = null;
        metadata.GenerateName = null;
    }

    /// <summary>Creates the object, then writes its status back through the status subresource (`--status-include-resources`).</summary>
    private static async Task RestoreAsync<T>(OperatorCluster cluster, T obj, string plural)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        Reset(obj.Metadata);
        var status = obj.GetType().GetProperty("Status")!.GetValue(obj);
        await cluster.Client.CustomObjects.CreateNamespacedCustomObjectAsync<T>(obj, GridGameApi.Group, GridGameApi.Version, OperatorCluster.Namespace, plural);
        await cluster.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync<T>(new V1Patch(new { status }, V1Patch.PatchType.MergePatch),
            GridGameApi.Group, GridGameApi.Version, OperatorCluster.Namespace, plural, obj.Metadata.Name);
    }
}
