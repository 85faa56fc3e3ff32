using GridGame.Crds;
using GridGame.Operator.Fleets;
using GridGame.Operator.Rollout;
using GridGame.Operator.Tests.Fleets;
using Microsoft.Extensions.Time.Testing;

namespace GridGame.Operator.Tests.Rollout;

/// <summary>The blue-green state machine, step by step on a fake clock: each step feeds the last decision back as the status.</summary>
public sealed class RolloutPlannerTests
{
    private static readonly BlueGreenSettings Auto = new(AutoPromote: true, ReadyPercent: 100, ProgressDeadline: TimeSpan.FromMinutes(10));
    private static readonly BlueGreenSettings Manual = Auto with { AutoPromote = false };

    private readonly FakeTimeProvider _clock = new(Pod.T0);

    private RolloutObservation Fleet(string spec, RolloutState previous, params FleetPod[] pods) =>
        new(spec, previous, Auto, PromoteAnnotation: null, Replicas: 2, pods, MaxRestarts: 3, _clock.GetUtcNow());

    /// <summary>What the controller writes to status after a decision, and so what the next step reads.</summary>
    private static RolloutState Recorded(RolloutDecision d) => new(
        d.Active, d.Target, d.Phase, d.StartedAt, d.Message,
        d.Conditions.FirstOrDefault(c => c.Type == WellKnown.FleetConditions.RolloutFailed && c.Status)?.Reason);

    private static readonly RolloutState Steady = new("blue", "blue", RolloutPhase.Idle, null);

    private static string Condition(RolloutDecision d, string type) =>
        d.Conditions.Single(c => c.Type == type) is var c ? $"{c.Status}/{c.Reason}" : "";

    [Fact]
    public void A_new_fleet_is_active_at_its_own_revision_with_no_rollout()
    {
        var d = RolloutPlanner.Plan(Fleet("blue", RolloutState.None));
        d.Should().BeEquivalentTo(new { Active = "blue", Target = "blue", Green = (string?)null, Phase = RolloutPhase.Idle });
        d.Events.Should().BeEmpty();
        Condition(d, "Progressing").Should().Be("False/NoRollout");
        Condition(d, "RolloutFailed").Should().Be("False/NoFailure");
    }

    [Fact]
    public void A_revision_change_starts_a_rollout_that_keeps_blue_active_and_brings_up_green()
    {
        var d = RolloutPlanner.Plan(Fleet("green", Steady, Pod.Ready("b1", "blue"), Pod.Ready("b2", "blue")));
        d.Should().BeEquivalentTo(new { Active = "blue", Target = "green", Green = "green", Phase = RolloutPhase.Progressing, StartedAt = (DateTimeOffset?)Pod.T0 });
        d.Events.Select(e => e.Reason).Should().Equal("RolloutStarted");
        d.RecheckAt.Should().Be(Pod.T0.AddMinutes(10), "the progress deadline");
        Condition(d, "Progressing").Should().Be("True/RolloutStarted");

        _clock.Advance(TimeSpan.FromSeconds(5));
        var again = RolloutPlanner.Plan(Fleet("green", Recorded(d), Pod.Ready("b1", "blue"), Pod.Ready("g1", "green"), Pod.Starting("g2", "green")));
        again.Phase.Should().Be(RolloutPhase.Progressing);
        again.StartedAt.Should().Be(Pod.T0, "the rollout keeps its start");
        again.Events.Should().BeEmpty("nothing changed phase");
        again.Message.Should().Contain("1 of 2 green servers Ready");
    }

    [Theory]
    [InlineData(100, 4, 3, RolloutPhase.Progressing)]
    [InlineData(100, 4, 4, RolloutPhase.Complete)]
    [InlineData(75, 4, 3, RolloutPhase.Complete)]
    [InlineData(50, 3, 1, RolloutPhase.Progressing)]
    [InlineData(50, 3, 2, RolloutPhase.Complete)]
    [InlineData(1, 10, 1, RolloutPhase.Complete)]
    [InlineData(100, 0, 0, RolloutPhase.Complete)]
    public void Green_is_promoted_once_readyPercent_of_the_desired_count_is_Ready(int readyPercent, int replicas, int greenReady, RolloutPhase phase)
    {
        var pods = Enumerable.Range(0, greenReady).Select(i => Pod.Ready($"g{i}", "green"))
            .Append(Pod.Starting("slow", "green"))
            .Append(Pod.Ready("b", "blue"));
        var d = RolloutPlanner.Plan(Fleet("green", Steady, [.. pods]) with { Replicas = replicas, Strategy = Auto with { ReadyPercent = readyPercent } });
        d.Phase.Should().Be(phase);
    }

