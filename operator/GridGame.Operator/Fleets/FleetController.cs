using System.Collections.Concurrent;
using System.Globalization;
using GridGame.Crds;
using GridGame.Crds.Validation;
using GridGame.Operator.Autoscaling;
using GridGame.Operator.Hosting;
using GridGame.Operator.Ports;
using GridGame.Operator.Rollout;
using GridGame.Operator.Runtime;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace GridGame.Operator.Fleets;

/// <summary>
/// Reconciles a GameFleet into game-server pods (DESIGN §4, issue 6): observe (caches) → decide
/// (<see cref="BufferAutoscaler"/>, <see cref="FleetPlanner"/>) → act (patches with preconditions, creates, deletes,
/// status). Every write's response goes into the cache at once, so the next reconcile sees it without the watch.
/// </summary>
internal sealed partial class FleetController : IController
{
    private const int WriteConcurrency = 32;
    private static readonly TimeSpan SafetyResync = TimeSpan.FromMinutes(5);
    private static readonly IReadOnlyDictionary<string, CrashLoopState> NoCrashLoops = new Dictionary<string, CrashLoopState>();

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
    private PortRange _portRange = PortRange.Default;
    private ILogger _logger = null!;

    public string Name => "fleet";

    /// <summary>Index of sessions by <c>namespace/spec.fleetName</c>: the demand the autoscaler counts.</summary>
    public const string SessionsByFleet = "session-fleet";

