using GridGame.Crds;
using GridGame.Operator.Autoscaling;
using GridGame.Operator.Fleets;
using GridGame.Operator.Rollout;

namespace GridGame.Operator.Tests.Fleets;

/// <summary>
/// The whole fleet decision: one snapshot in, the writes in order out. Each row is one behaviour, written as the
/// writes a reconcile makes (memory updates left out; they have tests of their own below).
/// </summary>
public sealed class FleetReconcilerTests
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromHours(1);
    private static readonly BlueGreenSettings AutoPromote = new(AutoPromote: true, ReadyPercent: 100, ProgressDeadline: TimeSpan.FromMinutes(10));

    /// <summary>Revision r1 active since an hour ago, rollout complete.</summary>
    private static readonly RolloutState Settled = new("r1", "r1", RolloutPhase.Complete, Pod.T0.AddHours(-1), "revision r1 is active; rollout complete");

    /// <summary>A rollout from r1 to r2 under way since a minute ago.</summary>
    private static readonly RolloutState RollingToR2 = new("r1", "r2", RolloutPhase.Progressing, Pod.T0.AddMinutes(-1));

    /// <summary>A Drain fleet of 2 replicas at revision r1 that the controller has seen before.</summary>
    private static FleetSnapshot Fleet(params FleetPod[] pods) => new(
        new FleetSettings(2, SchedulingStrategy.Packed, HealthSettings.Default, AutoPromote, Autoscaling: null, Drain: true, DrainTimeout),
        "r1",
        Settled,
        pods,
        Pod.T0,
        FleetMemory.Empty);

    private static FleetSnapshot Autoscaled(FleetSnapshot fleet, int pending) =>
        fleet with { Spec = fleet.Spec with { Autoscaling = new BufferPolicy(MinReplicas: 0, MaxReplicas: 10, BufferSize: 2) }, PendingSessions = pending };

    private static FleetSnapshot Deleted(FleetSnapshot fleet) => fleet with { DeletedAt = Pod.T0.AddSeconds(-10) };

    private static FleetSnapshot SpecAtR2(FleetSnapshot fleet, RolloutState rollout) => fleet with { SpecRevision = "r2", Rollout = rollout };

    private static readonly Dictionary<string, (FleetSnapshot Fleet, string[] Writes)> Cases = new()
    {
        ["an invalid spec only reports what is wrong"] =
            (Fleet() with { Invalid = "spec.replicas: must be at least 0" }, ["invalid: spec.replicas: must be at least 0"]),
        ["a deleted fleet is drained even if its spec is invalid"] =
            (Deleted(Fleet(Pod.Ready("a"))) with { Invalid = "spec.replicas: must be at least 0" }, ["delete a (FleetDeleted)", "release"]),
        ["a deleted fleet without the drain finalizer is left to the garbage collector"] =
            (Deleted(Fleet(Pod.Ready("a"))) with { HasDrainFinalizer = false }, []),
        ["a Drain fleet gets the drain finalizer first"] =
            (Fleet(Pod.Ready("a"), Pod.Ready("b")) with { HasDrainFinalizer = false }, ["add finalizer", "status r1 2", "prune but r1"]),
        ["an Immediate fleet loses the drain finalizer"] =
            (Fleet(Pod.Ready("a"), Pod.Ready("b")) is var f ? f with { Spec = f.Spec with { Drain = false } } : null!, ["remove finalizer", "status r1 2", "prune but r1"]),
        ["an empty fleet is created to its replicas"] =
            (Fleet(), ["create 2 r1", "status r1 2", "prune but r1"]),
        ["a fleet at its replicas only writes its status"] =
            (Fleet(Pod.Ready("a"), Pod.Ready("b")), ["status r1 2", "prune but r1"]),
        ["pods that turned Ready are labelled Ready"] =
            (Fleet(Pod.Starting("a") with { IsReady = true }, Pod.Ready("b")), ["ready a", "status r1 2", "prune but r1"]),
        ["an unhealthy server is deleted and replaced"] =
            (Fleet(Pod.Ready("a") with { Failed = true }, Pod.Ready("b")), ["delete a (Unhealthy)", "create 1 r1", "status r1 2", "prune but r1"]),
        ["the autoscaler's replicas are written first and the pods planned on them"] =
            (Autoscaled(Fleet(Pod.Allocated("a"), Pod.Allocated("b")), pending: 1), ["scale 2→5", "create 3 r1", "status r1 5", "prune but r1"]),
        ["the spec's revision is recorded before anything is made of it"] =
            (Fleet() with { SpecRevisionRecorded = false }, ["record r1", "create 2 r1", "status r1 2", "prune but r1"]),
        ["a new spec revision starts a rollout: green is made next to blue"] =
            (SpecAtR2(Fleet(Pod.Ready("blue1"), Pod.Ready("blue2")), Settled), ["event RolloutStarted", "create 2 r2", "status r1 2", "prune but r1,r2"]),
        ["promotion is written before blue's free servers are deleted"] =
            (SpecAtR2(Fleet(Pod.Ready("blue1"), Pod.Ready("blue2"), Pod.Ready("green1", "r2"), Pod.Ready("green2", "r2")), RollingToR2),
                ["promote r2", "event Promoted", "event RolloutComplete", "delete blue1 (OldRevision), blue2 (OldRevision)", "status r2 2", "prune but r2"]),
        ["after promotion blue's Allocated servers drain"] =
            (SpecAtR2(Fleet(Pod.Allocated("blue1"), Pod.Ready("blue2"), Pod.Ready("green1", "r2"), Pod.Ready("green2", "r2")), RollingToR2),
                ["promote r2", "event Promoted", "delete blue2 (OldRevision)", "drain blue1", "status r2 2", "prune but r2"]),
        ["a blue server lost during a rollout is made again from blue's record"] =
            (SpecAtR2(Fleet(Pod.Ready("blue1"), Pod.Starting("green1", "r2"), Pod.Starting("green2", "r2")), RollingToR2) with { RecordedRevisions = new HashSet<string> { "r1" } },
                ["create 1 r1", "status r1 2", "prune but r1,r2"]),
        ["a blue server cannot be made again without blue's record"] =
            (SpecAtR2(Fleet(Pod.Ready("blue1"), Pod.Starting("green1", "r2"), Pod.Starting("green2", "r2")), RollingToR2),
                ["missing r1", "status r1 2", "prune but r1,r2"]),
        ["a deleted Drain fleet removes free servers and drains Allocated ones"] =
            (Deleted(Fleet(Pod.Ready("a"), Pod.Allocated("b"))), ["delete a (FleetDeleted)", "drain b", "status r1 2"]),
        ["a deleted fleet with no game left is released"] =
            (Deleted(Fleet(Pod.Ready("a"))), ["delete a (FleetDeleted)", "release"]),
        ["a deleted Immediate fleet is released at once"] =
            (Deleted(Fleet(Pod.Allocated("a"))) is var d ? d with { Spec = d.Spec with { Drain = false } } : null!, ["release"]),
        ["a revision in crash-loop back-off gets no new servers and says so"] =
            (Fleet() with { Memory = FleetMemory.Empty with { CrashLoops = Loops(new CrashLoopState("r1", 3, Pod.T0.AddSeconds(-1))) } }, ["status r1 2 crash-looping", "prune but r1"]),
    };

    public static TheoryData<string> Scenarios => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void A_reconcile_writes_in_this_order(string scenario)
    {
        var (fleet, writes) = Cases[scenario];
        Writes(FleetReconciler.Plan(fleet)).Should().Equal(writes);
    }

    [Theory]
    [InlineData("an invalid spec only reports what is wrong", true)]
    [InlineData("a deleted fleet without the drain finalizer is left to the garbage collector", true)]
    [InlineData("a deleted fleet with no game left is released", true)]
    [InlineData("a deleted Drain fleet removes free servers and drains Allocated ones", false)]
    [InlineData("an empty fleet is created to its replicas", false)]
    public void A_reconcile_is_finished_only_when_nothing_is_left_to_look_at(string scenario, bool finished) =>
        FleetReconciler.Plan(Cases[scenario].Fleet).Finished.Should().Be(finished);

    [Fact]
    public void A_pass_that_replaces_unhealthy_servers_counts_one_failure_for_their_revision()
    {
        var decision = FleetReconciler.Plan(Fleet(Pod.Ready("a") with { Failed = true }, Pod.Ready("b") with { Restarts = 9 }));
        Remembered(decision).Should().Equal(Loops(new CrashLoopState("r1", 1, Pod.T0)));
    }

    [Fact]
    public void The_back_off_of_a_revision_no_longer_kept_is_forgotten()
    {
        var fleet = Fleet(Pod.Ready("a"), Pod.Ready("b")) with { Memory = FleetMemory.Empty with { CrashLoops = Loops(new CrashLoopState("r0", 5, Pod.T0)) } };
        Remembered(FleetReconciler.Plan(fleet)).Should().BeEmpty();
    }

    [Fact]
    public void The_autoscaler_s_memory_is_kept_even_when_the_replicas_stay()
    {
        var decision = FleetReconciler.Plan(Autoscaled(Fleet(Pod.Ready("a"), Pod.Ready("b")), pending: 0));
        decision.Actions.OfType<Scale>().Should().BeEmpty();
        decision.Actions.OfType<RememberAutoscaler>().Should().ContainSingle().Which.State.WatchingSince.Should().Be(Pod.T0);
    }

    [Fact]
    public void The_status_gets_the_figures_the_plan_worked_with()
    {
        var decision = FleetReconciler.Plan(Autoscaled(Fleet(Pod.Allocated("a"), Pod.Ready("b"), Pod.Draining("c", "r0")), pending: 0));
        var status = decision.Actions.OfType<WriteStatus>().Single();
        status.Counts.Should().Be(new FleetCounts(Replicas: 3, Ready: 1, Allocated: 1, Draining: 1, Unhealthy: 0));
        status.Scaling!.Replicas.Should().Be(3);
        status.Rollout!.Phase.Should().Be(RolloutPhase.Complete);
    }

    public static TheoryData<string, double> Rechecks => new()
    {
        // scenario, seconds from now
        { "a rollout under way is looked at again at its progress deadline", 9 * 60 },
        { "a deleted fleet is looked at again when its drain times out", 3600 - 10 },
        { "held-back creations are looked at again when the back-off ends", 3 },
        { "a server that lost readiness is looked at again when it turns Unhealthy", 20 },
    };

    [Theory]
    [MemberData(nameof(Rechecks))]
    public void A_time_based_decision_sets_when_to_look_again(string scenario, double seconds)
    {
        var fleet = scenario switch
        {
            "a rollout under way is looked at again at its progress deadline" => SpecAtR2(Fleet(Pod.Ready("blue1"), Pod.Ready("blue2")), RollingToR2),
            "a deleted fleet is looked at again when its drain times out" => Deleted(Fleet(Pod.Allocated("a"))),
            "held-back creations are looked at again when the back-off ends" =>
                Fleet() with { Memory = FleetMemory.Empty with { CrashLoops = Loops(new CrashLoopState("r1", 3, Pod.T0.AddSeconds(-1))) } },
            _ => Fleet(Pod.Ready("a") with { IsReady = false, NotReadySince = Pod.T0.AddSeconds(-10) }, Pod.Ready("b")),
        };
        FleetReconciler.Plan(fleet).RecheckAt.Should().Be(Pod.T0.AddSeconds(seconds));
    }

    private static Dictionary<string, CrashLoopState> Loops(CrashLoopState state) => new(StringComparer.Ordinal) { [state.Revision] = state };

    private static IReadOnlyDictionary<string, CrashLoopState> Remembered(FleetDecision decision) =>
        decision.Actions.OfType<RememberCrashLoops>().Single().CrashLoops;

    /// <summary>The writes of a decision in words; the memory updates are left out.</summary>
    private static List<string> Writes(FleetDecision decision) => decision.Actions.Select(Describe).OfType<string>().ToList();

    private static string? Describe(FleetAction action) => action switch
    {
        ReportInvalid invalid => $"invalid: {invalid.Message}",
        SetDrainFinalizer finalizer => finalizer.Present ? "add finalizer" : "remove finalizer",
        Scale scale => $"scale {scale.From}→{scale.Decision.Replicas}",
        RecordRevision record => $"record {record.Revision}",
        WriteRollout promotion => $"promote {promotion.Rollout.Active}",
        RecordRolloutEvent e => $"event {e.Event.Reason}",
        DeletePods delete => "delete " + string.Join(", ", delete.Deletes.Select(d => $"{d.Pod.Name} ({d.Reason})")),
        MarkDraining draining => "drain " + string.Join(", ", draining.Pods.Select(p => p.Name)),
        MarkReady ready => "ready " + string.Join(", ", ready.Pods.Select(p => p.Name)),
        CreatePods create => $"create {create.Count} {create.Revision}",
        ReportMissingRevision missing => $"missing {missing.Revision}",
        ReleaseFleet => "release",
        WriteStatus status => $"status {status.Active} {status.Replicas}" + (status.CrashLooping ? " crash-looping" : ""),
        PruneRevisions prune => "prune but " + string.Join(",", prune.Keep.Order(StringComparer.Ordinal)),
        _ => null,
    };
}