    [Fact]
    public void Promotion_makes_green_active_and_blue_drains_until_its_games_end()
    {
        var started = RolloutPlanner.Plan(Fleet("green", Steady, Pod.Allocated("b1", "blue"), Pod.Ready("b2", "blue")));
        _clock.Advance(TimeSpan.FromSeconds(30));

        var promoted = RolloutPlanner.Plan(Fleet("green", Recorded(started), Pod.Allocated("b1", "blue"), Pod.Ready("b2", "blue"), Pod.Ready("g1", "green"), Pod.Ready("g2", "green")));
        promoted.Should().BeEquivalentTo(new { Active = "green", Target = "green", Green = (string?)null, Phase = RolloutPhase.Draining, Promoted = true });
        promoted.Events.Select(e => e.Reason).Should().Equal("Promoted");
        Condition(promoted, "Progressing").Should().Be("True/Promoted");

        _clock.Advance(TimeSpan.FromMinutes(3));
        var draining = RolloutPlanner.Plan(Fleet("green", Recorded(promoted), Pod.Draining("b1", "blue"), Pod.Ready("g1", "green"), Pod.Ready("g2", "green")));
        draining.Phase.Should().Be(RolloutPhase.Draining);
        draining.Events.Should().BeEmpty();
        draining.Promoted.Should().BeFalse();

        var complete = RolloutPlanner.Plan(Fleet("green", Recorded(draining), Pod.Ready("g1", "green"), Pod.Ready("g2", "green")));
        complete.Phase.Should().Be(RolloutPhase.Complete);
        complete.Events.Select(e => e.Reason).Should().Equal("RolloutComplete");
        Condition(complete, "Progressing").Should().Be("False/RolloutComplete");

        RolloutPlanner.Plan(Fleet("green", Recorded(complete), Pod.Ready("g1", "green"))).Should()
            .BeEquivalentTo(new { Phase = RolloutPhase.Complete, Events = Array.Empty<RolloutEvent>() });
    }

    [Fact]
    public void Without_autoPromote_green_waits_for_the_promote_annotation_naming_its_revision()
    {
        RolloutObservation Manually(RolloutState previous, string? annotation) =>
            Fleet("green", previous, Pod.Ready("b1", "blue"), Pod.Ready("g1", "green"), Pod.Ready("g2", "green")) with { Strategy = Manual, PromoteAnnotation = annotation };

        var waiting = RolloutPlanner.Plan(Manually(Steady, null));
        waiting.Should().BeEquivalentTo(new { Active = "blue", Green = "green", Phase = RolloutPhase.AwaitingPromotion, RecheckAt = (DateTimeOffset?)null });
        waiting.Events.Select(e => e.Reason).Should().Equal("RolloutStarted", "AwaitingPromotion");
        waiting.Message.Should().Contain("gridgame.io/promote=green");

        _clock.Advance(TimeSpan.FromHours(2));
        var still = RolloutPlanner.Plan(Manually(Recorded(waiting), "blue"));
        still.Phase.Should().Be(RolloutPhase.AwaitingPromotion, "the deadline is for readiness, not for the human; an annotation naming another revision does nothing");
        still.Events.Should().BeEmpty();

        var promoted = RolloutPlanner.Plan(Manually(Recorded(still), "green"));
        promoted.Should().BeEquivalentTo(new { Active = "green", Phase = RolloutPhase.Complete, Promoted = true });
        promoted.Events.Select(e => e.Reason).Should().Equal("Promoted", "RolloutComplete");
    }

