using GridGame.LocalCluster.Nodes;
using GridGame.LocalCluster.Tests.Nodes;
using k8s;
using k8s.Models;
using static GridGame.LocalCluster.Tests.Scheduling.Build;

namespace GridGame.LocalCluster.Tests.Scheduling;

/// <summary>The scheduler running against the API server, binding real pods to registered nodes.</summary>
public sealed class SchedulerLoopTests
{
    private static LocalNodesOptions ThreeNodes(KubernetesClientConfiguration c) => new()
    {
        Client = c,
        Nodes =
        [
            new LocalNodeSpec("n-a") { Labels = new Dictionary<string, string> { ["region"] = "us" }, Cpu = "2" },
            new LocalNodeSpec("n-b") { Labels = new Dictionary<string, string> { ["region"] = "eu" }, Cpu = "2" },
            new LocalNodeSpec("n-c") { Labels = new Dictionary<string, string> { ["region"] = "eu" }, Cpu = "2" },
        ],
    };

    private static async Task<List<string>> NodesOfAsync(Cluster cluster, IEnumerable<string> names)
    {
        var result = new List<string>();
        foreach (var name in names)
        {
            result.Add((await cluster.PodWhenAsync(name, p => p.Spec.NodeName is not null)).Spec.NodeName);
        }
        return result;
    }

    [Fact]
    public async Task Pods_are_bound_only_to_nodes_matching_their_selector()
    {
        await using var cluster = await Cluster.StartAsync(ThreeNodes);
        foreach (var i in Enumerable.Range(0, 4))
        {
            await cluster.CreatePodAsync(Pod($"eu-{i}").WithNodeSelector("region", "eu"));
        }

        var nodes = await NodesOfAsync(cluster, Enumerable.Range(0, 4).Select(i => $"eu-{i}"));

        nodes.Should().BeSubsetOf(["n-b", "n-c"]).And.Contain("n-b").And.Contain("n-c");
    }

    [Fact]
    public async Task An_unschedulable_pod_stays_pending_with_the_reason_and_is_bound_once_a_node_fits()
    {
        await using var cluster = await Cluster.StartAsync(ThreeNodes);
        await cluster.CreatePodAsync(Pod("asia").WithNodeSelector("region", "asia"));

        var pending = await cluster.PodWhenAsync("asia", p => p.Status?.Conditions?.Any(c => c.Type == "PodScheduled") == true);
        pending.Spec.NodeName.Should().BeNull();
        pending.Status.Phase.Should().Be("Pending");
        pending.Status.Conditions.Should().ContainSingle(c => c.Type == "PodScheduled").Which.Should().Match<V1PodCondition>(c =>
            c.Status == "False" && c.Reason == "Unschedulable" && c.Message == "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.");

        var patch = new V1Patch("{\"metadata\":{\"labels\":{\"region\":\"asia\"}}}", V1Patch.PatchType.MergePatch);
        await cluster.Client.CoreV1.PatchNodeAsync(patch, "n-c");

        (await cluster.PodWhenAsync("asia", p => p.Spec.NodeName is not null)).Spec.NodeName.Should().Be("n-c");
    }

    [Fact]
    public async Task Requests_beyond_every_node_leave_the_pod_pending_with_insufficient_cpu()
    {
        await using var cluster = await Cluster.StartAsync(ThreeNodes);
        await cluster.CreatePodAsync(Pod("big", cpu: "3"));

        var pod = await cluster.PodWhenAsync("big", p => p.Status?.Conditions?.Any(c => c.Reason == "Unschedulable") == true);

        pod.Status.Conditions.Single(c => c.Type == "PodScheduled").Message.Should().Be("0/3 nodes are available: 3 Insufficient cpu.");
    }

    [Fact]
    public async Task Pods_sharing_a_host_port_land_on_different_nodes()
    {
        await using var cluster = await Cluster.StartAsync(ThreeNodes);
        foreach (var i in Enumerable.Range(0, 4))
        {
            await cluster.CreatePodAsync(Pod($"hp-{i}", hostPort: 7000));
        }

        var nodes = await NodesOfAsync(cluster, Enumerable.Range(0, 3).Select(i => $"hp-{i}"));
        nodes.Should().OnlyHaveUniqueItems();
        var fourth = await cluster.PodWhenAsync("hp-3", p => p.Status?.Conditions?.Any(c => c.Reason == "Unschedulable") == true);
        fourth.Status.Conditions.Single(c => c.Type == "PodScheduled").Message.Should().Contain("didn't have free ports");
    }

    [Fact]
    public async Task A_packed_fleet_fills_one_node_and_a_distributed_fleet_spreads()
    {
        await using var cluster = await Cluster.StartAsync(ThreeNodes);
        foreach (var i in Enumerable.Range(0, 6))
        {
            var packed = Game($"packed-{i}").Preferring(together: true);
            packed.Metadata.NamespaceProperty = "default";
            await cluster.CreatePodAsync(packed);
        }
        await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "spread" } });
        foreach (var i in Enumerable.Range(0, 6))
        {
            var spread = Game($"spread-{i}").Preferring(together: false);
            spread.Metadata.NamespaceProperty = "spread";
            await cluster.CreatePodAsync(spread);
        }

        var packedNodes = await NodesOfAsync(cluster, Enumerable.Range(0, 6).Select(i => $"packed-{i}"));
        var spreadNodes = new List<string>();
        foreach (var i in Enumerable.Range(0, 6))
        {
            spreadNodes.Add((await cluster.PodWhenAsync($"spread-{i}", p => p.Spec.NodeName is not null, ns: "spread")).Spec.NodeName);
        }

        packedNodes.Distinct().Should().ContainSingle();
        spreadNodes.GroupBy(n => n).Select(g => g.Count()).Should().Equal(2, 2, 2);
    }
}

public sealed class SchedulerEventTests
{
    [Fact]
    public async Task Scheduling_and_failing_to_schedule_are_recorded_as_events()
    {
        await using var cluster = await Cluster.StartAsync(c => new LocalNodesOptions { Client = c });
        await cluster.CreatePodAsync(Pod("placed"));
        await cluster.CreatePodAsync(Pod("stuck").WithNodeSelector("region", "nowhere"));

        var events = await Eventually.ValueAsync(async () =>
        {
            var list = (await cluster.Client.CoreV1.ListNamespacedEventAsync("default")).Items;
            return list.Count >= 2 ? list : null;
        });

        events.Should().Contain(e => e.InvolvedObject.Name == "placed" && e.Reason == "Scheduled" && e.Type == "Normal"
            && e.Message == "Successfully assigned default/placed to local-node-0" && e.Source.Component == "default-scheduler");
        events.Should().Contain(e => e.InvolvedObject.Name == "stuck" && e.Reason == "FailedScheduling" && e.Type == "Warning"
            && e.Message.StartsWith("0/1 nodes are available", StringComparison.Ordinal));
    }
}
