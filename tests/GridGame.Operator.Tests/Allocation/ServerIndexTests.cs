using GridGame.Crds;
using GridGame.Kube;
using GridGame.Operator.Allocation;
using GridGame.Operator.Fleets;
using k8s.Models;

namespace GridGame.Operator.Tests.Allocation;

public sealed class ServerIndexTests
{
    private const string Fleet = "fleet-uid";

    private static AllocatableServer Server(string name, string? node, ServerState state = ServerState.Ready, string revision = "r1", string region = "eu") =>
        new(name, revision, state, IsReady: true, Terminating: false, node, new Dictionary<string, string> { ["region"] = region });

    private static ServerIndex.Entry Entry(AllocatableServer server, string fleet = Fleet) => new("default/" + server.Name, fleet, server);

    private static ServerIndex Index(params AllocatableServer[] servers)
    {
        var index = new ServerIndex();
        foreach (var s in servers)
        {
            index.Set("default/" + s.Name, Entry(s));
        }
        return index;
    }

    private static List<string> Best(ServerIndex index, SchedulingStrategy scheduling = SchedulingStrategy.Packed, int count = 100, string revision = "r1", LabelSelector? selector = null, Func<string, bool>? skip = null) =>
        index.Best(Fleet, revision, selector ?? LabelSelector.Everything, scheduling, count, skip).Select(e => e.Server.Name).ToList();

    // Node a: 2 Allocated + 1 Ready; node b: 1 Allocated + 1 Ready; node c: 1 Ready.
    private static readonly AllocatableServer[] Servers =
    [
        Server("a1", "a", ServerState.Allocated), Server("a2", "a", ServerState.Allocated), Server("a3", "a"),
        Server("b1", "b", ServerState.Allocated), Server("b2", "b"),
        Server("c1", "c"),
    ];

    [Theory]
    [InlineData(SchedulingStrategy.Packed, new[] { "a3", "b2", "c1" })]
    [InlineData(SchedulingStrategy.Distributed, new[] { "c1", "b2", "a3" })]
    public void Best_follows_the_scheduling_preference(SchedulingStrategy scheduling, string[] expected) =>
        Best(Index(Servers), scheduling).Should().Equal(expected);

    [Fact]
    public void Best_returns_at_most_count_servers() =>
        Best(Index(Servers), count: 2).Should().Equal("a3", "b2");

    [Fact]
    public void Only_Ready_servers_of_the_revision_on_a_node_are_candidates()
    {
        var index = Index(
            Server("old", "a", revision: "r0"), Server("starting", "a", ServerState.Starting), Server("draining", "a", ServerState.Draining),
            Server("notready", "a") with { IsReady = false }, Server("terminating", "a") with { Terminating = true }, Server("unscheduled", null), Server("ok", "a"));
        Best(index).Should().Equal("ok");
        Best(index, revision: "r0").Should().Equal("old");
        Best(index, revision: "r2").Should().BeEmpty();
    }

