using GridGame.Crds;

namespace GridGame.Operator.Fleets;

/// <summary>A fleet being deleted: `deletion.policy` Drain keeps it until its in-use servers are done or the timeout passes.</summary>
internal sealed record FleetDeletionState(bool Drain, DateTimeOffset RequestedAt, TimeSpan DrainTimeout);

/// <summary>Everything the fleet decision looks at, observed from the cache (no API types).</summary>
/// <param name="Replicas">`spec.replicas`: servers (Ready + Allocated) wanted of the active revision (and of green).</param>
/// <param name="Revision">The active revision: allocations go to it.</param>
/// <param name="CreatesAllowed">False while the active revision is in crash-loop back-off.</param>
/// <param name="Green">The revision being rolled out next to the active one (<see cref="Rollout.RolloutDecision.Green"/>), kept at `replicas` too.</param>
/// <param name="GreenCreatesAllowed">False while green is in crash-loop back-off.</param>
internal sealed record FleetObservation(
    int Replicas,
    string Revision,
    SchedulingStrategy Scheduling,
    HealthSettings Health,
    IReadOnlyList<FleetPod> Pods,
    DateTimeOffset Now,
    bool CreatesAllowed = true,
    FleetDeletionState? Deletion = null,
    string? Green = null,
    bool GreenCreatesAllowed = true);

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
/// <param name="Creates">How many pods to create, per revision (the active one, and green during a rollout).</param>
/// <param name="MarkReady">Starting pods that turned Ready: label them `gridgame.io/state=Ready`.</param>
/// <param name="MarkDraining">Allocated pods of an old revision or a deleted fleet: label them Draining.</param>
/// <param name="ReleaseFinalizer">The fleet is deleted and may go now (drain done or timed out).</param>
/// <param name="RecheckAt">When a time-based decision (health, drain timeout) should be looked at again.</param>
internal sealed record FleetPlan(
    IReadOnlyDictionary<string, int> Creates,
    IReadOnlyList<PodDeletion> Deletes,
    IReadOnlyList<FleetPod> MarkReady,
    IReadOnlyList<FleetPod> MarkDraining,
    FleetCounts Counts,
    bool ReleaseFinalizer,
    DateTimeOffset? RecheckAt)
{
    /// <summary>Pods to create, all revisions together.</summary>
    public int Create => Creates.Values.Sum();

    public bool IsIdle => Create == 0 && Deletes.Count == 0 && MarkReady.Count == 0 && MarkDraining.Count == 0 && !ReleaseFinalizer;
}

/// <summary>
/// The pure reconcile decision of the fleet controller (docs/design.md, "A server") for the revisions <see cref="RolloutPlanner"/>
/// keeps: the active one and, during a rollout, green, each kept at `replicas` (surplus in the <see cref="SurplusPicker"/>
/// order). Free pods of any other revision go at once; their Allocated pods are marked Draining.
/// An Allocated pod is never deleted here unless it is Unhealthy.
/// </summary>
internal static class FleetPlanner
{
    private static readonly IReadOnlyDictionary<string, int> NoCreates = new Dictionary<string, int>();

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

        var markDraining = healthy.Where(p => p.State == ServerState.Allocated && p.Revision != fleet.Revision && p.Revision != fleet.Green).ToList();
        var perNode = SurplusPicker.CountPerNode(live);
        var creates = new Dictionary<string, int>(StringComparer.Ordinal);
        Keep(fleet.Revision, fleet.CreatesAllowed);
        if (fleet.Green is { } green && green != fleet.Revision)
        {
            Keep(green, fleet.GreenCreatesAllowed);
        }

        void Keep(string revision, bool createsAllowed)
        {
            var members = healthy.Where(p => p.Revision == revision && p.State != ServerState.Draining).ToList();
            var surplus = Math.Max(0, members.Count - fleet.Replicas);
            deletes.AddRange(SurplusPicker.Pick(members, surplus, fleet.Revision, fleet.Scheduling, perNode)
                .Select(p => new PodDeletion(p, DeletionReason.Surplus)));
            var missing = createsAllowed ? Math.Max(0, fleet.Replicas - members.Count) : 0;
            if (missing > 0)
            {
                creates[revision] = missing;
            }
        }

        // Servers of any other revision (blue after a promotion, green after a failed or abandoned rollout) are not
        // allocatable any more: the free ones go at once.
        deletes.AddRange(healthy
            .Where(p => p.Revision != fleet.Revision && p.Revision != fleet.Green && !p.IsInUse)
            .Select(p => new PodDeletion(p, DeletionReason.OldRevision)));

        var deleted = deletes.Select(d => d.Pod.Name).ToHashSet(StringComparer.Ordinal);
        var markReady = healthy.Where(p => p.State == ServerState.Starting && p.IsReady && !deleted.Contains(p.Name)).ToList();
        return new FleetPlan(creates, deletes, markReady, markDraining, counts, false, recheck);
    }

    private static FleetPlan PlanDeletion(
        FleetObservation fleet, FleetDeletionState deletion, List<FleetPod> healthy, List<PodDeletion> deletes, FleetCounts counts)
    {
        if (!deletion.Drain)
        {
            // Immediate: the API server's garbage collector removes the pods through their ownerReference.
            return new FleetPlan(NoCreates, [], [], [], counts, true, null);
        }
        deletes.AddRange(healthy.Where(p => !p.IsInUse).Select(p => new PodDeletion(p, DeletionReason.FleetDeleted)));
        var inUse = healthy.Where(p => p.IsInUse).ToList();
        var deadline = deletion.RequestedAt + deletion.DrainTimeout;
        var release = inUse.Count == 0 || fleet.Now >= deadline;
        var markDraining = release ? [] : inUse.Where(p => p.State == ServerState.Allocated).ToList();
        return new FleetPlan(NoCreates, deletes, [], markDraining, counts, release, release ? null : deadline);
    }

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : (a < b ? a : b);
}
