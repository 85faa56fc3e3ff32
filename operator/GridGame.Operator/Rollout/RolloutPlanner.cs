using System.Globalization;
using GridGame.Crds;

namespace GridGame.Operator.Fleets;

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

/// <summary>
/// The blue-green rollout of a fleet (DESIGN §4) as a pure state machine. The spec's revision is the target
/// (green); the active revision (blue) keeps serving until green has `readyPercent` of the desired count Ready and
/// is promoted (at once with `autoPromote`, else by the annotation `gridgame.io/promote=&lt;green&gt;`). Promotion makes
/// green active: blue's free servers go, its Allocated ones drain (phase Draining, then Complete). Green not Ready
/// by `progressDeadlineSeconds`, or crash-looping past `health.maxRestarts`, fails the rollout: green is removed,
/// blue stays active, and the fleet stays Failed until its spec changes. A spec change back to the active revision
/// abandons the rollout; a third revision supersedes it. The state lives in the fleet's status, so any operator
/// replica continues where the last one stopped.
/// </summary>
internal static class RolloutPlanner
{
    public static RolloutDecision Plan(RolloutObservation fleet)
    {
        var previous = fleet.Previous;
        var active = string.IsNullOrEmpty(previous.ActiveRevision) ? fleet.SpecRevision : previous.ActiveRevision;
        var lastTarget = string.IsNullOrEmpty(previous.TargetRevision) ? active : previous.TargetRevision;
        var target = fleet.SpecRevision;
        var events = new List<RolloutEvent>();

        if (target == active)
        {
            if (lastTarget != active)
            {
                // The spec went back to the active revision: whatever was rolling out (or failed) is dropped.
                var wasFailed = previous.Phase == RolloutPhase.Failed;
                var message = wasFailed
                    ? $"the spec is back at active revision {active}; failed revision {lastTarget} abandoned"
                    : $"the spec is back at active revision {active}; rollout to {lastTarget} abandoned and its servers removed";
                if (!wasFailed)
                {
                    events.Add(new(false, RolloutReasons.RolloutAbandoned, message));
                }
                return Settled(active, RolloutPhase.Idle, previous.StartedAt, message, RolloutReasons.RolloutAbandoned, events);
            }
            if (previous.Phase is RolloutPhase.Draining or RolloutPhase.Progressing or RolloutPhase.AwaitingPromotion)
            {
                return Drain(fleet, active, previous.StartedAt, events);
            }
            return previous.Phase == RolloutPhase.Complete
                ? Settled(active, RolloutPhase.Complete, previous.StartedAt, previous.Message ?? $"revision {active} is active", WellKnown.FleetReasons.RolloutComplete, events)
                : Settled(active, RolloutPhase.Idle, previous.StartedAt, previous.Message ?? $"revision {active} is active; no rollout yet", RolloutReasons.NoRollout, events);
        }

        DateTimeOffset startedAt;
        var phaseBefore = previous.Phase;
        if (target != lastTarget)
        {
            startedAt = fleet.Now;
            phaseBefore = RolloutPhase.Idle;
            var superseding = lastTarget != active && previous.Phase is RolloutPhase.Progressing or RolloutPhase.AwaitingPromotion;
            if (superseding)
            {
                events.Add(new(false, RolloutReasons.RolloutSuperseded, $"rollout to {lastTarget} superseded by revision {target}; its servers are removed"));
            }
            events.Add(new(false, WellKnown.FleetReasons.RolloutStarted, $"rollout from {active} to {target} started"));
        }
        else if (previous.Phase == RolloutPhase.Failed)
        {
            // No retry loop: a failed revision stays failed until the spec changes.
            var reason = previous.FailedReason ?? WellKnown.FleetReasons.ProgressDeadlineExceeded;
            var message = previous.Message ?? $"rollout to {target} failed";
            return new RolloutDecision(active, target, null, RolloutPhase.Failed, previous.StartedAt, message,
                FailedConditions(reason, message), events, null);
        }
        else
        {
            startedAt = previous.StartedAt ?? fleet.Now;
        }

        var green = fleet.Pods.Where(p => p.Revision == target && !p.Terminating && p.State != ServerState.Draining).ToList();
        var ready = green.Count(p => p.IsReady && !p.Failed);
        var needed = Needed(fleet.Replicas, fleet.Strategy.ReadyPercent);
        var progress = string.Create(CultureInfo.InvariantCulture, $"{ready} of {needed} green servers Ready ({fleet.Strategy.ReadyPercent}% of {fleet.Replicas})");

        var crashing = green.FirstOrDefault(p => p.Restarts > fleet.MaxRestarts);
        if (crashing is not null || fleet.GreenCrashLooping)
        {
            var why = crashing is not null
                ? string.Create(CultureInfo.InvariantCulture, $"server {crashing.Name} of revision {target} restarted {crashing.Restarts} times (maxRestarts {fleet.MaxRestarts})")
                : $"servers of revision {target} keep failing";
            return Fail(active, target, startedAt, WellKnown.FleetReasons.CrashLooping, why, events);
        }

        if (ready >= needed)
        {
            if (fleet.Strategy.AutoPromote || fleet.PromoteAnnotation == target)
            {
                events.Add(new(false, WellKnown.FleetReasons.Promoted, $"revision {target} promoted ({progress}): allocations go to it, revision {active} drains"));
                var promoted = Drain(fleet, target, startedAt, events);
                return promoted with { Promoted = true };
            }
            var waiting = $"{progress}; annotate the fleet {WellKnown.PromoteAnnotation}={target} to promote it";
            if (phaseBefore != RolloutPhase.AwaitingPromotion)
            {
                events.Add(new(false, WellKnown.FleetReasons.AwaitingPromotion, waiting));
            }
            return new RolloutDecision(active, target, target, RolloutPhase.AwaitingPromotion, startedAt, waiting,
                [
                    new(WellKnown.FleetConditions.Progressing, true, WellKnown.FleetReasons.AwaitingPromotion, waiting),
                    NotFailed($"rollout to {target} awaits promotion"),
                ], events, null);
        }

        var deadline = startedAt + fleet.Strategy.ProgressDeadline;
        if (fleet.Now >= deadline)
        {
            var seconds = (long)fleet.Strategy.ProgressDeadline.TotalSeconds;
            return Fail(active, target, startedAt, WellKnown.FleetReasons.ProgressDeadlineExceeded,
                string.Create(CultureInfo.InvariantCulture, $"{progress} after the progress deadline of {seconds}s"), events);
        }
        var rolling = $"rolling out {target} alongside active {active}: {progress}";
        return new RolloutDecision(active, target, target, RolloutPhase.Progressing, startedAt, rolling,
            [
                new(WellKnown.FleetConditions.Progressing, true, WellKnown.FleetReasons.RolloutStarted, rolling),
                NotFailed($"rollout to {target} under way"),
            ], events, deadline);
    }

