using GridGame.Crds;
using GridGame.Operator.Fleets;

namespace GridGame.Operator.Rollout;

/// <summary>The fleet's `spec.strategy.blueGreen` settings.</summary>
internal sealed record BlueGreenSettings(bool AutoPromote, int ReadyPercent, TimeSpan ProgressDeadline);

/// <summary>The rollout as the fleet's status last recorded it (the controller keeps no rollout state in memory).</summary>
/// <param name="ActiveRevision">`status.activeRevision`; null for a fleet never reconciled.</param>
/// <param name="TargetRevision">`status.targetRevision`: the green of the rollout under way, or the revision that failed.</param>
/// <param name="FailedReason">The reason of the `RolloutFailed` condition while it is True.</param>
internal sealed record RolloutState(
    string? ActiveRevision,
    string? TargetRevision,
    RolloutPhase Phase,
    DateTimeOffset? StartedAt,
    string? Message = null,
    string? FailedReason = null)
{
    public static RolloutState None { get; } = new(null, null, RolloutPhase.Idle, null);
}

/// <summary>Everything the rollout decision looks at. No API types.</summary>
/// <param name="SpecRevision">The hash of the spec as it is now: the revision a rollout heads for.</param>
/// <param name="PromoteAnnotation">The fleet's `gridgame.io/promote` annotation, if any.</param>
/// <param name="Replicas">`spec.replicas`: the desired count, which applies to green during a rollout.</param>
/// <param name="Pods">The fleet's pods (terminating ones are ignored).</param>
/// <param name="GreenCrashLooping">The crash-loop back-off reports green's pods as failing over and over.</param>
internal sealed record RolloutObservation(
    string SpecRevision,
    RolloutState Previous,
    BlueGreenSettings Strategy,
    string? PromoteAnnotation,
    int Replicas,
    IReadOnlyList<FleetPod> Pods,
    int MaxRestarts,
    DateTimeOffset Now,
    bool GreenCrashLooping = false);
