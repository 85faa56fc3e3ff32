using System.Globalization;
using GridGame.Crds;
using GridGame.Operator.Rollout;
using GridGame.Operator.Runtime;
using k8s;
using k8s.Models;

namespace GridGame.Operator.Fleets;

internal sealed partial class FleetController
{
    private async Task ReportInvalidAsync(GameFleet fleet, string message, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var status = CopyStatus(fleet.Status);
        status.ObservedGeneration = fleet.Metadata.Generation;
        status.Conditions = Conditions.Set(status.Conditions, WellKnown.FleetConditions.Invalid, true, WellKnown.FleetReasons.Invalid, message, now, fleet.Metadata.Generation);
        status.Selector = Selector(fleet);
        if (!SameStatus(fleet.Status, status))
        {
            await PatchStatusAsync(fleet, status, cancellationToken).ConfigureAwait(false);
            _setup.Events.RecordWarning(fleet, WellKnown.FleetReasons.Invalid, message);
            Log.Invalid(_logger, fleet.Metadata.NamespaceProperty, fleet.Metadata.Name, message);
        }
    }

    /// <summary>The shortest time between two status writes that change only counts.</summary>
    internal static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(1);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _lastStatusWrite = new(StringComparer.Ordinal);

    /// <summary>Writes the status if it changed; returns when to write deferred counts, if it deferred them.</summary>
    private async Task<DateTimeOffset?> WriteStatusAsync(GameFleet fleet, WriteStatus figures, bool portsExhausted, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (revision, rollout, replicas, counts, scaling, crashLooping) = figures;
        var generation = fleet.Metadata.Generation;
        var status = CopyStatus(fleet.Status);
        status.ObservedGeneration = generation;
        status.Replicas = counts.Replicas;
        status.ReadyReplicas = counts.Ready;
        status.AllocatedReplicas = counts.Allocated;
        status.DrainingReplicas = counts.Draining;
        status.UnhealthyReplicas = counts.Unhealthy;
        status.DesiredReplicas = replicas;
        status.Selector = Selector(fleet);
        ApplyRollout(status, revision, rollout);

        var serving = counts.Ready + counts.Allocated;
        var (ready, reason, message) = (crashLooping, portsExhausted) switch
        {
            (true, _) => (false, WellKnown.FleetReasons.CrashLooping, $"servers of revision {revision} keep failing; new ones are created with back-off"),
            (_, true) => (false, "PortsExhausted", "the hostPort range is exhausted; widen --port-range or add nodes"),
            _ when serving >= replicas => (true, WellKnown.FleetReasons.AllReady, string.Create(CultureInfo.InvariantCulture, $"{serving} of {replicas} servers Ready or Allocated")),
            _ => (false, WellKnown.FleetReasons.NotAllReady, string.Create(CultureInfo.InvariantCulture, $"{serving} of {replicas} servers Ready or Allocated")),
        };
        var conditions = Conditions.Set(status.Conditions, WellKnown.FleetConditions.Ready, ready, reason, message, now, generation);
        conditions = Conditions.Set(conditions, WellKnown.FleetConditions.Invalid, false, WellKnown.FleetReasons.Valid, "the spec is valid", now, generation);
        if (scaling is not null)
        {
            var limitReason = !scaling.Limited ? WellKnown.FleetReasons.WithinLimits
                : scaling.Replicas >= (fleet.Spec.Autoscaling?.MaxReplicas ?? int.MaxValue) ? WellKnown.FleetReasons.AtMaxReplicas
                : WellKnown.FleetReasons.AtMinReplicas;
            conditions = Conditions.Set(conditions, WellKnown.FleetConditions.ScalingLimited, scaling.Limited, limitReason, $"{scaling.Reason}: {scaling.Message}", now, generation);
        }
        status.Conditions = SetRolloutConditions(conditions, rollout, now, generation);

        if (SameStatus(fleet.Status, status))
        {
            return null;
        }
        // While servers come and go, counts change on every pod event: write them at most once per
        // StatusInterval (the requeue writes the last figures); anything else (conditions, generation) at once.
        var key = ObjectKey.Of(fleet);
        var onlyCounts = fleet.Status is { } before && before.ObservedGeneration == status.ObservedGeneration
            && before.ActiveRevision == status.ActiveRevision && before.TargetRevision == status.TargetRevision
            && before.Rollout?.Phase == status.Rollout?.Phase && before.Rollout?.StartedAt == status.Rollout?.StartedAt
            && Conditions.SameAs(before.Conditions, status.Conditions, ignoreMessages: true);
        if (onlyCounts && _lastStatusWrite.TryGetValue(key, out var last) && now - last < StatusInterval)
        {
            return last + StatusInterval;
        }
        await PatchStatusAsync(fleet, status, cancellationToken).ConfigureAwait(false);
        _lastStatusWrite[key] = now;
        return null;
    }

