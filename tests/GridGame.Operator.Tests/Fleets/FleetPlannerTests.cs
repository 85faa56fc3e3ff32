using GridGame.Crds;
using GridGame.Operator.Fleets;

namespace GridGame.Operator.Tests.Fleets;

public sealed class FleetPlannerTests
{
    private static FleetObservation Fleet(int replicas, params FleetPod[] pods) =>
        new(replicas, "r2", SchedulingStrategy.Packed, HealthSettings.Default, pods, Pod.T0);

    private static IEnumerable<string> Deleted(FleetPlan plan) => plan.Deletes.Select(d => d.Pod.Name);

    [Fact]
    public void An_empty_fleet_creates_its_replicas() =>
        FleetPlanner.Plan(Fleet(3)).Create.Should().Be(3);

    [Fact]
    public void Starting_pods_count_so_a_reconcile_does_not_create_twice() =>
        FleetPlanner.Plan(Fleet(3, Pod.Starting("a", "r2"), Pod.Starting("b", "r2"))).Create.Should().Be(1);

    [Fact]
    public void Scale_down_never_deletes_an_allocated_server()
    {
        var plan = FleetPlanner.Plan(Fleet(0, Pod.Allocated("a", "r2"), Pod.Allocated("b", "r2"), Pod.Ready("c", "r2")));
        Deleted(plan).Should().Equal("c");
        plan.Create.Should().Be(0);
    }

    [Fact]
    public void Allocated_servers_count_towards_the_replicas()
    {
        var plan = FleetPlanner.Plan(Fleet(2, Pod.Allocated("a", "r2"), Pod.Ready("b", "r2"), Pod.Ready("c", "r2")));
        plan.Deletes.Should().ContainSingle();
        plan.Create.Should().Be(0);
    }

    [Fact]
    public void Unhealthy_pods_are_deleted_and_replaced()
    {
        var plan = FleetPlanner.Plan(Fleet(2, Pod.Ready("a", "r2") with { Failed = true }, Pod.Ready("b", "r2")));
        plan.Deletes.Should().ContainSingle().Which.Reason.Should().Be(DeletionReason.Unhealthy);
        plan.Create.Should().Be(1);
        plan.Counts.Unhealthy.Should().Be(1);
    }

    [Fact]
    public void An_unhealthy_allocated_server_is_deleted_too()
    {
        var plan = FleetPlanner.Plan(Fleet(1, Pod.Allocated("a", "r2") with { Restarts = 9 }));
        Deleted(plan).Should().Equal("a");
    }

    [Fact]
    public void No_pods_are_created_while_the_revision_is_backing_off() =>
        FleetPlanner.Plan(Fleet(3) with { CreatesAllowed = false }).Create.Should().Be(0);

    [Fact]
    public void Pods_that_turned_Ready_are_labelled_Ready() =>
        FleetPlanner.Plan(Fleet(1, Pod.Starting("a", "r2") with { IsReady = true })).MarkReady.Select(p => p.Name).Should().Equal("a");

    [Fact]
    public void Terminating_pods_are_ignored()
    {
        var plan = FleetPlanner.Plan(Fleet(1, Pod.Ready("a", "r2") with { Terminating = true }));
        plan.Create.Should().Be(1);
        plan.Deletes.Should().BeEmpty();
    }

    [Fact]
    public void During_a_rollout_blue_stays_at_the_desired_count_while_green_is_created_next_to_it()
    {
        // Blue-green: the old "keep old Ready servers until the new ones are Ready" is now the rollout itself.
        var plan = FleetPlanner.Plan(Fleet(2, Pod.Ready("blue1", "r1"), Pod.Ready("blue2", "r1")) with { Revision = "r1", Green = "r2" });
        plan.Creates.Should().Equal(new Dictionary<string, int> { ["r2"] = 2 });
        plan.Deletes.Should().BeEmpty();

        plan = FleetPlanner.Plan(Fleet(2, Pod.Ready("blue1", "r1"), Pod.Ready("green1", "r2"), Pod.Starting("green2", "r2")) with { Revision = "r1", Green = "r2" });
        plan.Creates.Should().Equal(new Dictionary<string, int> { ["r1"] = 1 }, "a blue server lost during the rollout is replaced by a blue one");
        plan.Deletes.Should().BeEmpty();
    }

    [Fact]
    public void After_promotion_the_old_revision_s_free_servers_go_at_once()
    {
        var plan = FleetPlanner.Plan(Fleet(2, Pod.Ready("old1", "r1"), Pod.Ready("old2", "r1"), Pod.Ready("new1", "r2"), Pod.Starting("new2", "r2")));
        plan.Create.Should().Be(0);
        Deleted(plan).Should().BeEquivalentTo("old1", "old2");
        plan.Deletes.Should().OnlyContain(d => d.Reason == DeletionReason.OldRevision);
    }

