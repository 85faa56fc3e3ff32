using GridGame.LocalCluster.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;

namespace GridGame.LocalCluster.Tests.Nodes;

public sealed class LocalNodesTests
{
    [Fact]
    public async Task Nodes_register_with_hostname_label_capacity_addresses_and_a_ready_condition()
    {
        await using var cluster = await Cluster.StartAsync(c => new LocalNodesOptions { Client = c, NodeCount = 3, Kind = KubeletKind.Process });

        var nodes = (await cluster.Client.CoreV1.ListNodeAsync()).Items.OrderBy(n => n.Metadata.Name).ToList();

        nodes.Select(n => n.Metadata.Name).Should().Equal("local-node-0", "local-node-1", "local-node-2");
        var node = nodes[1];
        node.Metadata.Labels["kubernetes.io/hostname"].Should().Be("local-node-1");
        node.Status.Capacity["pods"].ToString().Should().Be("110");
        node.Status.Allocatable["cpu"].ToString().Should().Be("8");
        node.Status.Addresses.Should().Contain(a => a.Type == "InternalIP" && a.Address == "127.0.0.2", "each process node has its own loopback address")
            .And.Contain(a => a.Type == "ExternalIP" && a.Address == "127.0.0.2");
        nodes[0].Status.Addresses.Should().Contain(a => a.Type == "ExternalIP" && a.Address == "127.0.0.1");
        node.Status.Conditions.Should().ContainSingle(c => c.Type == "Ready" && c.Status == "True");
        cluster.Nodes.NodeNames.Should().Equal("local-node-0", "local-node-1", "local-node-2");
    }

    [Fact]
    public async Task Simulated_nodes_get_distinct_internal_and_external_addresses()
    {
        await using var cluster = await Cluster.StartAsync(c => new LocalNodesOptions { Client = c, NodeCount = 2 });

        var node = await cluster.Client.CoreV1.ReadNodeAsync("local-node-1");

        node.Status.Addresses.Should().Contain(a => a.Type == "InternalIP" && a.Address == "10.0.0.2")
            .And.Contain(a => a.Type == "ExternalIP" && a.Address == "203.0.113.2");
    }

    [Fact]
    public async Task Heartbeats_renew_the_lease_often_and_post_the_ready_condition_every_status_interval()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var cluster = await Cluster.StartAsync(c => new LocalNodesOptions { Client = c, TimeProvider = time });
        var lease = await cluster.Client.CoordinationV1.ReadNamespacedLeaseAsync("local-node-0", "kube-node-lease");
        lease.Spec.HolderIdentity.Should().Be("local-node-0");
        var first = lease.Spec.RenewTime!.Value;

        time.Advance(TimeSpan.FromSeconds(10));

        var renewed = await Eventually.ValueAsync(async () =>
        {
            var l = await cluster.Client.CoordinationV1.ReadNamespacedLeaseAsync("local-node-0", "kube-node-lease");
            return l.Spec.RenewTime > first ? l : null;
        });
        renewed.Spec.RenewTime.Should().Be(first.AddSeconds(10));
        (await cluster.Client.CoreV1.ReadNodeAsync("local-node-0")).Status.Conditions.Single(c => c.Type == "Ready").LastHeartbeatTime
            .Should().Be(first, "an unchanged node status is posted only every NodeStatusInterval");

        for (var i = 0; i < 29; i++)
        {
            time.Advance(TimeSpan.FromSeconds(10));
        }

        var node = await Eventually.ValueAsync(async () =>
        {
            var n = await cluster.Client.CoreV1.ReadNodeAsync("local-node-0");
            return n.Status.Conditions.Single(c => c.Type == "Ready").LastHeartbeatTime > first ? n : null;
        });
        node.Status.Conditions.Single(c => c.Type == "Ready").Should().Match<k8s.Models.V1NodeCondition>(c =>
            c.Status == "True" && c.LastHeartbeatTime == first.AddMinutes(5) && c.LastTransitionTime == first);
    }
}

