using System.Collections.Concurrent;
using GridGame.Crds;
using GridGame.Crds.Validation;
using GridGame.Operator.Fleets;
using GridGame.Operator.Tests.Fleets;
using k8s;
using k8s.Models;

namespace GridGame.Operator.Tests.Sessions;

/// <summary>The session controller end to end against LocalCluster with simulated kubelets.</summary>
public sealed class SessionControllerTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(20);

    private static async Task<OperatorCluster> ClusterWithFleet(int replicas, SchedulingStrategy scheduling = SchedulingStrategy.Packed, int nodes = 3)
    {
        var cluster = await OperatorCluster.StartAsync(nodes: nodes);
        await cluster.CreateFleetAsync(FleetBuilder.Fleet("arena", replicas: replicas, scheduling: scheduling));
        await Eventually.ValueAsync(() => cluster.ReadyPodsAsync("arena"), p => p.Count == replicas, Within, $"{replicas} Ready servers");
        return cluster;
    }

    [Fact]
    public async Task A_session_is_bound_to_a_Ready_server_and_tells_players_where_to_connect()
    {
        await using var cluster = await ClusterWithFleet(2);
        await cluster.CreateSessionAsync(SessionClient.Session("match-1"));

        var session = (await cluster.WaitForPhaseAsync("match-1", SessionPhase.Allocated))!;
        var status = session.Status!;
        var pod = await cluster.Client.CoreV1.ReadNamespacedPodAsync(status.ServerName, OperatorCluster.Namespace);
        pod.Metadata.Labels[WellKnown.StateLabel].Should().Be(WellKnown.States.Allocated);
        pod.Metadata.Annotations[WellKnown.SessionAnnotation].Should().Be("match-1");
        status.NodeName.Should().Be(pod.Spec.NodeName);
        var node = await cluster.Client.CoreV1.ReadNodeAsync(pod.Spec.NodeName);
        var external = node.Status.Addresses.Single(a => a.Type == "ExternalIP").Address;
        status.Address.Should().Be(external);
        status.Port.Should().Be(pod.Spec.Containers[0].Ports[0].HostPort);
        status.Url.Should().Be($"http://{external}:{status.Port}/hubs/game?session=match-1");
        status.AllocatedAt.Should().NotBeNull();
        var bound = await Eventually.ValueAsync(() => cluster.GetSessionAsync("match-1"), s => s?.Metadata.Labels?.ContainsKey(WellKnown.ServerLabel) == true, Within, "server label");
        bound!.Metadata.Labels[WellKnown.ServerLabel].Should().Be(pod.Metadata.Name);
        bound.Metadata.Finalizers.Should().Contain(WellKnown.ReleaseFinalizer);
    }

    [Fact]
    public async Task Allocations_show_in_the_operators_metrics()
    {
        await using var cluster = await ClusterWithFleet(1);
        await cluster.CreateSessionAsync(SessionClient.Session("counted"));
        await cluster.WaitForPhaseAsync("counted", SessionPhase.Allocated);
        await cluster.CreateSessionAsync(SessionClient.Session("orphan", fleet: "nowhere", timeoutSeconds: 1));
        await cluster.WaitForPhaseAsync("orphan", SessionPhase.Failed);

        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(new Uri(cluster.Operator!.HttpUri, "metrics"));
        metrics.Should().Contain("gridgame_allocations_total{result=\"Allocated\"} 1")
            .And.Contain("gridgame_allocations_total{result=\"FleetNotFound\"} 1")
            .And.Contain("gridgame_allocation_duration_seconds_count 1")
            .And.Contain("gridgame_sessions_pending");
    }

    [Fact]
    public async Task A_session_selector_picks_matching_servers_only()
    {
        await using var cluster = await ClusterWithFleet(3);
        var ready = await cluster.ReadyPodsAsync("arena");
        var us = ready[1].Metadata.Name;
        await cluster.Client.CoreV1.PatchNamespacedPodAsync(new V1Patch(new { metadata = new { labels = new Dictionary<string, string> { ["region"] = "us" } } }, V1Patch.PatchType.MergePatch), us, OperatorCluster.Namespace);

        var selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["region"] = "us" } };
        await cluster.CreateSessionAsync(SessionClient.Session("match-us", selector: selector));
        (await cluster.WaitForPhaseAsync("match-us", SessionPhase.Allocated))!.Status!.ServerName.Should().Be(us);

        await cluster.CreateSessionAsync(SessionClient.Session("match-us-2", selector: selector, timeoutSeconds: 1));
        (await cluster.WaitForPhaseAsync("match-us-2", SessionPhase.Failed))!.Status!.Reason.Should().Be("Unallocatable");
    }

    [Theory]
    [InlineData(SchedulingStrategy.Packed, 1)]
    [InlineData(SchedulingStrategy.Distributed, 2)]
    public async Task Packed_fills_one_node_and_Distributed_spreads_sessions(SchedulingStrategy scheduling, int nodesUsed)
    {
        await using var cluster = await ClusterWithFleet(6, SchedulingStrategy.Distributed);
        if (scheduling == SchedulingStrategy.Packed)
        {
            await cluster.PatchFleetAsync("arena", new { spec = new { scheduling = "Packed" } });
            await Eventually.ValueAsync(() => cluster.GetFleetAsync("arena"), f => f.Status?.ObservedGeneration == f.Metadata.Generation, Within, "the change is seen");
        }
        var nodes = new List<string>();
        // Six servers, two per node: two sessions share a node when Packed and do not when Distributed.
        for (var i = 0; i < 2; i++)
        {
            await cluster.CreateSessionAsync(SessionClient.Session($"match-{i}"));
            nodes.Add((await cluster.WaitForPhaseAsync($"match-{i}", SessionPhase.Allocated))!.Status!.NodeName!);
        }
        nodes.Distinct().Should().HaveCount(nodesUsed);
    }

    [Fact]
    public async Task A_session_of_an_unknown_fleet_waits_Pending_then_fails_with_FleetNotFound_at_its_timeout()
    {
        await using var cluster = await OperatorCluster.StartAsync();
        await cluster.CreateSessionAsync(SessionClient.Session("lost", fleet: "nowhere", timeoutSeconds: 2));

        var pending = (await cluster.WaitForPhaseAsync("lost", SessionPhase.Pending))!;
        pending.Status!.Message.Should().Contain("spec.fleetName");
        pending.Status.Conditions.Should().ContainSingle(c => c.Type == WellKnown.SessionConditions.FleetFound)
            .Which.Should().Match<V1Condition>(c => c.Status == "False" && c.Reason == "FleetNotFound");
        var failed = (await cluster.WaitForPhaseAsync("lost", SessionPhase.Failed))!;
        failed.Status!.Reason.Should().Be("FleetNotFound");
        (failed.Status.FinishedAt!.Value - failed.Metadata.CreationTimestamp!.Value).Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1.9), "a missing fleet is a reason to wait, up to the allocation timeout");
    }

    [Fact]
    public async Task A_session_created_before_its_fleet_waits_for_it_and_is_allocated_when_it_arrives()
    {
        await using var cluster = await OperatorCluster.StartAsync();
        await cluster.CreateSessionAsync(SessionClient.Session("early"));
        (await cluster.WaitForPhaseAsync("early", SessionPhase.Pending))!.Status!.Conditions
            .Should().Contain(c => c.Type == WellKnown.SessionConditions.FleetFound && c.Status == "False");

        await cluster.CreateFleetAsync(FleetBuilder.Fleet("arena", replicas: 1));
        var allocated = (await cluster.WaitForPhaseAsync("early", SessionPhase.Allocated))!;
        allocated.Status!.ServerName.Should().NotBeNull();
        allocated.Status.Conditions.Should().Contain(c => c.Type == WellKnown.SessionConditions.FleetFound && c.Status == "True");
    }

    [Fact]
    public async Task A_session_applied_with_its_fleet_by_kubectl_is_allocated_even_when_its_file_sorts_first()
    {
        await using var cluster = await OperatorCluster.StartAsync();
        var dir = Directory.CreateTempSubdirectory("sessions-apply-");
        try
        {
            // kubectl applies a directory's files in name order: the sessions go in before the fleet they name.
            for (var i = 1; i <= 3; i++)
            {
                await File.WriteAllTextAsync(Path.Combine(dir.FullName, $"a-session-{i}.json"), KubernetesJson.Serialize(SessionClient.Session($"applied-{i}")));
            }
            var fleet = FleetBuilder.Fleet("arena", replicas: 3);
            fleet.Metadata.Uid = null;
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "b-fleet.json"), KubernetesJson.Serialize(fleet));

            await Kubectl.RunAsync(cluster, $"apply -f {dir.FullName}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }

        for (var i = 1; i <= 3; i++)
        {
            (await cluster.WaitForPhaseAsync($"applied-{i}", SessionPhase.Allocated))!.Status!.ServerName.Should().NotBeNull();
        }
    }

    [Fact]
    public async Task A_session_waiting_for_capacity_shows_phase_Pending_and_why()
    {
        await using var cluster = await ClusterWithFleet(0);
        await cluster.CreateSessionAsync(SessionClient.Session("queued"));

        var pending = (await cluster.WaitForPhaseAsync("queued", SessionPhase.Pending))!;
        pending.Status!.Message.Should().Be("waiting for a Ready server");
        pending.Status.Conditions.Should().Contain(c => c.Type == WellKnown.SessionConditions.FleetFound && c.Status == "True");
    }

    [Fact]
    public async Task An_invalid_session_fails_with_Invalid_naming_the_field()
    {
        await using var cluster = await ClusterWithFleet(1);
        var session = SessionClient.Session("too-big");
        session.Spec.Game = new GameOverrides { BoardSize = 20 };
        await cluster.CreateSessionAsync(session);
        var failed = (await cluster.WaitForPhaseAsync("too-big", SessionPhase.Failed))!;
        failed.Status!.Reason.Should().Be("Invalid");
        failed.Status.Message.Should().Contain("spec.game.boardSize");
    }

    [Fact]
    public async Task A_refused_long_value_is_repeated_cut_short_in_the_status_its_condition_and_the_Event()
    {
        await using var cluster = await ClusterWithFleet(1);
        var value = new string('X', 100_000);
        var session = SessionClient.Session("long-operator", selector: new V1LabelSelector { MatchExpressions = [new V1LabelSelectorRequirement { Key = "region", OperatorProperty = value }] });
        var dir = Directory.CreateTempSubdirectory("session-long-value-");
        try
        {
            var file = Path.Combine(dir.FullName, "session.json");
            await File.WriteAllTextAsync(file, KubernetesJson.Serialize(session));
            await Kubectl.RunAsync(cluster, $"create -f {file}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }

        await cluster.WaitForPhaseAsync("long-operator", SessionPhase.Failed);
        var status = System.Text.Json.Nodes.JsonNode.Parse(await Kubectl.RunAsync(cluster, "get gamesession long-operator -o json"))!["status"]!;
        var events = await Eventually.ValueAsync(
            async () => System.Text.Json.Nodes.JsonNode.Parse(await Kubectl.RunAsync(cluster, "get events --field-selector involvedObject.name=long-operator,involvedObject.kind=GameSession -o json"))!["items"]!.AsArray(),
            e => e.Any(x => (string?)x!["reason"] == "Invalid"), Within, "the Invalid Event");
        var messages = new[]
        {
            (string)status["message"]!,
            (string)status["conditions"]!.AsArray().Single(c => (string?)c!["type"] == WellKnown.SessionConditions.Invalid)!["message"]!,
            (string)events.First(x => (string?)x!["reason"] == "Invalid")!["message"]!,
        };

        var echoed = $"spec.selector.matchExpressions[0].operator must be one of In, NotIn, Exists, DoesNotExist (got \"{new string('X', EchoedValue.MaxLength)}…\" (100000 characters))";
        messages.Should().AllBe(echoed);
    }

    [Fact]
    public async Task Without_capacity_a_session_waits_then_fails_as_Unallocatable()
    {
        await using var cluster = await ClusterWithFleet(0);
        await cluster.CreateSessionAsync(SessionClient.Session("waiting", timeoutSeconds: 2));
        // The operator has looked at it (and written a phase) before the absence of an allocation says anything.
        var looked = await Eventually.ValueAsync(() => cluster.GetSessionAsync("waiting"), s => s?.Status?.Phase is not null, Within, "the operator writes the session's phase");
        looked!.Status!.Phase.Should().NotBe(SessionPhase.Allocated);
        var failed = (await cluster.WaitForPhaseAsync("waiting", SessionPhase.Failed))!;
        failed.Status!.Reason.Should().Be("Unallocatable");
        (failed.Status.FinishedAt!.Value - failed.Metadata.CreationTimestamp!.Value).Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1.9));
    }

    [Fact]
    public async Task A_pending_session_is_demand_the_autoscaler_serves()
    {
        await using var cluster = await OperatorCluster.StartAsync();
        var fleet = FleetBuilder.Fleet("arena", replicas: 0);
        fleet.Spec.Autoscaling = new FleetAutoscaling { Buffer = new BufferSettings { Size = 0 }, MinReplicas = 0, MaxReplicas = 5 };
        await cluster.CreateFleetAsync(fleet);

        await cluster.CreateSessionAsync(SessionClient.Session("demand"));
        (await cluster.WaitForPhaseAsync("demand", SessionPhase.Allocated))!.Status!.ServerName.Should().NotBeNull();
        (await cluster.GetFleetAsync("arena")).Spec.Replicas.Should().Be(1);
    }

    [Fact]
    public async Task A_finished_session_releases_its_server_and_goes_after_its_ttl()
    {
        await using var cluster = await ClusterWithFleet(1);
        await cluster.CreateSessionAsync(SessionClient.Session("short", ttlSeconds: 1));
        var server = (await cluster.WaitForPhaseAsync("short", SessionPhase.Allocated))!.Status!.ServerName!;

        await cluster.FinishAsync("short");
        await Eventually.ValueAsync(() => cluster.ReadyPodsAsync("arena"), p => p.Count == 1 && p[0].Metadata.Name != server, Within, "the server is replaced by a fresh one");
        await Eventually.ValueAsync(() => cluster.GetSessionAsync("short"), s => s is null, Within, "the session is deleted after its ttl");
    }

    [Fact]
    public async Task Deleting_a_session_releases_its_server_first()
    {
        await using var cluster = await ClusterWithFleet(1);
        await cluster.CreateSessionAsync(SessionClient.Session("bye"));
        var server = (await cluster.WaitForPhaseAsync("bye", SessionPhase.Allocated))!.Status!.ServerName!;
        await Eventually.ValueAsync(() => cluster.GetSessionAsync("bye"), s => s?.Metadata.Finalizers?.Contains(WellKnown.ReleaseFinalizer) == true, Within, "finalizer");

        await cluster.DeleteSessionAsync("bye");
        await Eventually.ValueAsync(() => cluster.GetSessionAsync("bye"), s => s is null, Within, "the session is gone");
        (await cluster.PodsAsync("arena")).Should().NotContain(p => p.Metadata.Name == server);
    }

    [Fact]
    public async Task A_session_whose_server_is_lost_fails_with_ServerLost()
    {
        await using var cluster = await ClusterWithFleet(1);
        await cluster.CreateSessionAsync(SessionClient.Session("unlucky"));
        var server = (await cluster.WaitForPhaseAsync("unlucky", SessionPhase.Allocated))!.Status!.ServerName!;

        await cluster.Client.CoreV1.DeleteNamespacedPodAsync(server, OperatorCluster.Namespace);
        (await cluster.WaitForPhaseAsync("unlucky", SessionPhase.Failed))!.Status!.Reason.Should().Be("ServerLost");
    }

    [Fact]
    public async Task A_binding_left_half_done_by_a_dead_operator_is_completed_from_the_pod()
    {
        await using var cluster = await ClusterWithFleet(2);
        await cluster.KillOperatorAsync();
        await cluster.CreateSessionAsync(SessionClient.Session("half"));
        // The dead operator had reserved the pod (first patch) but not written the session (second patch).
        var pod = (await cluster.ReadyPodsAsync("arena"))[1];
        await cluster.MarkAllocatedAsync(pod, session: "half");

        await cluster.StartOperatorAsync();
        var session = (await cluster.WaitForPhaseAsync("half", SessionPhase.Allocated))!;
        session.Status!.ServerName.Should().Be(pod.Metadata.Name);
        (await cluster.PodsAsync("arena")).Count(p => PodObservation.State(p) == ServerState.Allocated).Should().Be(1, "the session holds exactly one server");
    }

    [Fact]
    public async Task Concurrent_creators_never_get_one_server_twice_while_the_fleet_shrinks_and_replaces_servers()
    {
        const int Servers = 60, Creators = 16, PerCreator = 16;
        await using var cluster = await ClusterWithFleet(Servers, SchedulingStrategy.Distributed);
        var created = new ConcurrentBag<string>();
        var failedOnPurpose = new ConcurrentBag<string>();

        var creators = Enumerable.Range(0, Creators).Select(c => Task.Run(async () =>
        {
            for (var i = 0; i < PerCreator; i++)
            {
                var name = $"stress-{c}-{i}";
                await cluster.CreateSessionAsync(SessionClient.Session(name, timeoutSeconds: 3));
                created.Add(name);
            }
        }));
        var churn = Task.Run(async () =>
        {
            await cluster.PatchFleetAsync("arena", new { spec = new { replicas = Servers / 2 } });
            foreach (var pod in (await cluster.ReadyPodsAsync("arena")).Take(5))
            {
                try
                {
                    failedOnPurpose.Add(pod.Metadata.Name);
                    cluster.Nodes.FailPod(OperatorCluster.Namespace, pod.Metadata.Name);
                }
                catch (InvalidOperationException)
                {
                    // Already deleted by the scale-down.
                }
            }
        });
        await Task.WhenAll([.. creators, churn]);

        var sessions = await Eventually.ValueAsync(() => cluster.ListSessionsAsync(),
            s => s.Count == Creators * PerCreator && s.All(x => x.Status?.Phase is SessionPhase.Allocated or SessionPhase.Failed), TimeSpan.FromSeconds(30), "every session is Allocated or Failed");
        var allocated = sessions.Where(s => s.Status!.Phase == SessionPhase.Allocated).ToList();
        allocated.Select(s => s.Status!.ServerName).Should().OnlyHaveUniqueItems("no server is given twice");
        allocated.Should().NotBeEmpty();
        sessions.Where(s => s.Status!.Phase == SessionPhase.Failed).Should().OnlyContain(s => s.Status!.Reason == "Unallocatable" || s.Status.Reason == "ServerLost");
        // A server is lost only when the test failed it; scaling never takes one from a session.
        sessions.Where(s => s.Status!.Reason == "ServerLost").Should().NotContain(s => !failedOnPurpose.Contains(s.Status!.ServerName!));

        var pods = (await cluster.PodsAsync("arena", includeTerminating: true)).ToDictionary(p => p.Metadata.Name);
        foreach (var session in allocated)
        {
            pods.Should().ContainKey(session.Status!.ServerName!, $"the server of {session.Metadata.Name} was not deleted");
            var pod = pods[session.Status.ServerName!];
            pod.Metadata.DeletionTimestamp.Should().BeNull();
            pod.Metadata.Annotations[WellKnown.SessionAnnotation].Should().Be(session.Metadata.Name);
        }
    }
}
