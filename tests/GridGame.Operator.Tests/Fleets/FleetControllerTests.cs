using GridGame.Crds;
using GridGame.LocalCluster.Nodes;
using GridGame.Operator.Fleets;
using GridGame.Operator.Hosting;
using k8s;
using k8s.Models;

namespace GridGame.Operator.Tests.Fleets;

/// <summary>The fleet controller end to end: LocalCluster, simulated kubelets on three nodes, the real client.</summary>
public sealed class FleetControllerTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(20);

    private static Task<IReadOnlyList<V1Pod>> WaitForReady(OperatorCluster cluster, string fleet, int count) =>
        Eventually.ValueAsync(() => cluster.ReadyPodsAsync(fleet), p => p.Count == count, Within, $"{count} Ready servers of {fleet}");

    private static Task<IReadOnlyList<V1Pod>> WaitForPods(OperatorCluster cluster, string fleet, int count) =>
        Eventually.ValueAsync(() => cluster.PodsAsync(fleet), p => p.Count == count, Within, $"{count} live pods of {fleet}");

    [Fact]
    public async Task A_fleet_gets_its_replicas_as_Ready_servers_and_a_status()
    {
        await using var cluster = await OperatorCluster.StartAsync(sessions: false);
        await cluster.CreateFleetAsync(FleetBuilder.Fleet("arena", replicas: 3));

        var ready = await WaitForReady(cluster, "arena", 3);
        ready.Should().OnlyContain(p => p.Metadata.OwnerReferences.Single().Kind == "GameFleet");

        var fleet = await Eventually.ValueAsync(() => cluster.GetFleetAsync("arena"), f => f.Status?.ReadyReplicas == 3, Within, "status counts 3 Ready");
        fleet.Status!.Selector.Should().Be("gridgame.io/fleet=arena");
        fleet.Status.ObservedGeneration.Should().Be(fleet.Metadata.Generation);
        fleet.Status.ActiveRevision.Should().Be(ready[0].Metadata.Labels[WellKnown.RevisionLabel]);
        fleet.Status.Conditions.Should().Contain(c => c.Type == "Ready" && c.Status == "True");
        fleet.Metadata.Finalizers.Should().Contain(WellKnown.DrainFinalizer);
    }

    [Fact]
    public async Task A_fleet_scales_up_and_down()
    {
        await using var cluster = await OperatorCluster.StartAsync(sessions: false);
        await cluster.CreateFleetAsync(FleetBuilder.Fleet("arena", replicas: 2));
        await WaitForReady(cluster, "arena", 2);

        await cluster.PatchFleetAsync("arena", new { spec = new { replicas = 6 } });
        await WaitForReady(cluster, "arena", 6);

        await cluster.PatchFleetAsync("arena", new { spec = new { replicas = 1 } });
        await WaitForPods(cluster, "arena", 1);
        await Eventually.ValueAsync(() => cluster.GetFleetAsync("arena"), f => f.Status?.Replicas == 1 && f.Status.ReadyReplicas == 1, Within, "status shows 1");
    }

    [Fact]
    public async Task Scale_to_zero_never_deletes_an_allocated_server()
    {
        await using var cluster = await OperatorCluster.StartAsync(sessions: false);
        await cluster.CreateFleetAsync(FleetBuilder.Fleet("arena", replicas: 4));
        var ready = await WaitForReady(cluster, "arena", 4);
        var allocated = new[] { await cluster.MarkAllocatedAsync(ready[0]), await cluster.MarkAllocatedAsync(ready[1]) };

        await cluster.PatchFleetAsync("arena", new { spec = new { replicas = 0 } });
        var left = await WaitForPods(cluster, "arena", 2);
        left.Select(p => p.Metadata.Name).Should().BeEquivalentTo(allocated.Select(p => p.Metadata.Name));
        left.Should().OnlyContain(p => p.Metadata.Labels[WellKnown.StateLabel] == WellKnown.States.Allocated);
        var fleet = await Eventually.ValueAsync(() => cluster.GetFleetAsync("arena"), f => f.Status?.AllocatedReplicas == 2 && f.Status.ReadyReplicas == 0, Within, "status shows 2 Allocated");
        fleet.Status!.Replicas.Should().Be(2);
    }

    [Fact]
    public async Task Deleting_a_Drain_fleet_removes_Ready_servers_and_waits_for_allocated_ones()
    {
        await using var cluster = await OperatorCluster.StartAsync(sessions: false);
        await cluster.CreateFleetAsync(FleetBuilder.Fleet("arena", replicas: 3));
        var ready = await WaitForReady(cluster, "arena", 3);
        await Eventually.ValueAsync(() => cluster.GetFleetAsync("arena"), f => f.Metadata.Finalizers?.Contains(WellKnown.DrainFinalizer) == true, Within, "drain finalizer");
        var playing = await cluster.MarkAllocatedAsync(ready[0]);

        await cluster.DeleteFleetAsync("arena");
        var left = await WaitForPods(cluster, "arena", 1);
        left[0].Metadata.Name.Should().Be(playing.Metadata.Name);
        await Eventually.ValueAsync(() => cluster.PodsAsync("arena"), p => p.Single().Metadata.Labels[WellKnown.StateLabel] == WellKnown.States.Draining, Within, "the playing server drains");
        (await cluster.FleetExistsAsync("arena")).Should().BeTrue("the fleet waits for its playing server");

        // The game ends: the server goes, and so does the fleet.
        await cluster.Client.CoreV1.DeleteNamespacedPodAsync(playing.Metadata.Name, OperatorCluster.Namespace);
        await Eventually.UntilAsync(async () => !await cluster.FleetExistsAsync("arena"), Within, "the drained fleet is gone");
    }

    [Fact]
    public async Task Deleting_an_Immediate_fleet_removes_everything_at_once()
    {
        await using var cluster = await OperatorCluster.StartAsync(sessions: false);
        var spec = FleetBuilder.Fleet("arena", replicas: 2);
        spec.Spec.Deletion!.Policy = DeletionPolicy.Immediate;
        await cluster.CreateFleetAsync(spec);
        var ready = await WaitForReady(cluster, "arena", 2);
        await cluster.MarkAllocatedAsync(ready[0]);

        await cluster.DeleteFleetAsync("arena");
        await Eventually.UntilAsync(async () => !await cluster.FleetExistsAsync("arena"), Within, "the fleet is gone");
        await WaitForPods(cluster, "arena", 0);
    }

    [Theory]
    [InlineData(SchedulingStrategy.Packed, "node-c")]
    [InlineData(SchedulingStrategy.Distributed, "node-a")]
    public async Task Packed_and_Distributed_remove_servers_from_different_nodes(SchedulingStrategy scheduling, string victimNode)
    {
        // Room for exactly 3, 2 and 1 pods: six servers land 3/2/1 whatever the preference.
        LocalNodeSpec[] nodes = [new("node-a") { Pods = 3 }, new("node-b") { Pods = 2 }, new("node-c") { Pods = 1 }];
        await using var cluster = await OperatorCluster.StartAsync(nodeSpecs: nodes, sessions: false);
        await cluster.CreateFleetAsync(FleetBuilder.Fleet("arena", replicas: 6, scheduling: scheduling));
        var before = await WaitForReady(cluster, "arena", 6);
        before.GroupBy(p => p.Spec.NodeName).ToDictionary(g => g.Key, g => g.Count())
            .Should().BeEquivalentTo(new Dictionary<string, int> { ["node-a"] = 3, ["node-b"] = 2, ["node-c"] = 1 });

        await cluster.PatchFleetAsync("arena", new { spec = new { replicas = 5 } });
        var after = await WaitForPods(cluster, "arena", 5);
        var victim = before.Single(p => after.All(a => a.Metadata.Name != p.Metadata.Name));
        victim.Spec.NodeName.Should().Be(victimNode);
    }

    [Fact]
    public async Task A_failed_server_is_replaced()
    {
        await using var cluster = await OperatorCluster.StartAsync(sessions: false);
        await cluster.CreateFleetAsync(FleetBuilder.Fleet("arena", replicas: 2));
        var ready = await WaitForReady(cluster, "arena", 2);

        cluster.Nodes.FailPod(OperatorCluster.Namespace, ready[0].Metadata.Name);
        await Eventually.ValueAsync(() => cluster.ReadyPodsAsync("arena"),
            p => p.Count == 2 && p.All(x => x.Metadata.Name != ready[0].Metadata.Name), Within, "the failed server is replaced");
    }

    [Fact]
    public async Task A_server_not_Ready_for_unhealthyAfterSeconds_is_replaced()
    {
        await using var cluster = await OperatorCluster.StartAsync(sessions: false);
        var fleet = FleetBuilder.Fleet("arena", replicas: 1);
        fleet.Spec.Health!.UnhealthyAfterSeconds = 1;
        await cluster.CreateFleetAsync(fleet);
        var ready = await WaitForReady(cluster, "arena", 1);

        cluster.Nodes.SetPodReady(OperatorCluster.Namespace, ready[0].Metadata.Name, false);
        await Eventually.ValueAsync(() => cluster.ReadyPodsAsync("arena"),
            p => p.Count == 1 && p[0].Metadata.Name != ready[0].Metadata.Name, Within, "the unready server is replaced");
    }

    [Fact]
    public async Task A_revision_whose_servers_keep_failing_backs_off_and_says_so()
    {
        await using var cluster = await OperatorCluster.StartAsync(sessions: false);
        await cluster.CreateFleetAsync(FleetBuilder.Fleet("arena", replicas: 1));
        var failed = new HashSet<string>();
        await Eventually.UntilAsync(async () =>
        {
            foreach (var pod in await cluster.PodsAsync("arena"))
            {
                if (pod.Spec.NodeName is not null && pod.Status?.Phase == "Running" && failed.Add(pod.Metadata.Name))
                {
                    cluster.Nodes.FailPod(OperatorCluster.Namespace, pod.Metadata.Name);
                }
            }
            var fleet = await cluster.GetFleetAsync("arena");
            return fleet.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Reason == WellKnown.FleetReasons.CrashLooping) == true;
        }, Within, "the Ready condition reports CrashLooping");
        failed.Count.Should().BeInRange(3, 6, "each replacement waits longer than the one before");
    }

    [Fact]
    public async Task Dynamic_host_ports_are_never_used_twice_on_one_node()
    {
        // Three ports on two nodes: room for exactly six servers.
        await using var cluster = await OperatorCluster.StartAsync(nodes: 2, sessions: false, options: new OperatorOptions { PortRange = new PortRange(7000, 7002) });
        await cluster.CreateFleetAsync(FleetBuilder.Fleet("arena", replicas: 6, scheduling: SchedulingStrategy.Distributed));
        var ready = await WaitForReady(cluster, "arena", 6);

        var bindings = ready.Select(p => (p.Spec.NodeName, Port: p.Spec.Containers[0].Ports.Single(port => port.Name == "game").HostPort)).ToList();
        bindings.Should().OnlyHaveUniqueItems();
        bindings.Should().OnlyContain(b => b.Port >= 7000 && b.Port <= 7002);
    }

    [Fact]
    public async Task A_new_revision_is_rolled_out_blue_green_replacing_Ready_servers_and_draining_allocated_ones()
    {
        await using var cluster = await OperatorCluster.StartAsync(sessions: false);
        await cluster.CreateFleetAsync(FleetBuilder.Fleet("arena", replicas: 3));
        var old = await WaitForReady(cluster, "arena", 3);
        var oldRevision = old[0].Metadata.Labels[WellKnown.RevisionLabel];
        var playing = await cluster.MarkAllocatedAsync(old[0]);

        await cluster.PatchFleetAsync("arena", new { spec = new { game = new { boardSize = 10 } } });
        var fresh = await Eventually.ValueAsync(() => cluster.ReadyPodsAsync("arena"),
            p => p.Count == 3 && p.All(x => x.Metadata.Labels[WellKnown.RevisionLabel] != oldRevision), Within, "3 Ready servers of the new revision");
        fresh[0].Spec.Containers[0].Env.Should().Contain(e => e.Name == "GridGame__Game__BoardSize" && e.Value == "10");

        var pods = await WaitForPods(cluster, "arena", 4);
        var draining = pods.Single(p => p.Metadata.Name == playing.Metadata.Name);
        draining.Metadata.Labels[WellKnown.StateLabel].Should().Be(WellKnown.States.Draining);
        var status = await Eventually.ValueAsync(() => cluster.GetFleetAsync("arena"), f => f.Status?.DrainingReplicas == 1 && f.Status.ReadyReplicas == 3, Within, "status");
        status.Status!.ActiveRevision.Should().NotBe(oldRevision);
        // autoPromote (the default): green was promoted once all of it was Ready; the playing blue server drains.
        status.Status.TargetRevision.Should().Be(status.Status.ActiveRevision);
        status.Status.Rollout!.Phase.Should().Be(RolloutPhase.Draining);
    }

    [Fact]
    public async Task An_operator_killed_mid_scale_and_restarted_converges_without_duplicate_or_lost_servers()
    {
        await using var cluster = await OperatorCluster.StartAsync(sessions: false);
        await cluster.CreateFleetAsync(FleetBuilder.Fleet("arena", replicas: 150, scheduling: SchedulingStrategy.Distributed));
        var partial = await Eventually.ValueAsync(() => cluster.PodsAsync("arena"), p => p.Count >= 10, Within, "scaling has begun");
        await cluster.KillOperatorAsync();
        var atKill = await cluster.PodsAsync("arena");
        atKill.Count.Should().BeGreaterThanOrEqualTo(partial.Count);

        await cluster.StartOperatorAsync();
        var all = await WaitForReady(cluster, "arena", 150);
        all.Select(p => p.Metadata.Name).Should().Contain(atKill.Select(p => p.Metadata.Name), "no server that existed is lost");
        (await cluster.PodsAsync("arena", includeTerminating: true)).Should().HaveCount(150, "nothing was created twice and then deleted");
    }

    [Fact]
    public async Task An_invalid_fleet_is_surfaced_as_the_Invalid_condition_naming_the_field()
    {
        await using var cluster = await OperatorCluster.StartAsync(sessions: false);
        var fleet = FleetBuilder.Fleet("arena", replicas: 2);
        fleet.Spec.Autoscaling = new FleetAutoscaling { MinReplicas = 5, MaxReplicas = 3 };
        try
        {
            await cluster.CreateFleetAsync(fleet);
        }
        catch (k8s.Autorest.HttpOperationException e)
        {
            // The schema (CEL rule) refused it: as good, and the message names the field.
            e.Response.Content.Should().Contain("minReplicas");
            return;
        }
        var invalid = await Eventually.ValueAsync(() => cluster.GetFleetAsync("arena"),
            f => f.Status?.Conditions?.Any(c => c.Type == "Invalid" && c.Status == "True") == true, Within, "Invalid condition");
        invalid.Status!.Conditions!.Single(c => c.Type == "Invalid").Message.Should().Contain("spec.autoscaling.minReplicas");
        (await cluster.PodsAsync("arena")).Should().BeEmpty("an invalid fleet gets no servers");
    }

    [Fact]
    public async Task A_fleet_with_a_static_port_and_no_hostPort_is_invalid()
    {
        await using var cluster = await OperatorCluster.StartAsync(sessions: false);
        var fleet = FleetBuilder.Fleet("arena", replicas: 1);
        fleet.Spec.Ports![0].Policy = PortPolicy.Static;
        try
        {
            await cluster.CreateFleetAsync(fleet);
        }
        catch (k8s.Autorest.HttpOperationException e)
        {
            e.Response.Content.Should().Contain("hostPort");
            return;
        }
        var invalid = await Eventually.ValueAsync(() => cluster.GetFleetAsync("arena"),
            f => f.Status?.Conditions?.Any(c => c.Type == "Invalid" && c.Status == "True") == true, Within, "Invalid condition");
        invalid.Status!.Conditions!.Single(c => c.Type == "Invalid").Message.Should().Contain("hostPort");
    }

    public static TheoryData<string, string> InvalidFleets => new()
    {
        { "minPlayers", "spec.game.minPlayers" },
        { "bufferSize", "buffer.size" },
        { "noContainers", "containers" },
        { "duplicatePorts", "spec.ports" },
    };

    [Theory]
    [MemberData(nameof(InvalidFleets))]
    public async Task Invalid_fleets_are_refused_or_surfaced_naming_the_field(string mistake, string field)
    {
        await using var cluster = await OperatorCluster.StartAsync(sessions: false);
        var fleet = FleetBuilder.Fleet("arena", replicas: 1);
        switch (mistake)
        {
            case "minPlayers":
                fleet.Spec.Game!.MinPlayers = 9;
                fleet.Spec.Game.MaxPlayers = 4;
                break;
            case "bufferSize":
                fleet.Spec.Autoscaling = new FleetAutoscaling { MaxReplicas = 5, Buffer = new BufferSettings { Size = "lots" } };
                break;
            case "noContainers":
                fleet.Spec.Template.Spec.Containers = [];
                break;
            case "duplicatePorts":
                fleet.Spec.Ports = [new GamePort { Name = "game", ContainerPort = 7777 }, new GamePort { Name = "game", ContainerPort = 7778 }];
                break;
        }
        try
        {
            await cluster.CreateFleetAsync(fleet);
        }
        catch (k8s.Autorest.HttpOperationException e)
        {
            e.Response.Content.Should().Contain(field.Split('.')[^1], "the schema's refusal names the field");
            return;
        }
        var invalid = await Eventually.ValueAsync(() => cluster.GetFleetAsync("arena"),
            f => f.Status?.Conditions?.Any(c => c.Type == "Invalid" && c.Status == "True") == true, Within, "Invalid condition");
        invalid.Status!.Conditions!.Single(c => c.Type == "Invalid").Message.Should().Contain(field);
        (await cluster.PodsAsync("arena")).Should().BeEmpty("an invalid fleet gets no servers");
    }

    [Fact]
    public async Task The_buffer_autoscaler_keeps_free_servers_above_the_allocated_ones()
    {
        await using var cluster = await OperatorCluster.StartAsync(sessions: false);
        var fleet = FleetBuilder.Fleet("arena", replicas: 1);
        fleet.Spec.Autoscaling = new FleetAutoscaling
        {
            Buffer = new BufferSettings { Size = 2 },
            MinReplicas = 1,
            MaxReplicas = 10,
            ScaleDown = new ScaleDownSettings { StabilizationWindowSeconds = 0, MaxPercentPerMinute = 100 },
        };
        await cluster.CreateFleetAsync(fleet);
        var ready = await WaitForReady(cluster, "arena", 2);

        var first = await cluster.MarkAllocatedAsync(ready[0]);
        var second = await cluster.MarkAllocatedAsync(ready[1]);
        await Eventually.ValueAsync(() => cluster.GetFleetAsync("arena"), f => f.Spec.Replicas == 4, Within, "2 allocated + buffer 2");
        await WaitForReady(cluster, "arena", 2);
        var events = await cluster.Client.CoreV1.ListNamespacedEventAsync(OperatorCluster.Namespace, fieldSelector: "involvedObject.name=arena");
        events.Items.Should().Contain(e => e.Reason == "ScaledUp");

        // The games end: the servers go, and the fleet shrinks back to the buffer.
        await cluster.Client.CoreV1.DeleteNamespacedPodAsync(first.Metadata.Name, OperatorCluster.Namespace);
        await cluster.Client.CoreV1.DeleteNamespacedPodAsync(second.Metadata.Name, OperatorCluster.Namespace);
        await Eventually.ValueAsync(() => cluster.GetFleetAsync("arena"), f => f.Spec.Replicas == 2, Within, "back to the buffer");
        await WaitForPods(cluster, "arena", 2);
    }
}