    [Fact]
    public void A_failed_or_superseded_green_is_removed_and_blue_kept()
    {
        var plan = FleetPlanner.Plan(Fleet(1, Pod.Ready("blue", "r1"), Pod.Ready("green", "r3"), Pod.Starting("older-green", "r4")) with { Revision = "r1" });
        Deleted(plan).Should().BeEquivalentTo("green", "older-green");
        plan.Create.Should().Be(0);
    }

    [Fact]
    public void A_green_in_crash_loop_back_off_gets_no_new_servers_but_blue_is_still_replaced()
    {
        var plan = FleetPlanner.Plan(Fleet(2, Pod.Ready("blue", "r1")) with { Revision = "r1", Green = "r2", GreenCreatesAllowed = false });
        plan.Creates.Should().Equal(new Dictionary<string, int> { ["r1"] = 1 });
    }

    [Fact]
    public void Scaling_down_during_a_rollout_trims_blue_and_green_but_never_an_allocated_server()
    {
        var plan = FleetPlanner.Plan(Fleet(1, Pod.Allocated("blue1", "r1"), Pod.Ready("blue2", "r1"), Pod.Ready("green1", "r2"), Pod.Ready("green2", "r2", age: 5))
            with { Revision = "r1", Green = "r2" });
        Deleted(plan).Should().BeEquivalentTo("blue2", "green1");
        plan.MarkDraining.Should().BeEmpty("blue is still active");
    }

    [Fact]
    public void A_new_revision_deletes_old_pods_that_are_not_Ready_at_once() =>
        Deleted(FleetPlanner.Plan(Fleet(1, Pod.Starting("old", "r1")))).Should().Equal("old");

    [Fact]
    public void A_new_revision_drains_old_allocated_servers_and_replaces_them()
    {
        var plan = FleetPlanner.Plan(Fleet(2, Pod.Allocated("old", "r1"), Pod.Ready("new", "r2")));
        plan.MarkDraining.Select(p => p.Name).Should().Equal("old");
        plan.Deletes.Should().BeEmpty();
        plan.Create.Should().Be(1);
    }

    [Fact]
    public void Draining_servers_stay_until_their_session_ends()
    {
        var plan = FleetPlanner.Plan(Fleet(0, Pod.Draining("d", "r1")));
        plan.Deletes.Should().BeEmpty();
        plan.Counts.Draining.Should().Be(1);
    }

    [Fact]
    public void Status_counts_every_state()
    {
        var counts = FleetPlanner.Plan(Fleet(4, Pod.Ready("a", "r2"), Pod.Allocated("b", "r2"), Pod.Draining("c", "r1"), Pod.Starting("d", "r2"))).Counts;
        counts.Should().Be(new FleetCounts(Replicas: 4, Ready: 1, Allocated: 1, Draining: 1, Unhealthy: 0));
    }

    [Fact]
    public void Deleting_with_Drain_removes_free_servers_and_keeps_the_fleet_for_allocated_ones()
    {
        var deletion = new FleetDeletionState(Drain: true, Pod.T0, TimeSpan.FromHours(1));
        var plan = FleetPlanner.Plan(Fleet(3, Pod.Ready("r", "r2"), Pod.Starting("s", "r2"), Pod.Allocated("a", "r2")) with { Deletion = deletion });
        Deleted(plan).Should().BeEquivalentTo("r", "s");
        plan.MarkDraining.Select(p => p.Name).Should().Equal("a");
        plan.ReleaseFinalizer.Should().BeFalse();
        plan.Create.Should().Be(0);
        plan.RecheckAt.Should().Be(Pod.T0.AddHours(1));
    }

    [Fact]
    public void Deleting_with_Drain_releases_the_fleet_when_no_server_is_in_use()
    {
        var deletion = new FleetDeletionState(Drain: true, Pod.T0, TimeSpan.FromHours(1));
        FleetPlanner.Plan(Fleet(3, Pod.Ready("r", "r2")) with { Deletion = deletion }).ReleaseFinalizer.Should().BeTrue();
    }

    [Fact]
    public void Deleting_with_Drain_releases_the_fleet_after_the_drain_timeout()
    {
        var deletion = new FleetDeletionState(Drain: true, Pod.T0.AddHours(-1), TimeSpan.FromHours(1));
        FleetPlanner.Plan(Fleet(3, Pod.Draining("d", "r2")) with { Deletion = deletion }).ReleaseFinalizer.Should().BeTrue();
    }

    [Fact]
    public void Deleting_with_Immediate_releases_at_once_and_leaves_the_pods_to_garbage_collection()
    {
        var plan = FleetPlanner.Plan(Fleet(3, Pod.Allocated("a", "r2")) with { Deletion = new FleetDeletionState(false, Pod.T0, TimeSpan.Zero) });
        plan.ReleaseFinalizer.Should().BeTrue();
        plan.Deletes.Should().BeEmpty();
    }
}
