using GridGame.Crds;
using GridGame.Operator.Fleets;

namespace GridGame.Operator.Tests.Fleets;

public sealed class SurplusPickerTests
{
    private static IReadOnlyList<string> Pick(IReadOnlyList<FleetPod> pods, int count, SchedulingStrategy scheduling = SchedulingStrategy.Packed) =>
        SurplusPicker.Pick(pods, count, "r2", scheduling, SurplusPicker.CountPerNode(pods)).Select(p => p.Name).ToList();

    [Fact]
    public void Not_yet_Ready_goes_before_old_Ready_which_goes_before_active_Ready()
    {
        FleetPod[] pods = [Pod.Ready("active", "r2"), Pod.Ready("old", "r1"), Pod.Starting("starting", "r2", node: "n1")];
        Pick(pods, 3).Should().Equal("starting", "old", "active");
    }

    [Fact]
    public void Unscheduled_pods_go_before_scheduled_ones_that_are_not_Ready()
    {
        FleetPod[] pods = [Pod.Starting("scheduled", "r2", node: "n1"), Pod.Starting("unscheduled", "r2")];
        Pick(pods, 1).Should().Equal("unscheduled");
    }

    [Fact]
    public void Allocated_and_Draining_pods_are_never_chosen()
    {
        FleetPod[] pods = [Pod.Allocated("a", "r2"), Pod.Draining("d", "r1"), Pod.Ready("r", "r2")];
        Pick(pods, 3).Should().Equal("r");
    }

    [Theory]
    [InlineData(SchedulingStrategy.Packed, "c1")]
    [InlineData(SchedulingStrategy.Distributed, "a3")]
    public void Packed_empties_the_least_used_node_and_Distributed_trims_the_most_used(SchedulingStrategy scheduling, string victim)
    {
        // Node a holds 3 servers, b 2, c 1; all Ready and of the active revision.
        FleetPod[] pods =
        [
            Pod.Ready("a1", "r2", "a", age: 30), Pod.Ready("a2", "r2", "a", age: 20), Pod.Ready("a3", "r2", "a", age: 10),
            Pod.Ready("b1", "r2", "b", age: 30), Pod.Ready("b2", "r2", "b", age: 20),
            Pod.Ready("c1", "r2", "c", age: 30),
        ];
        Pick(pods, 1, scheduling).Should().Equal(victim);
    }

    [Fact]
    public void Allocated_pods_count_towards_how_used_a_node_is()
    {
        FleetPod[] pods = [Pod.Allocated("x1", "r2", "x"), Pod.Allocated("x2", "r2", "x"), Pod.Ready("x3", "r2", "x"), Pod.Ready("y1", "r2", "y"), Pod.Ready("y2", "r2", "y")];
        Pick(pods, 1, SchedulingStrategy.Packed).Should().ContainSingle().Which.Should().StartWith("y");
    }

    [Fact]
    public void Nothing_is_picked_for_a_count_of_zero() =>
        Pick([Pod.Ready("a", "r2")], 0).Should().BeEmpty();
}