    [Fact]
    public void The_selector_and_the_skip_filter_candidates()
    {
        var index = Index(Server("eu1", "a"), Server("us1", "a", region: "us"), Server("us2", "b", region: "us"));
        var us = ServerAllocator.Selector(new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["region"] = "us" } });
        Best(index, selector: us).Should().Equal("us1", "us2");
        Best(index, selector: us, skip: key => key == "default/us1").Should().Equal("us2");
    }

    [Fact]
    public void A_server_that_is_reserved_leaves_the_candidates_and_counts_for_its_node()
    {
        var index = Index(Server("a1", "a"), Server("a2", "a"), Server("b1", "b"), Server("b2", "b"));
        Best(index, count: 1).Should().Equal("a1");

        index.Set("default/b1", Entry(Server("b1", "b", ServerState.Allocated)));

        // Packed now prefers node b, which holds an Allocated server.
        Best(index).Should().Equal("b2", "a1", "a2");
        index.AllocatedPerNode(Fleet).Should().Equal(new Dictionary<string, int> { ["b"] = 1 });
    }

    [Fact]
    public void Removing_pods_forgets_them_and_empty_fleets()
    {
        var index = Index(Server("a1", "a", ServerState.Allocated), Server("a2", "a"));
        index.Set("default/a1", null);
        index.AllocatedPerNode(Fleet).Should().BeEmpty();
        Best(index).Should().Equal("a2");
        index.Set("default/a2", null);
        index.Knows(Fleet).Should().BeFalse();
        index.Count.Should().Be(0);
        Best(index).Should().BeEmpty();
    }

    [Fact]
    public void Fleets_are_kept_apart()
    {
        var index = new ServerIndex();
        index.Set("default/x1", Entry(Server("x1", "a"), fleet: "other"));
        index.Set("default/y1", Entry(Server("y1", "a")));
        Best(index).Should().Equal("y1");
        index.Best("other", "r1", LabelSelector.Everything, SchedulingStrategy.Packed, 10).Select(e => e.Key).Should().Equal("default/x1");
    }

    [Fact]
    public void Refresh_records_what_the_reader_sees_now()
    {
        var current = new Dictionary<string, ServerIndex.Entry?> { ["default/a1"] = Entry(Server("a1", "a")) };
        var index = new ServerIndex();
        index.Refresh("default/a1", key => current[key]);
        Best(index).Should().Equal("a1");

        // A report that arrives late still reads the newest object: the index follows the reader, not the report.
        current["default/a1"] = Entry(Server("a1", "a", ServerState.Allocated));
        index.Refresh("default/a1", key => current[key]);
        index.Refresh("default/a1", key => current[key]);
        Best(index).Should().BeEmpty();
        index.AllocatedPerNode(Fleet).Should().Equal(new Dictionary<string, int> { ["a"] = 1 });

        current["default/a1"] = null;
        index.Refresh("default/a1", key => current[key]);
        index.Count.Should().Be(0);
    }

    /// <summary>The index answers as the specification (<see cref="FullOrder"/>) for random fleets and changes.</summary>
    [Theory]
    [InlineData(1, SchedulingStrategy.Packed)]
    [InlineData(2, SchedulingStrategy.Distributed)]
    [InlineData(3, SchedulingStrategy.Packed)]
    [InlineData(4, SchedulingStrategy.Distributed)]
    public void Best_equals_the_head_of_the_full_order_after_random_changes(int seed, SchedulingStrategy scheduling)
    {
        var random = new Random(seed);
        var index = new ServerIndex();
        var pods = new Dictionary<string, AllocatableServer>(StringComparer.Ordinal);
        var states = new[] { ServerState.Starting, ServerState.Ready, ServerState.Ready, ServerState.Ready, ServerState.Allocated, ServerState.Draining };
        for (var step = 0; step < 2000; step++)
        {
            var name = $"p{random.Next(200):D3}";
            if (random.Next(10) == 0)
            {
                pods.Remove(name);
                index.Set("default/" + name, null);
            }
            else
            {
                var server = new AllocatableServer(
                    name,
                    random.Next(4) == 0 ? "r0" : "r1",
                    states[random.Next(states.Length)],
                    IsReady: random.Next(8) != 0,
                    Terminating: random.Next(12) == 0,
                    random.Next(15) == 0 ? null : $"node-{random.Next(8)}",
                    new Dictionary<string, string> { ["region"] = random.Next(3) == 0 ? "us" : "eu" });
                pods[name] = server;
                index.Set("default/" + name, Entry(server));
            }
            if (step % 100 == 99)
            {
                var selector = step % 200 == 199
                    ? ServerAllocator.Selector(new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["region"] = "eu" } })
                    : LabelSelector.Everything;
                var count = 1 + random.Next(40);
                var expected = FullOrder(pods.Values, "r1", selector, scheduling).Take(count).Select(s => s.Name);
                Best(index, scheduling, count, selector: selector).Should().Equal(expected, $"step {step}");
            }
        }
    }

    /// <summary>
    /// The specification the index must match: every allocatable server of the revision that the selector accepts,
    /// sorted by its node (<see cref="AllocationPicker.CompareNodes"/> on the fleet's Allocated count per node), then by name.
    /// </summary>
    private static List<AllocatableServer> FullOrder(IReadOnlyCollection<AllocatableServer> servers, string revision, LabelSelector selector, SchedulingStrategy scheduling)
    {
        var allocatedPerNode = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in servers.Where(s => AllocationPicker.Holding(s)))
        {
            allocatedPerNode[s.NodeName!] = allocatedPerNode.GetValueOrDefault(s.NodeName!) + 1;
        }
        var list = servers.Where(s => AllocationPicker.Allocatable(s) && s.Revision == revision && selector.Matches(s.Labels)).ToList();
        list.Sort((a, b) => AllocationPicker.CompareNodes(a.NodeName!, b.NodeName!, allocatedPerNode, scheduling) is var byNode and not 0
            ? byNode
            : string.CompareOrdinal(a.Name, b.Name));
        return list;
    }
}