    /// <summary>The green servers that must be Ready to promote: readyPercent of the desired count, at least one.</summary>
    public static int Needed(int replicas, int readyPercent) =>
        replicas <= 0 ? 0 : Math.Max(1, (int)Math.Ceiling(replicas * Math.Clamp(readyPercent, 1, 100) / 100.0));

    /// <summary>Active is the promoted revision: Draining while older servers still serve a game, then Complete.</summary>
    private static RolloutDecision Drain(RolloutObservation fleet, string active, DateTimeOffset? startedAt, List<RolloutEvent> events)
    {
        var draining = fleet.Pods.Count(p => p.Revision != active && !p.Terminating && p.IsInUse);
        if (draining > 0)
        {
            var message = string.Create(CultureInfo.InvariantCulture, $"revision {active} is active; {draining} servers of older revisions finish their games");
            return new RolloutDecision(active, active, null, RolloutPhase.Draining, startedAt, message,
                [
                    new(WellKnown.FleetConditions.Progressing, true, WellKnown.FleetReasons.Promoted, message),
                    NotFailed($"revision {active} promoted"),
                ], events, null);
        }
        var complete = $"revision {active} is active; rollout complete";
        events.Add(new(false, WellKnown.FleetReasons.RolloutComplete, complete));
        return Settled(active, RolloutPhase.Complete, startedAt, complete, WellKnown.FleetReasons.RolloutComplete, events);
    }

    private static RolloutDecision Settled(string active, RolloutPhase phase, DateTimeOffset? startedAt, string message, string reason, List<RolloutEvent> events) =>
        new(active, active, null, phase, startedAt, message,
            [new(WellKnown.FleetConditions.Progressing, false, reason, message), NotFailed(message)], events, null);

    private static RolloutDecision Fail(string active, string target, DateTimeOffset startedAt, string reason, string why, List<RolloutEvent> events)
    {
        var message = $"rollout to {target} failed ({reason}): {why}; its servers are removed and revision {active} stays active";
        events.Add(new(true, RolloutReasons.RolloutFailed, message));
        return new RolloutDecision(active, target, null, RolloutPhase.Failed, startedAt, message, FailedConditions(reason, message), events, null);
    }

    private static RolloutCondition[] FailedConditions(string reason, string message) =>
    [
        new(WellKnown.FleetConditions.Progressing, false, reason, message),
        new(WellKnown.FleetConditions.RolloutFailed, true, reason, message),
    ];

    private static RolloutCondition NotFailed(string message) => new(WellKnown.FleetConditions.RolloutFailed, false, RolloutReasons.NoFailure, message);
}
