using GridGame.Operator.Autoscaling;
using GridGame.Operator.Rollout;

namespace GridGame.Operator.Fleets;

/// <summary>One step of a fleet reconcile, performed by the controller in the order the decision lists them.</summary>
internal abstract record FleetAction;

/// <summary>The spec is invalid: set condition Invalid with the message (and tell the user), nothing else.</summary>
internal sealed record ReportInvalid(string Message) : FleetAction;

/// <summary>Adds (Drain) or removes (Immediate) the drain finalizer to match `deletion.policy`.</summary>
internal sealed record SetDrainFinalizer(bool Present) : FleetAction;

/// <summary>Keeps the autoscaler's new memory (recommendations, recent steps) for the next pass.</summary>
internal sealed record RememberAutoscaler(AutoscalerState State) : FleetAction;

/// <summary>Writes the autoscaler's replicas to `spec.replicas` (conditional on the fleet's version) with an Event.</summary>
internal sealed record Scale(int From, AutoscalerDecision Decision) : FleetAction;

/// <summary>Records the spec's revision in a ControllerRevision, so its pods can be made once the spec moves on.</summary>
internal sealed record RecordRevision(string Revision) : FleetAction;

/// <summary>Writes a promotion to the status (revisions, rollout, its conditions) ahead of the deletes it causes.</summary>
internal sealed record WriteRollout(RolloutDecision Rollout) : FleetAction;

/// <summary>Records one of the rollout's Events on the fleet.</summary>
internal sealed record RecordRolloutEvent(RolloutEvent Event) : FleetAction;

/// <summary>Keeps the crash-loop back-off of the revisions the fleet keeps (none: forget them).</summary>
internal sealed record RememberCrashLoops(IReadOnlyDictionary<string, CrashLoopState> CrashLoops) : FleetAction;

/// <summary>Deletes pods: unhealthy ones unconditionally, every other one only at the version observed.</summary>
internal sealed record DeletePods(IReadOnlyList<PodDeletion> Deletes) : FleetAction;

/// <summary>Labels Allocated pods Draining, each only while its label still says Allocated.</summary>
internal sealed record MarkDraining(IReadOnlyList<FleetPod> Pods) : FleetAction;

/// <summary>Labels Starting pods that turned Ready `gridgame.io/state=Ready`: allocatable from now on.</summary>
internal sealed record MarkReady(IReadOnlyList<FleetPod> Pods) : FleetAction;

/// <summary>Creates pods of a revision (hostPorts are given at creation, from what the cache holds then).</summary>
internal sealed record CreatePods(string Revision, int Count) : FleetAction;

/// <summary>Pods of a revision are missing but cannot be made: its ControllerRevision is gone. Warns the user.</summary>
internal sealed record ReportMissingRevision(string Revision) : FleetAction;

/// <summary>The deleted fleet has drained (or timed out): remove the drain finalizer so it goes.</summary>
internal sealed record ReleaseFleet : FleetAction;

/// <summary>Writes the fleet's status from these figures, if it changed (counts at most once per status interval).</summary>
/// <param name="Active">The revision that receives allocations.</param>
/// <param name="Rollout">The rollout decision; null for a deleted fleet, whose rollout stays as recorded.</param>
/// <param name="Replicas">The desired count after autoscaling.</param>
/// <param name="CrashLooping">The active revision is in crash-loop back-off.</param>
internal sealed record WriteStatus(string Active, RolloutDecision? Rollout, int Replicas, FleetCounts Counts, AutoscalerDecision? Scaling, bool CrashLooping) : FleetAction;

/// <summary>Deletes the ControllerRevisions of every revision but these: no pod will be made from them again.</summary>
internal sealed record PruneRevisions(IReadOnlySet<string> Keep) : FleetAction;

/// <summary>What a fleet reconcile does: its actions in order, then either nothing more or a look again by <see cref="RecheckAt"/>.</summary>
/// <param name="Finished">Nothing to look at again (an invalid spec waits for its change; a deleted fleet is gone).</param>
/// <param name="RecheckAt">When a time-based decision (health, drain timeout, autoscaler window, rollout deadline, back-off) is due.</param>
internal sealed record FleetDecision(IReadOnlyList<FleetAction> Actions, bool Finished, DateTimeOffset? RecheckAt);
