using GridGame.Crds;

namespace GridGame.Operator.Rollout;

/// <summary>A fleet condition the rollout owns (`Progressing`, `RolloutFailed`).</summary>
internal sealed record RolloutCondition(string Type, bool Status, string Reason, string Message);

/// <summary>A Kubernetes Event to record on the fleet.</summary>
internal sealed record RolloutEvent(bool Warning, string Reason, string Message);

/// <summary>What the rollout decision says: which revisions to keep, the phase, and what to tell the user.</summary>
/// <param name="Active">The revision that receives allocations (blue, or green once promoted).</param>
/// <param name="Target">`status.targetRevision`: the spec's revision (equal to Active when no rollout is under way).</param>
/// <param name="Green">The revision kept alongside Active, at the desired count, while it is rolled out; null otherwise.</param>
/// <param name="RecheckAt">When the progress deadline falls, so the controller looks again then.</param>
internal sealed record RolloutDecision(
    string Active,
    string Target,
    string? Green,
    RolloutPhase Phase,
    DateTimeOffset? StartedAt,
    string Message,
    IReadOnlyList<RolloutCondition> Conditions,
    IReadOnlyList<RolloutEvent> Events,
    DateTimeOffset? RecheckAt,
    bool Promoted = false);

/// <summary>Reasons of the rollout's Events and conditions that <see cref="WellKnown.FleetReasons"/> does not have.</summary>
internal static class RolloutReasons
{
    public const string NoRollout = "NoRollout";
    public const string RolloutAbandoned = "RolloutAbandoned";
    public const string RolloutSuperseded = "RolloutSuperseded";
    public const string RolloutFailed = "RolloutFailed";
    public const string NoFailure = "NoFailure";
}
