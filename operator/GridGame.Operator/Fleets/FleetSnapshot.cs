using GridGame.Crds;
using GridGame.Operator.Autoscaling;
using GridGame.Operator.Rollout;

namespace GridGame.Operator.Fleets;

/// <summary>The fleet's defaulted spec as the decision reads it.</summary>
/// <param name="Replicas">`spec.replicas` as observed: what the autoscaler starts from.</param>
/// <param name="Autoscaling">The Buffer policy of `spec.autoscaling`; null when replicas are set by hand.</param>
/// <param name="Drain">`deletion.policy` Drain: the fleet keeps the drain finalizer and, once deleted, waits for its games.</param>
internal sealed record FleetSettings(
    int Replicas,
    SchedulingStrategy Scheduling,
    HealthSettings Health,
    BlueGreenSettings BlueGreen,
    BufferPolicy? Autoscaling,
    bool Drain,
    TimeSpan DrainTimeout);

/// <summary>What the controller remembers of a fleet between passes (in memory: a restart starts afresh).</summary>
/// <param name="CrashLoops">Per revision the fleet keeps, its crash-loop back-off.</param>
internal sealed record FleetMemory(AutoscalerState Autoscaler, IReadOnlyDictionary<string, CrashLoopState> CrashLoops)
{
    public static FleetMemory Empty { get; } = new(AutoscalerState.Empty, new Dictionary<string, CrashLoopState>());
}

/// <summary>Everything the fleet decision looks at, observed from the caches at one instant (no API types).</summary>
/// <param name="SpecRevision">The hash of the spec as it is now.</param>
/// <param name="Rollout">The rollout as the fleet's status recorded it.</param>
/// <param name="PromoteAnnotation">The fleet's `gridgame.io/promote` annotation, if any.</param>
/// <param name="PendingSessions">Sessions of the fleet waiting for a server that has not been reserved for them yet.</param>
/// <param name="Invalid">What the validator found wrong with the spec, summarised; null for a valid spec.</param>
/// <param name="DeletedAt">When the fleet was deleted (its deletionTimestamp); null while it lives.</param>
/// <param name="HasDrainFinalizer">The fleet carries the `gridgame.io/drain` finalizer.</param>
/// <param name="SpecRevisionRecorded">A ControllerRevision records the spec's revision.</param>
/// <param name="RecordedRevisions">Other revisions whose pods can still be made: their ControllerRevision is there and re-hashes to them.</param>
internal sealed record FleetSnapshot(
    FleetSettings Spec,
    string SpecRevision,
    RolloutState Rollout,
    IReadOnlyList<FleetPod> Pods,
    DateTimeOffset Now,
    FleetMemory Memory,
    string? PromoteAnnotation = null,
    int PendingSessions = 0,
    string? Invalid = null,
    DateTimeOffset? DeletedAt = null,
    bool HasDrainFinalizer = true,
    bool SpecRevisionRecorded = true,
    IReadOnlySet<string>? RecordedRevisions = null);