    [Fact]
    public void Green_not_Ready_by_the_progress_deadline_fails_the_rollout_and_blue_stays_active()
    {
        var started = RolloutPlanner.Plan(Fleet("green", Steady, Pod.Ready("b1", "blue")));
        _clock.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1));
        var before = RolloutPlanner.Plan(Fleet("green", Recorded(started), Pod.Ready("b1", "blue"), Pod.Ready("g1", "green"), Pod.Starting("g2", "green")));
        before.Phase.Should().Be(RolloutPhase.Progressing);

        _clock.Advance(TimeSpan.FromSeconds(1));
        var failed = RolloutPlanner.Plan(Fleet("green", Recorded(before), Pod.Ready("b1", "blue"), Pod.Ready("g1", "green"), Pod.Starting("g2", "green")));
        failed.Should().BeEquivalentTo(new { Active = "blue", Target = "green", Green = (string?)null, Phase = RolloutPhase.Failed });
        failed.Events.Should().ContainSingle().Which.Should().BeEquivalentTo(new { Warning = true, Reason = "RolloutFailed" });
        failed.Message.Should().Contain("(ProgressDeadlineExceeded)").And.Contain("1 of 2 green servers Ready").And.Contain("600s").And.Contain("blue stays active");
        Condition(failed, "RolloutFailed").Should().Be("True/ProgressDeadlineExceeded");
        Condition(failed, "Progressing").Should().Be("False/ProgressDeadlineExceeded");
    }

    [Fact]
    public void A_failed_rollout_stays_failed_without_retrying_while_the_spec_is_unchanged()
    {
        var started = RolloutPlanner.Plan(Fleet("green", Steady));
        _clock.Advance(TimeSpan.FromMinutes(11));
        var failed = RolloutPlanner.Plan(Fleet("green", Recorded(started), Pod.Ready("b1", "blue")));

        _clock.Advance(TimeSpan.FromHours(1));
        var later = RolloutPlanner.Plan(Fleet("green", Recorded(failed), Pod.Ready("b1", "blue"), Pod.Ready("g1", "green"), Pod.Ready("g2", "green")));
        later.Should().BeEquivalentTo(new { Active = "blue", Target = "green", Green = (string?)null, Phase = RolloutPhase.Failed, StartedAt = (DateTimeOffset?)Pod.T0 });
        later.Events.Should().BeEmpty();
        Condition(later, "RolloutFailed").Should().Be("True/ProgressDeadlineExceeded");
    }

    [Theory]
    [InlineData(4, false, "restarted 4 times")]
    [InlineData(3, true, "keep failing")]
    public void Green_crash_looping_past_maxRestarts_fails_the_rollout(int restarts, bool backoffSaysCrashLooping, string because)
    {
        var d = RolloutPlanner.Plan(Fleet("green", Steady, Pod.Ready("b1", "blue"), Pod.Starting("g1", "green") with { Restarts = restarts })
            with { GreenCrashLooping = backoffSaysCrashLooping });
        d.Phase.Should().Be(RolloutPhase.Failed);
        d.Active.Should().Be("blue");
        d.Message.Should().Contain(because);
        Condition(d, "RolloutFailed").Should().Be("True/CrashLooping");
    }

    [Fact]
    public void Restarts_up_to_maxRestarts_do_not_fail_the_rollout() =>
        RolloutPlanner.Plan(Fleet("green", Steady, Pod.Starting("g1", "green") with { Restarts = 3 })).Phase.Should().Be(RolloutPhase.Progressing);

    [Fact]
    public void A_spec_change_back_to_the_active_revision_ends_the_rollout()
    {
        var started = RolloutPlanner.Plan(Fleet("green", Steady, Pod.Ready("b1", "blue"), Pod.Starting("g1", "green")));
        var back = RolloutPlanner.Plan(Fleet("blue", Recorded(started), Pod.Ready("b1", "blue"), Pod.Starting("g1", "green")));
        back.Should().BeEquivalentTo(new { Active = "blue", Target = "blue", Green = (string?)null, Phase = RolloutPhase.Idle });
        back.Events.Select(e => e.Reason).Should().Equal("RolloutAbandoned");
        Condition(back, "Progressing").Should().Be("False/RolloutAbandoned");
    }

    [Fact]
    public void A_spec_change_back_to_the_active_revision_after_a_failure_clears_the_failure()
    {
        var started = RolloutPlanner.Plan(Fleet("green", Steady));
        _clock.Advance(TimeSpan.FromMinutes(11));
        var failed = RolloutPlanner.Plan(Fleet("green", Recorded(started)));
        var back = RolloutPlanner.Plan(Fleet("blue", Recorded(failed), Pod.Ready("b1", "blue")));
        back.Phase.Should().Be(RolloutPhase.Idle);
        back.Events.Should().BeEmpty();
        Condition(back, "RolloutFailed").Should().Be("False/NoFailure");
    }

    [Fact]
    public void A_third_revision_mid_rollout_starts_a_new_rollout_towards_it()
    {
        var first = RolloutPlanner.Plan(Fleet("green", Steady, Pod.Ready("b1", "blue")));
        _clock.Advance(TimeSpan.FromMinutes(5));
        var second = RolloutPlanner.Plan(Fleet("teal", Recorded(first), Pod.Ready("b1", "blue"), Pod.Ready("g1", "green"), Pod.Ready("g2", "green")));
        second.Should().BeEquivalentTo(new { Active = "blue", Target = "teal", Green = "teal", Phase = RolloutPhase.Progressing, StartedAt = (DateTimeOffset?)Pod.T0.AddMinutes(5) });
        second.Events.Select(e => e.Reason).Should().Equal("RolloutSuperseded", "RolloutStarted");
        second.RecheckAt.Should().Be(Pod.T0.AddMinutes(15), "the new rollout has its own deadline");
    }

    [Fact]
    public void A_new_revision_after_a_failed_one_starts_a_fresh_rollout()
    {
        var started = RolloutPlanner.Plan(Fleet("green", Steady));
        _clock.Advance(TimeSpan.FromMinutes(11));
        var failed = RolloutPlanner.Plan(Fleet("green", Recorded(started)));
        var fixedSpec = RolloutPlanner.Plan(Fleet("teal", Recorded(failed), Pod.Ready("b1", "blue")));
        fixedSpec.Should().BeEquivalentTo(new { Active = "blue", Target = "teal", Green = "teal", Phase = RolloutPhase.Progressing });
        fixedSpec.Events.Select(e => e.Reason).Should().Equal("RolloutStarted");
        Condition(fixedSpec, "RolloutFailed").Should().Be("False/NoFailure");
    }

    [Fact]
    public void Scaling_during_a_rollout_moves_what_green_needs()
    {
        var started = RolloutPlanner.Plan(Fleet("green", Steady, Pod.Ready("g1", "green")) with { Replicas = 3 });
        started.Phase.Should().Be(RolloutPhase.Progressing);
        RolloutPlanner.Plan(Fleet("green", Recorded(started), Pod.Ready("g1", "green")) with { Replicas = 1 }).Phase.Should().Be(RolloutPhase.Complete);
    }

    [Fact]
    public void Terminating_and_failed_green_servers_do_not_count_as_Ready() =>
        RolloutPlanner.Plan(Fleet("green", Steady, Pod.Ready("g1", "green") with { Terminating = true }, Pod.Ready("g2", "green") with { Failed = true }, Pod.Ready("g3", "green")))
            .Message.Should().Contain("1 of 2 green servers Ready");

    [Fact]
    public void A_rollout_under_way_survives_an_operator_restart_because_its_state_is_the_status()
    {
        var started = RolloutPlanner.Plan(Fleet("green", Steady));
        _clock.Advance(TimeSpan.FromMinutes(9));
        var resumed = RolloutPlanner.Plan(Fleet("green", Recorded(started) with { Message = null }));
        resumed.RecheckAt.Should().Be(Pod.T0.AddMinutes(10));
        resumed.Events.Should().BeEmpty();
    }

    [Theory]
    [InlineData(0, 100, 0)]
    [InlineData(1, 1, 1)]
    [InlineData(3, 50, 2)]
    [InlineData(10, 100, 10)]
    [InlineData(10, 33, 4)]
    public void Needed_is_readyPercent_of_the_desired_count_rounded_up(int replicas, int percent, int needed) =>
        RolloutPlanner.Needed(replicas, percent).Should().Be(needed);
}