public sealed class LocalNodesRestartTests
{
    [Fact]
    public async Task Restarted_local_nodes_adopt_running_pods_and_keep_scheduling()
    {
        await using var api = await ApiServer.StartAsync();
        var options = new LocalNodesOptions { Client = api.Server.ClientConfiguration(), NodeCount = 2 };
        await using (var first = await LocalNodes.StartAsync(options))
        {
            await api.Client.CoreV1.CreateNamespacedPodAsync(Scheduling.Build.Pod("before"), "default");
            await Eventually.ValueAsync(async () => Cluster.IsReady(await api.Client.CoreV1.ReadNamespacedPodAsync("before", "default")) ? "" : null);
        }
        var before = await api.Client.CoreV1.ReadNamespacedPodAsync("before", "default");

        await using var second = await LocalNodes.StartAsync(options);
        await api.Client.CoreV1.CreateNamespacedPodAsync(Scheduling.Build.Pod("after"), "default");

        await Eventually.ValueAsync(async () => Cluster.IsReady(await api.Client.CoreV1.ReadNamespacedPodAsync("after", "default")) ? "" : null);
        (await api.Client.CoreV1.ListNodeAsync()).Items.Should().HaveCount(2);
        var adopted = await api.Client.CoreV1.ReadNamespacedPodAsync("before", "default");
        adopted.Metadata.ResourceVersion.Should().Be(before.Metadata.ResourceVersion, "a running pod is adopted as it is");
    }
}

public sealed class LocalNodesAdoptionTests
{
    [Fact]
    public async Task A_restart_over_more_pods_than_one_list_page_adopts_them_all_unchanged()
    {
        await using var api = await ApiServer.StartAsync();
        var options = new LocalNodesOptions { Client = api.Server.ClientConfiguration(), NodeCount = 10 };
        await using (var first = await LocalNodes.StartAsync(options))
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, 1050), new ParallelOptions { MaxDegreeOfParallelism = 8 },
                async (i, ct) => await api.Client.CoreV1.CreateNamespacedPodAsync(Scheduling.Build.Pod($"p-{i}"), "default", cancellationToken: ct));
            await Eventually.ValueAsync(async () => (await api.Client.CoreV1.ListNamespacedPodAsync("default")).Items.Count(Cluster.IsReady) == 1050 ? "" : null,
                TimeSpan.FromMinutes(2));
        }
        var before = (await api.Client.CoreV1.ListNamespacedPodAsync("default")).Metadata.ResourceVersion;

        await using var second = await LocalNodes.StartAsync(options);
        second.Pods.Count.Should().Be(1050, "the initial list spans three pages of 500");
        await api.Client.CoreV1.CreateNamespacedPodAsync(Scheduling.Build.Pod("after"), "default");
        await Eventually.ValueAsync(async () => Cluster.IsReady(await api.Client.CoreV1.ReadNamespacedPodAsync("after", "default")) ? "" : null);

        var pods = (await api.Client.CoreV1.ListNamespacedPodAsync("default")).Items;
        pods.Where(p => p.Metadata.Name != "after").Should().OnlyContain(p => long.Parse(p.Metadata.ResourceVersion) <= long.Parse(before),
            "every pod of the earlier run was seen through the paged list and adopted without a write");
        pods.Should().HaveCount(1051);
    }
}

public sealed class LocalNodesWatchRecoveryTests
{
    [Fact]
    public async Task Dropped_watches_are_resumed_and_pods_keep_running()
    {
        await using var cluster = await Cluster.StartAsync(c => new LocalNodesOptions { Client = c });
        await cluster.CreatePodAsync(Scheduling.Build.Pod("before"));
        await cluster.PodWhenAsync("before", Cluster.IsReady);

        cluster.Api.Server.DropWatches();
        await cluster.CreatePodAsync(Scheduling.Build.Pod("after"));

        await cluster.PodWhenAsync("after", Cluster.IsReady);
    }

    [Fact]
    public async Task An_expired_resource_version_makes_the_feeds_relist()
    {
        await using var cluster = await Cluster.StartAsync(c => new LocalNodesOptions { Client = c });
        await cluster.CreatePodAsync(Scheduling.Build.Pod("before"));
        await cluster.PodWhenAsync("before", Cluster.IsReady);
        cluster.Nodes.Pods.Lists.Should().Be(1);
        // Writes the pod watch does not see move the cluster past the feed's last resourceVersion.
        foreach (var i in Enumerable.Range(0, 3))
        {
            await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"cm-{i}" } }, "default");
        }

        cluster.Api.Server.CompactHistory();
        cluster.Api.Server.DropWatches();
        await cluster.CreatePodAsync(Scheduling.Build.Pod("after"));

        await cluster.PodWhenAsync("after", Cluster.IsReady);
        cluster.Nodes.Pods.Lists.Should().BeGreaterThan(1, "a resume from a compacted resourceVersion gets 410 and relists");
    }
}
