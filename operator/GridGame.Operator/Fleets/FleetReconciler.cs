using GridGame.Operator.Autoscaling;
using GridGame.Operator.Rollout;

namespace GridGame.Operator.Fleets;

/// <summary>
/// The whole decision of one fleet reconcile, pure: from a <see cref="FleetSnapshot"/> to the ordered actions the
/// controller performs. It composes the parts: the <see cref="BufferAutoscaler"/> sets the replicas the rest works
/// with; the <see cref="RolloutPlanner"/> picks the revisions to keep (and, when it promotes, the promotion is written
/// before any of blue's servers is deleted, because allocation follows `status.activeRevision`); the
/// <see cref="FleetPlanner"/> plans the pods of those revisions within the <see cref="CrashLoopBackoff"/>; the status
/// reports it all.
/// </summary>
internal static class FleetReconciler
{
    public static FleetDecision Plan(FleetSnapshot fleet)
    {
        if (fleet.DeletedAt is null && fleet.Invalid is { } invalid)
        {
            return new FleetDecision([new ReportInvalid(invalid)], Finished: true, null);
        }
        var spec = fleet.Spec;
        var actions = new List<FleetAction>();
        FleetDeletionState? deletion = null;
        if (fleet.DeletedAt is { } deletedAt)
        {
            if (!fleet.HasDrainFinalizer)
            {
                // Immediate (or already released): the API server's garbage collector takes the pods.
                return new FleetDecision([], Finished: true, null);
            }
            deletion = new FleetDeletionState(spec.Drain, deletedAt, spec.DrainTimeout);
        }
        else if (spec.Drain != fleet.HasDrainFinalizer)
        {
            actions.Add(new SetDrainFinalizer(spec.Drain));
        }

        // Autoscale first: the rollout and the pod plan work on the replicas the autoscaler just wrote.
        var replicas = spec.Replicas;
        AutoscalerDecision? scaling = null;
        if (deletion is null && spec.Autoscaling is { } policy)
        {
            // Allocated servers are all of the active revision (old ones are Draining), whatever the spec says now.
            var allocated = fleet.Pods.Count(p => !p.Terminating && p.State == ServerState.Allocated);
            scaling = BufferAutoscaler.Decide(policy, new AutoscalerInput(replicas, allocated, fleet.PendingSessions, fleet.Now), fleet.Memory.Autoscaler);
            actions.Add(new RememberAutoscaler(scaling.State));
            if (scaling.Replicas != replicas)
            {
                actions.Add(new Scale(replicas, scaling));
                replicas = scaling.Replicas;
            }
        }

        var crashLoops = fleet.Memory.CrashLoops;
        var active = fleet.Rollout.ActiveRevision is { Length: > 0 } recorded ? recorded : fleet.SpecRevision;
        RolloutDecision? rollout = null;
        if (deletion is null)
        {
            if (!fleet.SpecRevisionRecorded)
            {
                actions.Add(new RecordRevision(fleet.SpecRevision));
            }
            rollout = RolloutPlanner.Plan(new RolloutObservation(
                fleet.SpecRevision,
                fleet.Rollout,
                spec.BlueGreen,
                fleet.PromoteAnnotation,
                replicas,
                fleet.Pods,
                spec.Health.MaxRestarts,
                fleet.Now,
                GreenCrashLooping: fleet.SpecRevision != active && CrashLoopBackoff.IsCrashLooping(crashLoops.GetValueOrDefault(fleet.SpecRevision), fleet.SpecRevision)));
            active = rollout.Active;
            if (rollout.Promoted)
            {
                // Allocation follows status.activeRevision: switch it before blue's free servers are deleted.
                actions.Add(new WriteRollout(rollout));
            }
            actions.AddRange(rollout.Events.Select(e => new RecordRolloutEvent(e)));
        }

        var green = rollout?.Green;
        var plan = FleetPlanner.Plan(new FleetObservation(
            replicas,
            active,
            spec.Scheduling,
            spec.Health,
            fleet.Pods,
            fleet.Now,
            CreatesAllowed: fleet.Now >= CrashLoopBackoff.NextCreateAt(crashLoops.GetValueOrDefault(active), active),
            Deletion: deletion,
            Green: green,
            GreenCreatesAllowed: green is null || fleet.Now >= CrashLoopBackoff.NextCreateAt(crashLoops.GetValueOrDefault(green), green)));

        var kept = new[] { active, green }.OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        crashLoops = CountFailures(crashLoops, kept, plan.Deletes, fleet.Now);
        actions.Add(new RememberCrashLoops(crashLoops));

        if (plan.Deletes.Count > 0)
        {
            actions.Add(new DeletePods(plan.Deletes));
        }
        if (plan.MarkDraining.Count > 0)
        {
            actions.Add(new MarkDraining(plan.MarkDraining));
        }
        if (plan.MarkReady.Count > 0)
        {
            actions.Add(new MarkReady(plan.MarkReady));
        }
        foreach (var (revision, count) in plan.Creates)
        {
            // Blue, while the spec describes green, is made from its ControllerRevision.
            var buildable = revision == fleet.SpecRevision || fleet.RecordedRevisions?.Contains(revision) == true;
            actions.Add(buildable ? new CreatePods(revision, count) : new ReportMissingRevision(revision));
        }

        if (plan.ReleaseFinalizer)
        {
            actions.Add(new ReleaseFleet());
            return new FleetDecision(actions, Finished: true, null);
        }

        var crashLooping = CrashLoopBackoff.IsCrashLooping(crashLoops.GetValueOrDefault(active), active);
        actions.Add(new WriteStatus(active, rollout, replicas, plan.Counts, scaling, crashLooping));
        if (rollout is not null)
        {
            actions.Add(new PruneRevisions(new HashSet<string>(StringComparer.Ordinal) { rollout.Active, rollout.Target }));
        }

        var recheck = Earliest(Earliest(plan.RecheckAt, scaling?.RecheckAt), rollout?.RecheckAt);
        if (deletion is null)
        {
            foreach (var revision in kept)
            {
                var blockedUntil = CrashLoopBackoff.NextCreateAt(crashLoops.GetValueOrDefault(revision), revision);
                if (blockedUntil > fleet.Now)
                {
                    // Creations are held back: look again when the back-off ends.
                    recheck = Earliest(recheck, blockedUntil);
                }
            }
        }
        return new FleetDecision(actions, Finished: false, recheck);
    }

    /// <summary>
    /// A pass that replaces Unhealthy pods of a kept revision counts one failure for it. Only kept revisions carry
    /// over: one no longer kept (failed, superseded, replaced) needs no back-off.
    /// </summary>
    private static Dictionary<string, CrashLoopState> CountFailures(
        IReadOnlyDictionary<string, CrashLoopState> before, IReadOnlyList<string> kept, IReadOnlyList<PodDeletion> deletes, DateTimeOffset now)
    {
        var after = new Dictionary<string, CrashLoopState>(StringComparer.Ordinal);
        foreach (var revision in kept)
        {
            var failures = deletes.Count(d => d.Reason == DeletionReason.Unhealthy && d.Pod.Revision == revision);
            if (CrashLoopBackoff.Record(before.GetValueOrDefault(revision), revision, failures, now) is { } updated)
            {
                after[revision] = updated;
            }
        }
        return after;
    }

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : (a < b ? a : b);
}
