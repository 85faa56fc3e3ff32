using System.Globalization;
using GridGame.Crds;
using GridGame.Operator.Fleets;

namespace GridGame.Operator.Rollout;

/// <summary>
/// The blue-green rollout of a fleet (docs/design.md, "A fleet's rollout") as a pure state machine. The spec's revision is the target
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
