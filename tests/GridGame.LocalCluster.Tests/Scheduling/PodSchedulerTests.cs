using GridGame.LocalCluster.Scheduling;
using k8s.Models;
using static GridGame.LocalCluster.Tests.Scheduling.Build;

namespace GridGame.LocalCluster.Tests.Scheduling;

public sealed class PodSchedulerTests
{
    private static NodeState State(V1Node node, params V1Pod[] pods) => new(node, pods);

    /// <summary>Places pods one after another, as the scheduler loop does, and returns each pod's node.</summary>
    private static List<string?> PlaceAll(IReadOnlyList<V1Node> nodes, IEnumerable<V1Pod> pods)
    {
        var placed = nodes.ToDictionary(n => n.Metadata.Name, _ => new List<V1Pod>());
        var result = new List<string?>();
        foreach (var pod in pods)
        {
            var decision = PodScheduler.Decide(pod, nodes.Select(n => new NodeState(n, placed[n.Metadata.Name])).ToList());
            result.Add(decision.NodeName);
            if (decision.NodeName is { } name)
            {
                placed[name].Add(pod);
            }
        }
        return result;
    }

    [Fact]
    public void A_pod_goes_only_to_a_node_matching_its_node_selector()
    {
        var nodes = new[] { State(Node("a", labels: ("region", "us"))), State(Node("b", labels: ("region", "eu"))) };
        PodScheduler.Decide(Pod("p").WithNodeSelector("region", "eu"), nodes).NodeName.Should().Be("b");
    }

    [Fact]
    public void A_pod_with_no_matching_node_is_unschedulable_with_the_reason_counted_per_node()
    {
        var nodes = new[] { State(Node("a", labels: ("region", "us"))), State(Node("b", labels: ("region", "us"))) };
        var decision = PodScheduler.Decide(Pod("p").WithNodeSelector("region", "eu"), nodes);
        decision.Scheduled.Should().BeFalse();
        decision.Message.Should().Be("0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.");
    }

    [Theory]
    [InlineData("3", null, "a")]            // fits on the 4-cpu node only
    [InlineData("5", null, null)]           // fits nowhere
    [InlineData(null, "10Gi", "b")]         // only the 16Gi node has the memory
    [InlineData("1", "1Gi", "a")]           // both fit; a has more free cpu relative to its size
    public void Requests_are_checked_against_allocatable(string? cpu, string? memory, string? expected)
    {
        var nodes = new[] { State(Node("a", cpu: "4", memory: "8Gi")), State(Node("b", cpu: "2", memory: "16Gi")) };
        PodScheduler.Decide(Pod("p", cpu, memory), nodes).NodeName.Should().Be(expected);
    }

    [Fact]
    public void Requests_of_pods_already_on_a_node_count_against_it()
    {
        var nodes = new[] { State(Node("a", cpu: "4"), Pod("x", cpu: "3")), State(Node("b", cpu: "2")) };
        PodScheduler.Decide(Pod("p", cpu: "2"), nodes).NodeName.Should().Be("b");
    }

    [Fact]
    public void Insufficient_cpu_is_reported_in_the_scheduler_words()
    {
        var nodes = new[] { State(Node("a", cpu: "1")), State(Node("b", cpu: "1")), State(Node("c", labels: ("x", "y"), cpu: "8")) };
        var decision = PodScheduler.Decide(Pod("p", cpu: "2").WithNodeSelector("x", "y").WithNodeSelector("x", "z"), nodes);
        decision.Message.Should().Be("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.");
        PodScheduler.Decide(Pod("p", cpu: "2"), nodes[..2]).Message.Should().Be("0/2 nodes are available: 2 Insufficient cpu.");
    }

    [Fact]
    public void The_pod_count_capacity_is_respected()
    {
        var nodes = new[] { State(Node("a", pods: 1), Pod("x")), State(Node("b", pods: 1)) };
        PodScheduler.Decide(Pod("p"), nodes).NodeName.Should().Be("b");
        PodScheduler.Decide(Pod("q"), [nodes[0]]).Message.Should().Be("0/1 nodes are available: 1 Too many pods.");
    }

    [Fact]
    public void Two_pods_with_the_same_host_port_never_share_a_node()
    {
        var placements = PlaceAll([Node("a"), Node("b"), Node("c")], Enumerable.Range(0, 4).Select(i => Pod($"p{i}", hostPort: 7000)));
        placements.Take(3).Should().OnlyHaveUniqueItems().And.NotContainNulls();
        placements[3].Should().BeNull("three nodes have only three 7000 ports");
    }

    [Fact]
    public void Different_host_ports_may_share_a_node()
    {
        var nodes = new[] { State(Node("a"), Pod("x", hostPort: 7000)) };
        PodScheduler.Decide(Pod("p", hostPort: 7001), nodes).NodeName.Should().Be("a");
    }

