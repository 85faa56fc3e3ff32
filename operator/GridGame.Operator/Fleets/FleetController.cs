using System.Collections.Concurrent;
using GridGame.Crds;
using GridGame.Crds.Validation;
using GridGame.Operator.Autoscaling;
using GridGame.Operator.Hosting;
using GridGame.Operator.Rollout;
using GridGame.Operator.Runtime;
using GridGame.Operator.Sessions;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace GridGame.Operator.Fleets;

/// <summary>
/// Reconciles a GameFleet into game-server pods (docs/design.md, "A server"): observe (the caches, into a <see cref="FleetSnapshot"/>)
/// → decide (<see cref="FleetReconciler.Plan"/>, pure) → act (its actions in order: patches with preconditions,
/// creates, deletes, status). Every write's response goes into the cache at once, so the next reconcile sees it
/// without the watch.
/// </summary>
internal sealed partial class FleetController : IController
{
    private static readonly TimeSpan SafetyResync = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, AutoscalerState> _autoscaler = new(StringComparer.Ordinal);
    /// <summary>Per fleet, the back-off of each revision it keeps: blue and green fail (or not) on their own.</summary>
    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, CrashLoopState>> _crashLoops = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastPass = new(StringComparer.Ordinal);

    /// <summary>The shortest time between two full passes over one fleet.</summary>
    internal static readonly TimeSpan MinPassInterval = TimeSpan.FromMilliseconds(100);
    private ControllerSetup _setup = null!;
    private Informer<GameFleet> _fleets = null!;
    private Informer<V1Pod> _pods = null!;
    private Informer<GameSession> _sessions = null!;
    private Informer<V1Node> _nodes = null!;
    private PodWriter _podWriter = null!;
    private PortRange _portRange = PortRange.Default;
    private ILogger _logger = null!;

    public string Name => "fleet";

    /// <summary>Where the per-fleet gauges go; the host's registry when it provides one.</summary>
    public FleetMetrics Metrics { get; private set; } = new(Prometheus.Metrics.NewCustomRegistry());

    public void Setup(ControllerSetup setup)
    {
        _setup = setup;
        _logger = setup.Logger;
        _portRange = setup.Options.PortRange;
        if (setup.MetricsRegistry is { } registry)
        {
            Metrics = new FleetMetrics(registry);
        }
        _fleets = setup.For<GameFleet>();
        _pods = setup.Owns<V1Pod>(GameFleet.KubeKind);
        _podWriter = new PodWriter(setup.Client, _pods.Cache);
        // Orphans have no ownerReference to enqueue their fleet by: their fleet label does.
        _pods.Cache.AddIndex(OrphansByFleet, OrphanOf);
        _pods.Cache.AddHandler(e =>
        {
            foreach (var key in e.New is { } pod ? OrphanOf(pod) : [])
            {
                _setup.Queue.Add(key);
            }
        });
        _nodes = setup.Informer<V1Node>(ResourceType.For<V1Node>(namespaced: false));
        // Read only when a server of an old revision must be recreated; a change needs no reconcile.
        // Only the fleets' own records: a namespace's StatefulSets and DaemonSets keep theirs in ControllerRevisions too.
        _revisions = setup.Informer<V1ControllerRevision>(ResourceType.For<V1ControllerRevision>() with { LabelSelector = WellKnown.FleetLabel });
        // Pending sessions are demand: a change enqueues the fleet so the autoscaler sees it.
        _sessions = setup.Watches<GameSession>(DemandOf);
        SessionDemand.AddIndex(_sessions.Cache);
    }

    /// <summary>A session concerns its fleet only as demand for the autoscaler.</summary>
    private IEnumerable<string> DemandOf(GameSession session)
    {
        if (session.Spec?.FleetName is not { } name)
        {
            return [];
        }
        var key = ObjectKey.Of(session.Metadata.NamespaceProperty, name);
        return _fleets.Cache.Get(key)?.Spec?.Autoscaling is null ? [] : [key];
    }

