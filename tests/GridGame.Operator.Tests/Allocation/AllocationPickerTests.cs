using GridGame.Crds;
using GridGame.Operator.Allocation;
using GridGame.Operator.Fleets;
using k8s.Models;

namespace GridGame.Operator.Tests.Allocation;

public sealed class AllocationPickerTests
{
    private static AllocatableServer Server(string name, string node, ServerState state = ServerState.Ready, string revision = "r1", string region = "eu") =>
        new(name, revision, state, IsReady: true, Terminating: false, node, new Dictionary<string, string> { ["region"] = region });

    // Node a: 2 Allocated + 1 Ready; node b: 1 Allocated + 1 Ready; node c: 1 Ready.
    private static readonly AllocatableServer[] Servers =
    [
        Server("a1", "a", ServerState.Allocated), Server("a2", "a", ServerState.Allocated), Server("a3", "a"),
        Server("b1", "b", ServerState.Allocated), Server("b2", "b"),
        Server("c1", "c"),
    ];

    private static IEnumerable<string> Names(IEnumerable<AllocatableServer> servers) => servers.Select(s => s.Name);

    [Fact]
    public void Packed_prefers_the_node_with_the_most_allocated_servers() =>
        Names(AllocationPicker.Candidates(Servers, "r1", LabelSelectorMatcher.Everything, SchedulingStrategy.Packed)).Should().Equal("a3", "b2", "c1");

    [Fact]
    public void Distributed_prefers_the_node_with_the_fewest_allocated_servers() =>
        Names(AllocationPicker.Candidates(Servers, "r1", LabelSelectorMatcher.Everything, SchedulingStrategy.Distributed)).Should().Equal("c1", "b2", "a3");

    [Fact]
    public void Only_Ready_servers_of_the_active_revision_are_candidates()
    {
        AllocatableServer[] servers =
        [
            Server("old", "a", revision: "r0"), Server("starting", "a", ServerState.Starting), Server("draining", "a", ServerState.Draining),
            Server("notready", "a") with { IsReady = false }, Server("terminating", "a") with { Terminating = true }, Server("ok", "a"),
        ];
        Names(AllocationPicker.Candidates(servers, "r1", LabelSelectorMatcher.Everything, SchedulingStrategy.Packed)).Should().Equal("ok");
    }

    [Fact]
    public void The_session_selector_filters_servers()
    {
        AllocatableServer[] servers = [Server("eu1", "a"), Server("us1", "a", region: "us")];
        var selector = new LabelSelectorMatcher(new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["region"] = "us" } });
        Names(AllocationPicker.Candidates(servers, "r1", selector, SchedulingStrategy.Packed)).Should().Equal("us1");
    }

    [Theory]
    [InlineData("In", new[] { "eu", "us" }, true)]
    [InlineData("In", new[] { "us" }, false)]
    [InlineData("NotIn", new[] { "us" }, true)]
    [InlineData("Exists", new string[0], true)]
    [InlineData("DoesNotExist", new string[0], false)]
    public void Match_expressions_follow_Kubernetes_semantics(string op, string[] values, bool matches)
    {
        var selector = new LabelSelectorMatcher(new V1LabelSelector
        {
            MatchExpressions = [new V1LabelSelectorRequirement { Key = "region", OperatorProperty = op, Values = values }],
        });
        selector.Matches(new Dictionary<string, string> { ["region"] = "eu" }).Should().Be(matches);
    }
}