    [Fact]
    public void Not_ready_and_cordoned_nodes_get_no_pods()
    {
        var cordoned = Node("b");
        cordoned.Spec.Unschedulable = true;
        var nodes = new[] { State(Node("a", ready: false)), State(cordoned), State(Node("c")) };
        PodScheduler.Decide(Pod("p"), nodes).NodeName.Should().Be("c");
    }

    [Fact]
    public void Without_affinity_pods_spread_by_least_allocated()
    {
        var placements = PlaceAll([Node("a"), Node("b"), Node("c")], Enumerable.Range(0, 6).Select(i => Pod($"p{i}")));
        placements.GroupBy(n => n).Select(g => g.Count()).Should().AllBeEquivalentTo(2);
    }

    [Fact]
    public void Preferred_pod_affinity_packs_a_fleet_onto_a_busy_node()
    {
        var placements = PlaceAll([Node("a"), Node("b"), Node("c")], Enumerable.Range(0, 10).Select(i => Game($"p{i}").Preferring(together: true)));
        placements.Should().AllBe("a");
    }

    [Fact]
    public void Packing_moves_on_when_the_busy_node_is_full()
    {
        var placements = PlaceAll([Node("a", pods: 3), Node("b", pods: 3), Node("c", pods: 3)], Enumerable.Range(0, 5).Select(i => Game($"p{i}").Preferring(together: true)));
        placements.Should().Equal("a", "a", "a", "b", "b");
    }

    [Fact]
    public void Preferred_anti_affinity_spreads_a_fleet_across_nodes()
    {
        var placements = PlaceAll([Node("a"), Node("b"), Node("c")], Enumerable.Range(0, 9).Select(i => Game($"p{i}").Preferring(together: false)));
        placements.GroupBy(n => n).Select(g => g.Count()).Should().Equal(3, 3, 3);
        placements.Take(3).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public void Affinity_outweighs_least_allocated_but_only_towards_matching_pods()
    {
        // b is busier with pods of another app; the packed pod still goes where its own kind is.
        var nodes = new[]
        {
            State(Node("a"), Game("g1")),
            State(Node("b"), Pod("o1"), Pod("o2"), Pod("o3")),
            State(Node("c")),
        };
        PodScheduler.Decide(Game("p").Preferring(together: true), nodes).NodeName.Should().Be("a");
    }

    [Fact]
    public void Affinity_terms_only_see_pods_in_the_same_namespace_by_default()
    {
        var nodes = new[] { State(Node("a")), State(Node("b"), Pod("g1", ns: "other", labels: ("app", "game"))) };
        // Without a same-namespace match, least-allocated sends it to the empty node.
        PodScheduler.Decide(Game("p").Preferring(together: true), nodes).NodeName.Should().Be("a");
    }

    [Fact]
    public void Required_anti_affinity_keeps_pods_apart_or_leaves_them_pending()
    {
        var placements = PlaceAll([Node("a"), Node("b")], Enumerable.Range(0, 3).Select(i => Game($"p{i}").RequiringApart()));
        placements.Should().Equal("a", "b", null);
    }

    [Theory]
    [InlineData("In", new[] { "eu", "asia" }, "b")]
    [InlineData("NotIn", new[] { "eu" }, "a")]
    [InlineData("Exists", new string[0], "a")]
    [InlineData("DoesNotExist", new string[0], "c")]
    public void Required_node_affinity_expressions_select_nodes(string op, string[] values, string expected)
    {
        var nodes = new[] { State(Node("a", labels: ("region", "us"))), State(Node("b", labels: ("region", "eu"))), State(Node("c")) };
        var pod = Pod("p");
        if (op == "NotIn")
        {
            nodes = nodes[..2];
        }
        pod.Spec.Affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
                {
                    NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "region", OperatorProperty = op, Values = values }] }],
                },
            },
        };
        PodScheduler.Decide(pod, nodes).NodeName.Should().Be(expected);
    }

    [Fact]
    public void Required_pod_affinity_follows_the_first_pod_of_its_group()
    {
        static V1Pod Together(string name)
        {
            var pod = Game(name);
            pod.Spec.Affinity = new V1Affinity
            {
                PodAffinity = new V1PodAffinity
                {
                    RequiredDuringSchedulingIgnoredDuringExecution =
                    [
                        new V1PodAffinityTerm
                        {
                            TopologyKey = PodScheduler.HostnameLabel,
                            LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "game" } },
                        },
                    ],
                },
            };
            return pod;
        }

        var placements = PlaceAll([Node("a"), Node("b"), Node("c")], [Pod("filler-a"), Pod("filler-b"), Together("t1"), Together("t2"), Together("t3")]);

        placements[2].Should().Be("c", "the first pod of the group may go anywhere, and c is emptiest");
        placements.Skip(3).Should().AllBe("c");
    }

    [Fact]
    public void No_nodes_means_unschedulable()
    {
        PodScheduler.Decide(Pod("p"), []).Message.Should().Be("no nodes available to schedule pods");
    }
}