    /// <summary>The per-fleet gauges from the figures of the status, whether or not it is written (deferred counts included).</summary>
    private void ReportMetrics(Pass pass, WriteStatus figures)
    {
        var fleet = pass.Fleet;
        var phase = figures.Rollout?.Phase ?? fleet.Status?.Rollout?.Phase ?? RolloutPhase.Idle;
        var autoscaling = fleet.Spec.Autoscaling?.MaxReplicas is { } max ? (max, pass.PendingSessions) : ((int, int)?)null;
        Metrics.Report(fleet.Metadata.NamespaceProperty, fleet.Metadata.Name, figures.Replicas, figures.Counts, phase, autoscaling);
    }

    /// <summary>The revisions and the rollout as the status records them; a deleted fleet's rollout stays as it was.</summary>
    private static void ApplyRollout(GameFleetStatus status, string active, RolloutDecision? rollout)
    {
        status.ActiveRevision = active;
        if (rollout is null)
        {
            status.TargetRevision ??= active;
            return;
        }
        status.TargetRevision = rollout.Target;
        status.Rollout = new RolloutStatus
        {
            Phase = rollout.Phase,
            StartedAt = rollout.StartedAt?.UtcDateTime,
            Message = rollout.Message,
        };
    }

    /// <summary>The conditions the rollout owns (`Progressing`, `RolloutFailed`) set on <paramref name="conditions"/>.</summary>
    private static IList<V1Condition>? SetRolloutConditions(IList<V1Condition>? conditions, RolloutDecision? rollout, DateTimeOffset now, long? generation)
    {
        foreach (var condition in rollout?.Conditions ?? [])
        {
            conditions = Conditions.Set(conditions, condition.Type, condition.Status, condition.Reason, condition.Message, now, generation);
        }
        return conditions;
    }

    /// <summary>Writes the promotion (revisions, rollout, its conditions) at once, ahead of the deletes it causes.</summary>
    private async Task<GameFleet> WriteRolloutAsync(GameFleet fleet, RolloutDecision rollout, CancellationToken cancellationToken)
    {
        var status = CopyStatus(fleet.Status);
        ApplyRollout(status, rollout.Active, rollout);
        var now = _setup.Time.GetUtcNow();
        status.Conditions = SetRolloutConditions(status.Conditions, rollout, now, fleet.Metadata.Generation);
        var response = await PatchStatusAsync(fleet, status, cancellationToken).ConfigureAwait(false);
        var updated = GameFleetDefaults.Apply(Clone(response));
        _lastStatusWrite[ObjectKey.Of(fleet)] = now;
        return updated;
    }

    /// <summary>The rollout as the status recorded it: the planner's only memory.</summary>
    internal static RolloutState RolloutStateOf(GameFleetStatus? status)
    {
        if (status is null)
        {
            return RolloutState.None;
        }
        var failed = status.Conditions?.FirstOrDefault(c => c.Type == WellKnown.FleetConditions.RolloutFailed && c.Status == "True");
        return new RolloutState(
            status.ActiveRevision,
            status.TargetRevision,
            status.Rollout?.Phase ?? RolloutPhase.Idle,
            status.Rollout?.StartedAt is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : null,
            status.Rollout?.Message,
            failed?.Reason);
    }

    private async Task<GameFleet> PatchStatusAsync(GameFleet fleet, GameFleetStatus status, CancellationToken cancellationToken)
    {
        var response = await _setup.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync<GameFleet>(
            new V1Patch(new { status }, V1Patch.PatchType.MergePatch), GridGameApi.Group, GridGameApi.Version,
            fleet.Metadata.NamespaceProperty, GameFleet.KubePluralName, fleet.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        _fleets.Cache.Upsert(response);
        return response;
    }

    private static string Selector(GameFleet fleet) => $"{WellKnown.FleetLabel}={fleet.Metadata.Name}";

    private static GameFleetStatus CopyStatus(GameFleetStatus? status) =>
        status is null ? new GameFleetStatus() : KubernetesJson.Deserialize<GameFleetStatus>(KubernetesJson.Serialize(status));

    private static bool SameStatus(GameFleetStatus? before, GameFleetStatus after)
    {
        if (before is null)
        {
            return false;
        }
        var conditionsBefore = before.Conditions;
        var conditionsAfter = after.Conditions;
        var a = CopyStatus(before);
        var b = CopyStatus(after);
        a.Conditions = null;
        b.Conditions = null;
        return KubernetesJson.Serialize(a) == KubernetesJson.Serialize(b) && Conditions.SameAs(conditionsBefore, conditionsAfter);
    }
}