    public void Setup(ControllerSetup setup)
    {
        _setup = setup;
        _logger = setup.Logger;
        _portRange = setup.Options.PortRange;
        _fleets = setup.For<GameFleet>();
        _pods = setup.Owns<V1Pod>(GameFleet.KubeKind);
        _nodes = setup.Informer<V1Node>(ResourceType.For<V1Node>(namespaced: false));
        // Read only when a server of an old revision must be recreated; a change needs no reconcile.
        // Only the fleets' own records: a namespace's StatefulSets and DaemonSets keep theirs in ControllerRevisions too.
        _revisions = setup.Informer<V1ControllerRevision>(ResourceType.For<V1ControllerRevision>() with { LabelSelector = WellKnown.FleetLabel });
        // Pending sessions are demand: a change enqueues the fleet so the autoscaler sees it.
        _sessions = setup.Watches<GameSession>(DemandOf);
        _sessions.Cache.AddIndex(SessionsByFleet, s => s.Spec?.FleetName is { } fleet ? [ObjectKey.Of(s.Metadata.NamespaceProperty, fleet)] : []);
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
        var errors = GameFleetValidator.Validate(fleet);
        if (errors.Count > 0 && fleet.Metadata.DeletionTimestamp is null)
        {
            return await ReportInvalidAsync(fleet, errors, now, cancellationToken).ConfigureAwait(false);
        }

        var spec = fleet.Spec;
        var specRevision = RevisionHash.Of(spec);
        var pods = _pods.Cache.ByIndex(CacheIndexes.Owner, fleet.Metadata.Uid);
        var observed = pods.Select(PodObservation.ToFleetPod).ToList();

        FleetDeletionState? deletion = null;
        if (fleet.Metadata.DeletionTimestamp is { } deletedAt)
        {
            if (fleet.Metadata.Finalizers?.Contains(WellKnown.DrainFinalizer) != true)
            {
                return ReconcileResult.Done;
            }
            deletion = new FleetDeletionState(
                spec.Deletion!.Policy == DeletionPolicy.Drain,
                new DateTimeOffset(DateTime.SpecifyKind(deletedAt, DateTimeKind.Utc)),
                TimeSpan.FromSeconds(spec.Deletion.DrainTimeoutSeconds ?? GameFleetDefaults.DrainTimeoutSeconds));
        }
        else
        {
            fleet = await EnsureFinalizerAsync(fleet, cancellationToken).ConfigureAwait(false);
        }

        // Autoscale first: the plan works on the replicas the autoscaler just wrote.
        AutoscalerDecision? scaling = null;
        var replicas = spec.Replicas ?? GameFleetDefaults.Replicas;
        if (deletion is null && spec.Autoscaling is { } autoscaling)
        {
            // Allocated servers are all of the active revision (old ones are Draining), whatever the spec says now.
            var allocated = observed.Count(p => !p.Terminating && p.State == ServerState.Allocated);
            // A session whose server is reserved but whose status is not written yet is counted once, as Allocated.
            var reserved = pods.Select(PodObservation.Session).OfType<string>().ToHashSet(StringComparer.Ordinal);
            var pending = _sessions.Cache.ByIndex(SessionsByFleet, key).Count(s => IsDemand(s) && !reserved.Contains(s.Metadata.Name));
            var policy = BufferPolicyOf(autoscaling);
            scaling = BufferAutoscaler.Decide(policy, new AutoscalerInput(replicas, allocated, pending, now), _autoscaler.GetValueOrDefault(key, AutoscalerState.Empty));
            _autoscaler[key] = scaling.State;
            if (scaling.Replicas != replicas)
            {
                fleet = await ScaleAsync(fleet, replicas, scaling, cancellationToken).ConfigureAwait(false);
                replicas = scaling.Replicas;
            }
        }

        var crashLoops = _crashLoops.GetValueOrDefault(key) ?? NoCrashLoops;
        var health = new HealthSettings(TimeSpan.FromSeconds(spec.Health!.UnhealthyAfterSeconds ?? 30), spec.Health.MaxRestarts ?? 3);
        RolloutDecision? rollout = null;
        var active = fleet.Status?.ActiveRevision is { Length: > 0 } recorded ? recorded : specRevision;
        if (deletion is null)
        {
            await EnsureRevisionAsync(fleet, specRevision, cancellationToken).ConfigureAwait(false);
            var blueGreen = spec.Strategy?.BlueGreen;
            rollout = RolloutPlanner.Plan(new RolloutObservation(
                specRevision,
                RolloutStateOf(fleet.Status),
                new BlueGreenSettings(
                    blueGreen?.AutoPromote ?? GameFleetDefaults.AutoPromote,
                    blueGreen?.ReadyPercent ?? GameFleetDefaults.ReadyPercent,
                    TimeSpan.FromSeconds(blueGreen?.ProgressDeadlineSeconds ?? GameFleetDefaults.ProgressDeadlineSeconds)),
                PodObservation.Get(fleet.Metadata.Annotations, WellKnown.PromoteAnnotation),
                replicas,
                observed,
                health.MaxRestarts,
                now,
                GreenCrashLooping: specRevision != active && CrashLoopBackoff.IsCrashLooping(crashLoops.GetValueOrDefault(specRevision), specRevision)));
            active = rollout.Active;
            if (rollout.Promoted)
            {
                // Allocation follows status.activeRevision: switch it before blue's free servers are deleted.
                fleet = await WriteRolloutAsync(fleet, rollout, cancellationToken).ConfigureAwait(false);
            }
            foreach (var e in rollout.Events)
            {
                RecordRolloutEvent(fleet, e);
            }
        }

        var green = rollout?.Green;
        var plan = FleetPlanner.Plan(new FleetObservation(
            replicas,
            active,
            spec.Scheduling ?? GameFleetDefaults.Scheduling,
            health,
            observed,
            now,
            CreatesAllowed: now >= CrashLoopBackoff.NextCreateAt(crashLoops.GetValueOrDefault(active), active),
            Deletion: deletion,
            Green: green,
            GreenCreatesAllowed: green is null || now >= CrashLoopBackoff.NextCreateAt(crashLoops.GetValueOrDefault(green), green)));

        var keptRevisions = new[] { active, green }.OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        // Only the kept revisions carry over: one no longer kept (failed, superseded, replaced) needs no back-off.
        var nextLoops = new Dictionary<string, CrashLoopState>(StringComparer.Ordinal);
        foreach (var kept in keptRevisions)
        {
            var failures = plan.Deletes.Count(d => d.Reason == DeletionReason.Unhealthy && d.Pod.Revision == kept);
            if (CrashLoopBackoff.Record(crashLoops.GetValueOrDefault(kept), kept, failures, now) is { } updated)
            {
                nextLoops[kept] = updated;
            }
        }
        if (nextLoops.Count > 0)
        {
            _crashLoops[key] = nextLoops;
        }
        else
        {
            _crashLoops.TryRemove(key, out _);
        }
        crashLoops = nextLoops;

        var byName = pods.ToDictionary(p => p.Metadata.Name, StringComparer.Ordinal);
        await DeleteAsync(fleet, plan.Deletes, byName, cancellationToken).ConfigureAwait(false);
        await RelabelAsync(plan.MarkDraining, byName, WellKnown.States.Allocated, WellKnown.States.Draining, cancellationToken).ConfigureAwait(false);
        await RelabelAsync(plan.MarkReady, byName, null, WellKnown.States.Ready, cancellationToken).ConfigureAwait(false);
        var (wanted, created) = (0, 0);
        foreach (var (revision, count) in plan.Creates)
        {
            // Blue, while the spec describes green, is made from its ControllerRevision.
            if (FleetAt(fleet, specRevision, revision) is not { } shaped)
            {
                RecordMissingRevision(fleet, revision);
                continue;
            }
            wanted += count;
            created += await CreateAsync(shaped, key, revision, count, cancellationToken).ConfigureAwait(false);
        }

        if (plan.ReleaseFinalizer)
        {
            await RemoveFinalizerAsync(fleet, cancellationToken).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        var backingOff = CrashLoopBackoff.IsCrashLooping(crashLoops.GetValueOrDefault(active), active);
        var statusDeferred = await WriteStatusAsync(fleet, active, rollout, replicas, plan, scaling, backingOff, created < wanted, now, cancellationToken).ConfigureAwait(false);
        if (rollout is not null)
        {
            await PruneRevisionsAsync(fleet, new HashSet<string>(StringComparer.Ordinal) { rollout.Active, rollout.Target }, cancellationToken).ConfigureAwait(false);
        }

        var recheck = Earliest(Earliest(Earliest(plan.RecheckAt, scaling?.RecheckAt), statusDeferred), rollout?.RecheckAt);
        foreach (var kept in keptRevisions)
        {
            var blockedUntil = CrashLoopBackoff.NextCreateAt(crashLoops.GetValueOrDefault(kept), kept);
            if (deletion is null && blockedUntil > now)
            {
                // Creations are held back: look again when the back-off ends.
                recheck = Earliest(recheck, blockedUntil);
            }
        }
        var result = ReconcileResult.RequeueAfter(SafetyResync);
        if (recheck is { } at)
        {
            result = result.Min(ReconcileResult.RequeueAfter(at > now ? at - now : TimeSpan.Zero));
        }
        return result;
    }

    private void RecordRolloutEvent(GameFleet fleet, RolloutEvent e)
    {
        if (e.Warning)
        {
            _setup.Events.RecordWarning(fleet, e.Reason, e.Message);
        }
        else
        {
            _setup.Events.RecordNormal(fleet, e.Reason, e.Message);
        }
        Log.Rollout(_logger, fleet.Metadata.NamespaceProperty, fleet.Metadata.Name, e.Reason, e.Message);
    }

    private static bool IsDemand(GameSession session) =>
        session.Metadata.DeletionTimestamp is null
        && session.Status?.Phase is null or SessionPhase.Pending
        && session.Metadata.Labels?.ContainsKey(WellKnown.ServerLabel) != true;

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

    private async Task<GameFleet> EnsureFinalizerAsync(GameFleet fleet, CancellationToken cancellationToken)
    {
        var finalizers = fleet.Metadata.Finalizers?.ToList() ?? [];
        var drain = fleet.Spec.Deletion?.Policy != DeletionPolicy.Immediate;
        if (drain == finalizers.Contains(WellKnown.DrainFinalizer))
        {
            return fleet;
        }
        if (drain)
        {
            finalizers.Add(WellKnown.DrainFinalizer);
        }
        else
        {
            finalizers.Remove(WellKnown.DrainFinalizer);
        }
        return await PatchFleetMetadataAsync(fleet, finalizers, cancellationToken).ConfigureAwait(false);
    }

    private async Task RemoveFinalizerAsync(GameFleet fleet, CancellationToken cancellationToken)
    {
        var finalizers = fleet.Metadata.Finalizers?.Where(f => f != WellKnown.DrainFinalizer).ToList() ?? [];
        await PatchFleetMetadataAsync(fleet, finalizers, cancellationToken).ConfigureAwait(false);
        Log.FinalizerReleased(_logger, fleet.Metadata.NamespaceProperty, fleet.Metadata.Name);
    }

    private async Task<GameFleet> PatchFleetMetadataAsync(GameFleet fleet, List<string> finalizers, CancellationToken cancellationToken)
    {
        // The resourceVersion makes the merge patch conditional: a finalizer list is replaced whole.
        var patch = new { metadata = new { finalizers, resourceVersion = fleet.Metadata.ResourceVersion } };
        var response = await _setup.Client.CustomObjects.PatchNamespacedCustomObjectAsync<GameFleet>(
            new V1Patch(patch, V1Patch.PatchType.MergePatch), GridGameApi.Group, GridGameApi.Version,
            fleet.Metadata.NamespaceProperty, GameFleet.KubePluralName, fleet.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        _fleets.Cache.Upsert(response);
        return GameFleetDefaults.Apply(Clone(response));
    }

    private async Task<GameFleet> ScaleAsync(GameFleet fleet, int from, AutoscalerDecision decision, CancellationToken cancellationToken)
    {
        var patch = new { metadata = new { resourceVersion = fleet.Metadata.ResourceVersion }, spec = new { replicas = decision.Replicas } };
        var response = await _setup.Client.CustomObjects.PatchNamespacedCustomObjectAsync<GameFleet>(
            new V1Patch(patch, V1Patch.PatchType.MergePatch), GridGameApi.Group, GridGameApi.Version,
            fleet.Metadata.NamespaceProperty, GameFleet.KubePluralName, fleet.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        _fleets.Cache.Upsert(response);
        _setup.Events.RecordNormal(fleet, decision.Reason, string.Create(CultureInfo.InvariantCulture, $"replicas {from} → {decision.Replicas}: {decision.Message}"));
        Log.Scaled(_logger, fleet.Metadata.NamespaceProperty, fleet.Metadata.Name, from, decision.Replicas, decision.Message);
        return GameFleetDefaults.Apply(Clone(response));
    }

    private async Task DeleteAsync(GameFleet fleet, IReadOnlyList<PodDeletion> deletes, Dictionary<string, V1Pod> pods, CancellationToken cancellationToken)
    {
        if (deletes.Count == 0)
        {
            return;
        }
        await Parallel.ForEachAsync(deletes, new ParallelOptions { MaxDegreeOfParallelism = WriteConcurrency, CancellationToken = cancellationToken }, async (deletion, ct) =>
        {
            var pod = pods[deletion.Pod.Name];
            // Unless the pod is unhealthy, delete only the version we looked at: if allocation took it meanwhile
            // (its resourceVersion moved), the delete fails and the Allocated server lives.
            var options = deletion.Reason == DeletionReason.Unhealthy
                ? null
                : new V1DeleteOptions { Preconditions = new V1Preconditions { ResourceVersion = pod.Metadata.ResourceVersion, Uid = pod.Metadata.Uid } };
            try
            {
                var response = await _setup.Client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, options, cancellationToken: ct).ConfigureAwait(false);
                if (response?.Metadata?.DeletionTimestamp is not null && response.Metadata.Name == pod.Metadata.Name)
                {
                    _pods.Cache.Upsert(response);
                }
                else
                {
                    _pods.Cache.Remove(ObjectKey.Of(pod));
                }
            }
            catch (Exception e) when (ApiErrors.IsLostRace(e))
            {
                return;
            }
            if (deletion.Reason == DeletionReason.Unhealthy)
            {
                _setup.Events.RecordWarning(fleet, "UnhealthyReplaced", $"server {pod.Metadata.Name} replaced: {deletion.Detail}");
            }
            Log.PodDeleted(_logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, deletion.Reason.ToString());
        }).ConfigureAwait(false);
        var surplus = deletes.Count(d => d.Reason is DeletionReason.Surplus or DeletionReason.OldRevision);
        if (surplus > 0)
        {
            _setup.Events.RecordNormal(fleet, "ServersDeleted", string.Create(CultureInfo.InvariantCulture, $"deleted {surplus} surplus or old-revision servers"));
        }
    }

    private async Task RelabelAsync(IReadOnlyList<FleetPod> targets, Dictionary<string, V1Pod> pods, string? from, string to, CancellationToken cancellationToken)
    {
        if (targets.Count == 0)
        {
            return;
        }
        await Parallel.ForEachAsync(targets, new ParallelOptions { MaxDegreeOfParallelism = WriteConcurrency, CancellationToken = cancellationToken }, async (target, ct) =>
        {
            var pod = pods[target.Name];
            // Draining is conditional on the state label we saw (JSON Patch test).
            // A Starting pod cannot have been allocated (allocation tests for state Ready), so labelling it Ready needs
            // no precondition; pinning its resourceVersion would only collide with the kubelet's status updates.
            var patch = from is null
                ? new V1Patch(new { metadata = new { labels = new Dictionary<string, string> { [WellKnown.StateLabel] = to } } }, V1Patch.PatchType.MergePatch)
                : new V1Patch(new object[]
                {
                    new { op = "test", path = StateLabelPath, value = from },
                    new { op = "replace", path = StateLabelPath, value = to },
                }, V1Patch.PatchType.JsonPatch);
            try
            {
                var response = await _setup.Client.CoreV1.PatchNamespacedPodAsync(patch, pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: ct).ConfigureAwait(false);
                _pods.Cache.Upsert(response);
            }
            catch (Exception e) when (ApiErrors.IsLostRace(e))
            {
                // Changed under us; the change enqueues the fleet again.
            }
        }).ConfigureAwait(false);
    }

    internal const string StateLabelPath = "/metadata/labels/gridgame.io~1state";

    private async Task<int> CreateAsync(GameFleet fleet, string key, string revision, int count, CancellationToken cancellationToken)
    {
        if (count <= 0)
        {
            return 0;
        }
        var dynamicPorts = PodFactory.DynamicPortCount(fleet.Spec);
        var pods = new List<V1Pod>(count);
        if (dynamicPorts > 0)
        {
            var usage = PortUsage();
            var nodeCount = _nodes.Cache.List().Count(n => n.Spec?.Unschedulable != true);
            for (var i = 0; i < count; i++)
            {
                var ports = PortAllocator.Allocate(_portRange, dynamicPorts, usage, nodeCount);
                if (ports is null)
                {
                    _setup.Events.RecordWarning(fleet, "PortsExhausted", $"no free hostPort in {_portRange} on {nodeCount} nodes for {count - i} more servers");
                    break;
                }
                pods.Add(PodFactory.Create(fleet, revision, ports));
            }
        }
        else
        {
            for (var i = 0; i < count; i++)
            {
                pods.Add(PodFactory.Create(fleet, revision, []));
            }
        }

        _setup.Expectations.ExpectCreations(key, pods.Count);
        var created = 0;
        await Parallel.ForEachAsync(pods, new ParallelOptions { MaxDegreeOfParallelism = WriteConcurrency, CancellationToken = cancellationToken }, async (pod, ct) =>
        {
            try
            {
                var response = await _setup.Client.CoreV1.CreateNamespacedPodAsync(pod, fleet.Metadata.NamespaceProperty, cancellationToken: ct).ConfigureAwait(false);
                // The cache's Added event reports the creation to the expectations.
                if (!_pods.Cache.Upsert(response))
                {
                    _setup.Expectations.CreationObserved(key);
                }
                Interlocked.Increment(ref created);
            }
            catch
            {
                _setup.Expectations.CreationObserved(key);
                throw;
            }
        }).ConfigureAwait(false);
        if (created > 0)
        {
            _setup.Events.RecordNormal(fleet, "ServersCreated", string.Create(CultureInfo.InvariantCulture, $"created {created} servers of revision {revision}"));
        }
        return created;
    }

    /// <summary>How many live pods hold each hostPort of the range, across the cluster.</summary>
    private Dictionary<int, int> PortUsage()
    {
        var usage = new Dictionary<int, int>();
        foreach (var pod in _pods.Cache.List())
        {
            if (PodObservation.IsTerminating(pod) || PodObservation.IsFailed(pod))
            {
                continue;
            }
            foreach (var port in PodObservation.HostPorts(pod))
            {
                if (_portRange.Contains(port))
                {
                    usage[port] = usage.GetValueOrDefault(port) + 1;
                }
            }
        }
        return usage;
    }

    private static GameFleet Clone(GameFleet fleet) => KubernetesJson.Deserialize<GameFleet>(KubernetesJson.Serialize(fleet));

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : (a < b ? a : b);

    private static partial class Log
    {
        [LoggerMessage(1001, LogLevel.Information, "Fleet {Namespace}/{Fleet} scaled {From} -> {To}: {Reason}")]
        public static partial void Scaled(ILogger logger, string @namespace, string fleet, int from, int to, string reason);

        [LoggerMessage(1002, LogLevel.Debug, "Pod {Namespace}/{Pod} deleted ({Reason})")]
        public static partial void PodDeleted(ILogger logger, string @namespace, string pod, string reason);

        [LoggerMessage(1003, LogLevel.Information, "Fleet {Namespace}/{Fleet} drained; finalizer released")]
        public static partial void FinalizerReleased(ILogger logger, string @namespace, string fleet);

        [LoggerMessage(1004, LogLevel.Warning, "Fleet {Namespace}/{Fleet} is invalid: {Errors}")]
        public static partial void Invalid(ILogger logger, string @namespace, string fleet, string errors);

        [LoggerMessage(1005, LogLevel.Information, "Fleet {Namespace}/{Fleet} rollout {Reason}: {Message}")]
        public static partial void Rollout(ILogger logger, string @namespace, string fleet, string reason, string message);
    }
}
