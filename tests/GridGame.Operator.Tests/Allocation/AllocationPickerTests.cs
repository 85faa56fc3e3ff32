using GridGame.Crds;
using GridGame.Operator.Allocation;
using GridGame.Operator.Fleets;
using k8s.Models;

namespace GridGame.Operator.Tests.Allocation;

public sealed class AllocationPickerTests
{
    private static AllocatableServer Server(string name, string? node, ServerState state = ServerState.Ready) =>
        new(name, "r1", state, IsReady: true, Terminating: false, node, new Dictionary<string, string>());

    // Node a: 2 Allocated servers; node b: 1; node c: none.
    private static readonly Dictionary<string, int> AllocatedPerNode = new(StringComparer.Ordinal) { ["a"] = 2, ["b"] = 1 };

    private static List<string> Nodes(SchedulingStrategy scheduling)
    {
        var nodes = new List<string> { "c", "a", "b" };
        nodes.Sort((x, y) => AllocationPicker.CompareNodes(x, y, AllocatedPerNode, scheduling));
        return nodes;
    }

    [Fact]
    public void Packed_prefers_the_node_with_the_most_allocated_servers() =>
        Nodes(SchedulingStrategy.Packed).Should().Equal("a", "b", "c");

    [Fact]
    public void Distributed_prefers_the_node_with_the_fewest_allocated_servers() =>
        Nodes(SchedulingStrategy.Distributed).Should().Equal("c", "b", "a");

    [Fact]
    public void Nodes_with_the_same_load_go_by_name() =>
        AllocationPicker.CompareNodes("n2", "n1", AllocatedPerNode, SchedulingStrategy.Packed).Should().BePositive();

    private static readonly Dictionary<string, AllocatableServer> Servers = new()
    {
        ["Ready on a node"] = Server("ok", "a"),
        ["Starting"] = Server("starting", "a", ServerState.Starting),
        ["Allocated"] = Server("allocated", "a", ServerState.Allocated),
        ["Draining"] = Server("draining", "a", ServerState.Draining),
        ["labelled Ready but not Ready"] = Server("notready", "a") with { IsReady = false },
        ["terminating"] = Server("terminating", "a") with { Terminating = true },
        ["not scheduled"] = Server("unscheduled", null),
        ["Allocated but not scheduled"] = Server("nowhere", null, ServerState.Allocated),
    };

    [Theory]
    [InlineData("Ready on a node", true)]
    [InlineData("Starting", false)]
    [InlineData("Allocated", false)]
    [InlineData("Draining", false)]
    [InlineData("labelled Ready but not Ready", false)]
    [InlineData("terminating", false)]
    [InlineData("not scheduled", false)]
    public void Only_Ready_scheduled_live_servers_may_be_given_to_a_session(string server, bool allocatable) =>
        AllocationPicker.Allocatable(Servers[server]).Should().Be(allocatable);

    [Theory]
    [InlineData("Ready on a node", false)]
    [InlineData("Allocated", true)]
    [InlineData("Draining", true)]
    [InlineData("Allocated but not scheduled", false)]
    public void Only_servers_in_use_on_a_node_count_towards_its_load(string server, bool holding) =>
        AllocationPicker.Holding(Servers[server]).Should().Be(holding);

    [Fact]
    public void The_session_selector_matches_labels()
    {
        var selector = ServerAllocator.Selector(new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["region"] = "us" } });
        selector.Matches(new Dictionary<string, string> { ["region"] = "us" }).Should().BeTrue();
        selector.Matches(new Dictionary<string, string> { ["region"] = "eu" }).Should().BeFalse();
    }

    [Theory]
    [InlineData("In", new[] { "eu", "us" }, true)]
    [InlineData("In", new[] { "us" }, false)]
    [InlineData("NotIn", new[] { "us" }, true)]
    [InlineData("Exists", new string[0], true)]
    [InlineData("DoesNotExist", new string[0], false)]
    public void Match_expressions_follow_Kubernetes_semantics(string op, string[] values, bool matches)
    {
        var selector = ServerAllocator.Selector(new V1LabelSelector
        {
            MatchExpressions = [new V1LabelSelectorRequirement { Key = "region", OperatorProperty = op, Values = values }],
        });
        selector.Matches(new Dictionary<string, string> { ["region"] = "eu" }).Should().Be(matches);
    }
}
