using GridGame.Crds;

namespace GridGame.Operator.Fleets;

/// <summary>A fleet being deleted: `deletion.policy` Drain keeps it until its in-use servers are done or the timeout passes.</summary>
internal sealed record FleetDeletionState(bool Drain, DateTimeOffset RequestedAt, TimeSpan DrainTimeout);

/// <summary>Everything the fleet decision looks at, observed from the cache (no API types).</summary>
/// <param name="Replicas">`spec.replicas`: servers (Ready + Allocated) wanted of the active revision.</param>
/// <param name="Revision">The revision new pods get and allocations go to.</param>
/// <param name="CreatesAllowed">False while the revision is in crash-loop back-off.</param>
internal sealed record FleetObservation(
    int Replicas,
    string Revision,
    SchedulingStrategy Scheduling,
    HealthSettings Health,
    IReadOnlyList<FleetPod> Pods,
    DateTimeOffset Now,
    bool CreatesAllowed = true,
    FleetDeletionState? Deletion = null);

/// <summary>Why a pod is deleted; shows up in Events and logs.</summary>
internal enum DeletionReason
{
    Unhealthy,
    OldRevision,
    Surplus,
    FleetDeleted,
}

/// <param name="Detail">Human-readable detail, e.g. the health verdict.</param>
internal sealed record PodDeletion(FleetPod Pod, DeletionReason Reason, string Detail = "");

/// <summary>The counts that land in the fleet's status.</summary>
internal sealed record FleetCounts(int Replicas, int Ready, int Allocated, int Draining, int Unhealthy);

/// <summary>What the fleet controller does next: the `computeReconciliationAction` of this controller.</summary>
/// <param name="Create">How many pods of the active revision to create.</param>
/// <param name="MarkReady">Starting pods that turned Ready: label them `gridgame.io/state=Ready`.</param>
/// <param name="MarkDraining">Allocated pods of an old revision or a deleted fleet: label them Draining.</param>
/// <param name="ReleaseFinalizer">The fleet is deleted and may go now (drain done or timed out).</param>
/// <param name="RecheckAt">When a time-based decision (health, drain timeout) should be looked at again.</param>
internal sealed record FleetPlan(
    int Create,
    IReadOnlyList<PodDeletion> Deletes,
    IReadOnlyList<FleetPod> MarkReady,
    IReadOnlyList<FleetPod> MarkDraining,
    FleetCounts Counts,
    bool ReleaseFinalizer,
    DateTimeOffset? RecheckAt)
{
    public bool IsIdle => Create == 0 && Deletes.Count == 0 && MarkReady.Count == 0 && MarkDraining.Count == 0 && !ReleaseFinalizer;
}

/// <summary>
/// The pure reconcile decision of the fleet controller (DESIGN §4). Revision-aware without blue-green: pods of the
/// active revision are created up to `replicas`; old Ready pods are kept only while they stand in for active pods
/// that are not Ready yet, old not-Ready pods go at once, old Allocated pods are marked Draining.
/// An Allocated pod is never deleted here unless it is Unhealthy.
/// </summary>
internal static class FleetPlanner
{
    public static FleetPlan Plan(FleetObservation fleet)
    {
        var deletes = new List<PodDeletion>();
        var healthy = new List<FleetPod>();
        DateTimeOffset? recheck = null;
        var live = fleet.Pods.Where(p => !p.Terminating).ToList();
        foreach (var pod in live)
        {
            var verdict = PodHealth.Judge(pod, fleet.Health, fleet.Now);
            if (verdict.Unhealthy)
            {
                deletes.Add(new(pod, DeletionReason.Unhealthy, verdict.Reason));
            }
            else
            {
                healthy.Add(pod);
                recheck = Earliest(recheck, verdict.RecheckAt);
            }
        }

        var counts = new FleetCounts(
            Replicas: live.Count,
            Ready: live.Count(p => p.State == ServerState.Ready && p.IsReady),
            Allocated: live.Count(p => p.State == ServerState.Allocated),
            Draining: live.Count(p => p.State == ServerState.Draining),
            Unhealthy: deletes.Count);

        if (fleet.Deletion is { } deletion)
        {
            return PlanDeletion(fleet, deletion, healthy, deletes, counts);
        }

        var markDraining = healthy.Where(p => p.State == ServerState.Allocated && p.Revision != fleet.Revision).ToList();
        var active = healthy.Where(p => p.Revision == fleet.Revision && p.State != ServerState.Draining).ToList();
        var oldFree = healthy.Where(p => p.Revision != fleet.Revision && !p.IsInUse).ToList();
        var perNode = SurplusPicker.CountPerNode(live);

        foreach (var pod in oldFree.Where(p => !p.IsReady))
        {
            deletes.Add(new(pod, DeletionReason.OldRevision));
        }
        // Old Ready pods stand in for active pods that are still starting; once the active revision serves
        // `replicas` on its own they all go.
        var oldReady = oldFree.Where(p => p.IsReady).ToList();
        var activeServing = active.Count(p => p.State == ServerState.Allocated || p.IsReady);
        var oldSurplus = Math.Min(oldReady.Count, Math.Max(0, activeServing + oldReady.Count - fleet.Replicas));
        deletes.AddRange(SurplusPicker.Pick(oldReady, oldSurplus, fleet.Revision, fleet.Scheduling, perNode)
            .Select(p => new PodDeletion(p, DeletionReason.OldRevision)));

        var activeSurplus = Math.Max(0, active.Count - fleet.Replicas);
        deletes.AddRange(SurplusPicker.Pick(active, activeSurplus, fleet.Revision, fleet.Scheduling, perNode)
            .Select(p => new PodDeletion(p, DeletionReason.Surplus)));

        var create = fleet.CreatesAllowed ? Math.Max(0, fleet.Replicas - active.Count) : 0;
        var deleted = deletes.Select(d => d.Pod.Name).ToHashSet(StringComparer.Ordinal);
        var markReady = healthy.Where(p => p.State == ServerState.Starting && p.IsReady && !deleted.Contains(p.Name)).ToList();
        return new FleetPlan(create, deletes, markReady, markDraining, counts, false, recheck);
    }

    private static FleetPlan PlanDeletion(
        FleetObservation fleet, FleetDeletionState deletion, List<FleetPod> healthy, List<PodDeletion> deletes, FleetCounts counts)
    {
        if (!deletion.Drain)
        {
            // Immediate: the API server's garbage collector removes the pods through their ownerReference.
            return new FleetPlan(0, [], [], [], counts, true, null);
        }
        deletes.AddRange(healthy.Where(p => !p.IsInUse).Select(p => new PodDeletion(p, DeletionReason.FleetDeleted)));
        var inUse = healthy.Where(p => p.IsInUse).ToList();
        var deadline = deletion.RequestedAt + deletion.DrainTimeout;
        var release = inUse.Count == 0 || fleet.Now >= deadline;
        var markDraining = release ? [] : inUse.Where(p => p.State == ServerState.Allocated).ToList();
        return new FleetPlan(0, deletes, [], markDraining, counts, release, release ? null : deadline);
    }

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : (a < b ? a : b);
}