    public async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var cached = _fleets.Cache.Get(key);
        if (cached is null)
        {
            _autoscaler.TryRemove(key, out _);
            _crashLoops.TryRemove(key, out _);
            _lastStatusWrite.TryRemove(key, out _);
            _lastPass.TryRemove(key, out _);
            _setup.Expectations.Forget(key);
            var (@namespace, name) = ObjectKey.Split(key);
            Metrics.Forget(@namespace ?? string.Empty, name);
            return ReconcileResult.Done;
        }
        if (!_setup.Expectations.Satisfied(key))
        {
            return ReconcileResult.RequeueAfter(TimeSpan.FromSeconds(1));
        }

        var now = _setup.Time.GetUtcNow();
        // A full pass looks at every server of the fleet; during a burst (allocations, a scale-up) pod events would
        // ask for one per event. One pass per MinPassInterval sees them all, and the requeue runs the last one.
        if (_lastPass.TryGetValue(key, out var lastPass) && now - lastPass < MinPassInterval)
        {
            return ReconcileResult.RequeueAfter(MinPassInterval - (now - lastPass));
        }
        _lastPass[key] = now;

        var fleet = GameFleetDefaults.Apply(Clone(cached));
        if (fleet.Metadata.DeletionTimestamp is null)
        {
            await AdoptOrphansAsync(key, fleet, cancellationToken).ConfigureAwait(false);
        }
        var pods = _pods.Cache.ByIndex(CacheIndexes.Owner, fleet.Metadata.Uid);
        var snapshot = Observe(key, fleet, pods, now);
        var decision = FleetReconciler.Plan(snapshot);

