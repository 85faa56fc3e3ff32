using GridGame.Crds;
using Prometheus;

namespace GridGame.Operator.Fleets;

/// <summary>
/// Per-fleet gauges, set from the figures each fleet status is computed from and removed with the fleet, so a
/// dashboard or an alert reads the fleet as its status does without kube-state-metrics custom-resource config.
/// </summary>
internal sealed class FleetMetrics
{
    /// <summary>The values of the <c>state</c> label of <c>gridgame_fleet_replicas</c>.</summary>
    internal static readonly IReadOnlyList<string> States = ["desired", "ready", "allocated", "draining", "unhealthy"];

    private static readonly IReadOnlyList<string> Phases = Enum.GetNames<RolloutPhase>();

    private readonly Gauge _replicas;
    private readonly Gauge _maxReplicas;
    private readonly Gauge _pending;
    private readonly Gauge _rolloutPhase;

    public FleetMetrics(CollectorRegistry registry)
    {
        var factory = Metrics.WithCustomRegistry(registry);
        _replicas = factory.CreateGauge(
            "gridgame_fleet_replicas", "Servers of a fleet by state (desired, ready, allocated, draining, unhealthy), as its status reports them.",
            new GaugeConfiguration { LabelNames = ["namespace", "fleet", "state"] });
        _maxReplicas = factory.CreateGauge(
            "gridgame_fleet_max_replicas", "The autoscaler's maxReplicas of a fleet; absent for a fleet without autoscaling.",
            new GaugeConfiguration { LabelNames = ["namespace", "fleet"] });
        _pending = factory.CreateGauge(
            "gridgame_fleet_sessions_pending", "Sessions of an autoscaled fleet waiting for a server, as its autoscaler counts them.",
            new GaugeConfiguration { LabelNames = ["namespace", "fleet"] });
        _rolloutPhase = factory.CreateGauge(
            "gridgame_fleet_rollout_phase", "1 for the phase the fleet's rollout is in (Idle, Progressing, AwaitingPromotion, Draining, Complete, Failed), 0 for the others.",
            new GaugeConfiguration { LabelNames = ["namespace", "fleet", "phase"] });
    }

    /// <summary>Sets every gauge of one fleet; <paramref name="autoscaling"/> null removes the autoscaler's.</summary>
    public void Report(string @namespace, string fleet, int desired, FleetCounts counts, RolloutPhase phase, (int MaxReplicas, int Pending)? autoscaling)
    {
        int[] values = [desired, counts.Ready, counts.Allocated, counts.Draining, counts.Unhealthy];
        for (var i = 0; i < States.Count; i++)
        {
            _replicas.WithLabels(@namespace, fleet, States[i]).Set(values[i]);
        }
        var current = phase.ToString();
        foreach (var name in Phases)
        {
            _rolloutPhase.WithLabels(@namespace, fleet, name).Set(name == current ? 1 : 0);
        }
        if (autoscaling is { } scaled)
        {
            _maxReplicas.WithLabels(@namespace, fleet).Set(scaled.MaxReplicas);
            _pending.WithLabels(@namespace, fleet).Set(scaled.Pending);
        }
        else
        {
            _maxReplicas.RemoveLabelled(@namespace, fleet);
            _pending.RemoveLabelled(@namespace, fleet);
        }
    }

    /// <summary>Removes every series of a fleet that is gone.</summary>
    public void Forget(string @namespace, string fleet)
    {
        foreach (var state in States)
        {
            _replicas.RemoveLabelled(@namespace, fleet, state);
        }
        foreach (var name in Phases)
        {
            _rolloutPhase.RemoveLabelled(@namespace, fleet, name);
        }
        _maxReplicas.RemoveLabelled(@namespace, fleet);
        _pending.RemoveLabelled(@namespace, fleet);
    }
}