        var pass = new Pass(key, fleet, snapshot.SpecRevision, pods.ToDictionary(p => p.Metadata.Name, StringComparer.Ordinal), now) { PendingSessions = snapshot.PendingSessions };
        foreach (var action in decision.Actions)
        {
            await PerformAsync(pass, action, cancellationToken).ConfigureAwait(false);
        }
        if (decision.Finished)
        {
            return ReconcileResult.Done;
        }
        var result = ReconcileResult.RequeueAfter(SafetyResync);
        if (Earliest(decision.RecheckAt, pass.StatusDueAt) is { } at)
        {
            result = result.Min(ReconcileResult.RequeueAfter(at > now ? at - now : TimeSpan.Zero));
        }
        return result;
    }

    /// <summary>The fleet, its pods, its demand and what the controller remembers of it, as the decision reads them.</summary>
    private FleetSnapshot Observe(string key, GameFleet fleet, IReadOnlyList<V1Pod> pods, DateTimeOffset now)
    {
        var spec = fleet.Spec;
        var specRevision = RevisionHash.Of(spec);
        var errors = GameFleetValidator.Validate(fleet);
        var blueGreen = spec.Strategy?.BlueGreen;
        var settings = new FleetSettings(
            spec.Replicas ?? GameFleetDefaults.Replicas,
            spec.Scheduling ?? GameFleetDefaults.Scheduling,
            new HealthSettings(TimeSpan.FromSeconds(spec.Health!.UnhealthyAfterSeconds ?? 30), spec.Health.MaxRestarts ?? 3),
            new BlueGreenSettings(
                blueGreen?.AutoPromote ?? GameFleetDefaults.AutoPromote,
                blueGreen?.ReadyPercent ?? GameFleetDefaults.ReadyPercent,
                TimeSpan.FromSeconds(blueGreen?.ProgressDeadlineSeconds ?? GameFleetDefaults.ProgressDeadlineSeconds)),
            spec.Autoscaling is { } autoscaling ? BufferPolicyOf(autoscaling) : null,
            Drain: spec.Deletion?.Policy != DeletionPolicy.Immediate,
            TimeSpan.FromSeconds(spec.Deletion?.DrainTimeoutSeconds ?? GameFleetDefaults.DrainTimeoutSeconds));
        var deletedAt = fleet.Metadata.DeletionTimestamp is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : (DateTimeOffset?)null;
        var live = deletedAt is null && errors.Count == 0;
        return new FleetSnapshot(
            settings,
            specRevision,
            RolloutStateOf(fleet.Status),
            pods.Select(PodObservation.ToFleetPod).ToList(),
            now,
            new FleetMemory(_autoscaler.GetValueOrDefault(key, AutoscalerState.Empty), _crashLoops.GetValueOrDefault(key) ?? FleetMemory.Empty.CrashLoops),
            PodObservation.Get(fleet.Metadata.Annotations, WellKnown.PromoteAnnotation),
            live && settings.Autoscaling is not null ? PendingSessions(key, pods) : 0,
            errors.Count > 0 ? FieldError.Summarize(errors) : null,
            deletedAt,
            fleet.Metadata.Finalizers?.Contains(WellKnown.DrainFinalizer) == true,
            !live || IsRecorded(fleet, specRevision),
            live ? RecordedRevisions(fleet, specRevision) : null);
    }

    /// <summary>Sessions of the fleet waiting for a server; one whose server is reserved but whose status is not written yet counts as Allocated instead.</summary>
    private int PendingSessions(string key, IReadOnlyList<V1Pod> pods)
    {
        var reserved = pods.Select(PodObservation.Session).OfType<string>().ToHashSet(StringComparer.Ordinal);
        return _sessions.Cache.ByIndex(SessionDemand.ByFleet, key).Count(s => SessionDemand.IsPending(s) && !reserved.Contains(s.Metadata.Name));
    }

    internal static BufferPolicy BufferPolicyOf(FleetAutoscaling autoscaling)
    {
        if (!BufferSize.TryParse(autoscaling.Buffer?.Size ?? GameFleetDefaults.BufferSize, out var size, out var percent))
        {
            (size, percent) = (GameFleetDefaults.BufferSize, false);
        }
        return new BufferPolicy(
            autoscaling.MinReplicas ?? GameFleetDefaults.MinReplicas,
            autoscaling.MaxReplicas ?? int.MaxValue,
            BufferSize: percent ? null : size,
            BufferPercent: percent ? size : null,
            StabilizationWindow: TimeSpan.FromSeconds(autoscaling.ScaleDown?.StabilizationWindowSeconds ?? GameFleetDefaults.StabilizationWindowSeconds),
            MaxPercentPerMinute: autoscaling.ScaleDown?.MaxPercentPerMinute ?? GameFleetDefaults.MaxPercentPerMinute);
    }

    private static GameFleet Clone(GameFleet fleet) => KubernetesJson.Deserialize<GameFleet>(KubernetesJson.Serialize(fleet));

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : (a < b ? a : b);

    private static partial class Log
    {
        [LoggerMessage(EventIds.FleetScaled, LogLevel.Information, "Fleet {Namespace}/{Fleet} scaled {From} -> {To}: {Reason}")]
        public static partial void Scaled(ILogger logger, string @namespace, string fleet, int from, int to, string reason);

        [LoggerMessage(EventIds.FleetPodDeleted, LogLevel.Debug, "Pod {Namespace}/{Pod} deleted ({Reason})")]
        public static partial void PodDeleted(ILogger logger, string @namespace, string pod, string reason);

        [LoggerMessage(EventIds.FleetFinalizerReleased, LogLevel.Information, "Fleet {Namespace}/{Fleet} drained; finalizer released")]
        public static partial void FinalizerReleased(ILogger logger, string @namespace, string fleet);

        [LoggerMessage(EventIds.FleetInvalid, LogLevel.Warning, "Fleet {Namespace}/{Fleet} is invalid: {Errors}")]
        public static partial void Invalid(ILogger logger, string @namespace, string fleet, string errors);

        [LoggerMessage(EventIds.FleetRollout, LogLevel.Information, "Fleet {Namespace}/{Fleet} rollout {Reason}: {Message}")]
        public static partial void Rollout(ILogger logger, string @namespace, string fleet, string reason, string message);

        [LoggerMessage(EventIds.FleetPodAdopted, LogLevel.Information, "Pod {Namespace}/{Pod} adopted by fleet {Fleet}")]
        public static partial void PodAdopted(ILogger logger, string @namespace, string pod, string fleet);
    }
}
