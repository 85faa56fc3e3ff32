using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using GridGame.Crds;
using GridGame.Crds.Validation;
using GridGame.Operator.Allocation;
using GridGame.Operator.Controllers;
using GridGame.Operator.Fleets;
using GridGame.Operator.Runtime;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace GridGame.Operator.Sessions;

/// <summary>
/// Binds GameSessions to Ready servers (docs/design.md, "Allocation"): observe (caches) → decide
/// (<see cref="SessionPlanner"/>, <see cref="AllocationPicker"/>) → act. The pod is reserved first with a JSON Patch
/// whose `test` ops pin its resourceVersion and state label, so no pod is ever given twice; then the session gets
/// its status and the `gridgame.io/server` label. Responses go straight into the cache, so a burst of sessions is
/// served at the speed of the API rather than of the watch.
/// </summary>
internal sealed partial class SessionController : IController
{
    /// <summary>Index of pods by <c>namespace/gridgame.io/session annotation</c>: the pod half of a binding.</summary>
    public const string PodsBySession = "pod-session";

    private const int MaxAttempts = 16;
    private const string FleetFoundReason = "FleetFound";

    /// <summary>Candidates picked per allocation: the attempts plus room for pods other workers take meanwhile.</summary>
    private const int CandidateCount = 2 * MaxAttempts;
    private static readonly TimeSpan PendingRetry = TimeSpan.FromSeconds(1);

    /// <summary>Read in place of a missing spec (the validator fails such a session); never written to.</summary>
    private static readonly GameSessionSpec NoSpec = new();

    /// <summary>Pods a worker is reserving right now, so concurrent reconciles try different ones first.</summary>
    private readonly ConcurrentDictionary<string, byte> _reserving = new(StringComparer.Ordinal);
    private readonly ServerIndex _servers = new();
    private readonly Func<string, bool> _isReserving;
    private readonly Func<string, ServerIndex.Entry?> _readServer;
    private readonly ConditionalWeakTable<GameFleet, GameFleet> _defaultedFleets = new();
    private ControllerSetup _setup = null!;
    private DateTimeOffset _pendingCountedAt;
    private Informer<GameSession> _sessions = null!;
    private Informer<V1Pod> _pods = null!;
    private Informer<GameFleet> _fleets = null!;
    private Informer<V1Node> _nodes = null!;
    private ILogger _logger = null!;

    public SessionController()
    {
        _isReserving = _reserving.ContainsKey;
        _readServer = ReadServer;
    }

    public string Name => "session";

    /// <summary>Where the allocation metrics go; the host's registry when it provides one.</summary>
    public SessionMetrics Metrics { get; private set; } = new(Prometheus.Metrics.NewCustomRegistry());

    public void Setup(ControllerSetup setup)
    {
        _setup = setup;
        _logger = setup.Logger;
        if (setup.MetricsRegistry is { } registry)
        {
            Metrics = new SessionMetrics(registry);
        }
        _sessions = setup.For<GameSession>();
        _sessions.Cache.AddIndex(FleetController.SessionsByFleet, s => s.Spec?.FleetName is { } fleet ? [ObjectKey.Of(s.Metadata.NamespaceProperty, fleet)] : []);
        _pods = setup.Informer<V1Pod>();
        _pods.Cache.AddHandler(OnPodChanged);
        _pods.Cache.AddIndex(PodsBySession, p => PodObservation.Session(p) is { } s ? [ObjectKey.Of(p.Metadata.NamespaceProperty, s)] : []);
        _fleets = setup.Informer<GameFleet>();
        _fleets.Cache.AddHandler(OnFleetChanged);
        _nodes = setup.Informer<V1Node>(ResourceType.For<V1Node>(namespaced: false));
    }

    /// <summary>
    /// A pod change concerns the session it serves (before and after); a pod that just turned into a Ready server
    /// also wakes a few sessions of its fleet that are waiting for one.
    /// </summary>
    private void OnPodChanged(CacheEvent<V1Pod> change)
    {
        _servers.Refresh(ObjectKey.Of(change.Object), _readServer);
        foreach (var pod in new[] { change.Old, change.New })
        {
            if (pod is not null && PodObservation.Session(pod) is { } session)
            {
                _setup.Queue.Add(ObjectKey.Of(pod.Metadata.NamespaceProperty, session));
            }
        }
        if (change.New is { } now && IsServer(now) && (change.Old is null || !IsServer(change.Old))
            && PodObservation.Get(now.Metadata.Labels, WellKnown.FleetLabel) is { } fleet)
        {
            foreach (var waiting in _sessions.Cache.ByIndex(FleetController.SessionsByFleet, ObjectKey.Of(now.Metadata.NamespaceProperty, fleet)).Where(IsPending).Take(4))
            {
                _setup.Queue.Add(ObjectKey.Of(waiting));
            }
        }
    }

    /// <summary>A fleet that arrives wakes the sessions that were waiting for it (applied together, the session may come first).</summary>
    private void OnFleetChanged(CacheEvent<GameFleet> change)
    {
        if (change is not { Old: null, New: { } fleet })
        {
            return;
        }
        foreach (var waiting in _sessions.Cache.ByIndex(FleetController.SessionsByFleet, ObjectKey.Of(fleet)).Where(IsPending))
        {
            _setup.Queue.Add(ObjectKey.Of(waiting));
        }
    }

    private static bool IsServer(V1Pod pod) => PodObservation.State(pod) == ServerState.Ready && PodObservation.IsReady(pod) && !PodObservation.IsTerminating(pod);

    private static bool IsPending(GameSession s) =>
        s.Metadata.DeletionTimestamp is null && s.Status?.Phase is null or SessionPhase.Pending && s.Metadata.Labels?.ContainsKey(WellKnown.ServerLabel) != true;

    public async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var cached = _sessions.Cache.Get(key);
        if (cached is null)
        {
            await ReleaseOrphansAsync(key, cancellationToken).ConfigureAwait(false);
            return ReconcileResult.Done;
        }
        // The cached session is shared and read-only here: every write below builds its own patch, and the spec
        // defaults are read with `??` where used (as GameSessionDefaults would fill them), so no deep copy per reconcile.
        var session = cached;
        var now = _setup.Time.GetUtcNow();
        var ns = session.Metadata.NamespaceProperty;
        var fleet = session.Spec?.FleetName is { } fleetName ? _fleets.Cache.Get(ns, fleetName) : null;
        fleet = fleet is null ? null : Defaulted(fleet);
        var observation = Observe(session, fleet, now);
        var decision = SessionPlanner.Decide(observation);
        if (decision is { Step: SessionStep.Fail, Reason: WellKnown.SessionReasons.FleetNotFound } && await ReadFleetAsync(session, cancellationToken).ConfigureAwait(false) is { } arrived)
        {
            // The cache had not seen the fleet yet: failing is final, so the API server has the last word.
            fleet = Defaulted(arrived);
            observation = Observe(session, fleet, now);
            decision = SessionPlanner.Decide(observation);
        }
        Log.Decided(_logger, ns, session.Metadata.Name, decision.Step.ToString(), decision.Reason ?? "", decision.Server ?? "");
        if (now - _pendingCountedAt > TimeSpan.FromSeconds(1))
        {
            _pendingCountedAt = now;
            Metrics.Pending(_sessions.Cache.List().Count(IsPending));
        }

        switch (decision.Step)
        {
            case SessionStep.Allocate:
                if (await AllocateAsync(session, fleet!, now, cancellationToken).ConfigureAwait(false))
                {
                    return ReconcileResult.Done;
                }
                var noCapacity = SessionPlanner.NoCapacity(observation);
                if (noCapacity.Step == SessionStep.Fail)
                {
                    await FailAsync(session, noCapacity, now, cancellationToken).ConfigureAwait(false);
                    return ReconcileResult.Done;
                }
                await MarkPendingAsync(session, fleetFound: true, "waiting for a Ready server", now, cancellationToken).ConfigureAwait(false);
                return Until(noCapacity.RecheckAt, now, cap: PendingRetry);

            case SessionStep.AwaitFleet:
                await MarkPendingAsync(session, fleetFound: false, decision.Message ?? "", now, cancellationToken).ConfigureAwait(false);
                return Until(decision.RecheckAt, now, cap: null);

            case SessionStep.CompleteBinding:
                var pod = _pods.Cache.Get(ns, decision.Server!);
                if (pod is not null && fleet is null && await ReadFleetAsync(session, cancellationToken).ConfigureAwait(false) is { } current)
                {
                    fleet = Defaulted(current);
                }
                if (pod is not null && fleet is not null)
                {
                    await BindAsync(session, pod, fleet, now, cancellationToken).ConfigureAwait(false);
                }
                else if (pod is not null)
                {
                    await FailAsync(session, new SessionDecision(SessionStep.Fail, WellKnown.SessionReasons.FleetNotFound, "the fleet was deleted"), now, cancellationToken).ConfigureAwait(false);
                }
                return ReconcileResult.Done;

            case SessionStep.Fail:
                await FailAsync(session, decision, now, cancellationToken).ConfigureAwait(false);
                return ReconcileResult.Done;

            case SessionStep.Release:
                await ReleaseAsync(session, decision.Server!, cancellationToken).ConfigureAwait(false);
                return ReconcileResult.Done;

            case SessionStep.Finalize:
                if (decision.Server is { } server)
                {
                    await ReleaseAsync(session, server, cancellationToken).ConfigureAwait(false);
                }
                await RemoveFinalizerAsync(session, cancellationToken).ConfigureAwait(false);
                return ReconcileResult.Done;

            case SessionStep.Delete:
                await DeleteSessionAsync(session, cancellationToken).ConfigureAwait(false);
                return ReconcileResult.Done;

            default:
                return Until(decision.RecheckAt, now, cap: null);
        }
    }

    private SessionObservation Observe(GameSession session, GameFleet? fleet, DateTimeOffset now)
    {
        var ns = session.Metadata.NamespaceProperty;
        var bound = PodObservation.Get(session.Metadata.Labels, WellKnown.ServerLabel);
        var server = bound is null ? null : _pods.Cache.Get(ns, bound);
        var reserved = _pods.Cache.ByIndex(PodsBySession, ObjectKey.Of(session)).OrderBy(p => PodObservation.IsTerminating(p)).FirstOrDefault();
        var errors = GameSessionValidator.Validate(session, fleet);
        var spec = session.Spec ?? NoSpec;
        return new SessionObservation(
            session.Metadata.Name,
            session.Status?.Phase,
            Utc(session.Metadata.CreationTimestamp) ?? now,
            Utc(session.Status?.FinishedAt),
            TimeSpan.FromSeconds(spec.AllocationTimeoutSeconds ?? GameSessionDefaults.AllocationTimeoutSeconds),
            TimeSpan.FromSeconds(spec.TtlSecondsAfterFinished ?? GameSessionDefaults.TtlSecondsAfterFinished),
            session.Metadata.DeletionTimestamp is not null,
            bound,
            server is null ? null : PodObservation.ToSessionServer(server),
            reserved is null ? null : PodObservation.ToSessionServer(reserved),
            fleet is not null,
            errors.Count > 0 ? FieldError.Summarize(errors) : null,
            now);
    }

    /// <summary>
    /// The defaulted copy of a cached fleet, made once per fleet version: cached objects are replaced, never
    /// changed, so the cached instance is the memo's key and a new version simply misses.
    /// </summary>
    private GameFleet Defaulted(GameFleet cached) =>
        _defaultedFleets.GetValue(cached, static f => GameFleetDefaults.WithDefaults(f));

    /// <summary>Tries the best few candidates in order; true once a pod is reserved and the session bound.</summary>
    private async Task<bool> AllocateAsync(GameSession session, GameFleet fleet, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var activity = OperatorTracing.Source.StartActivity("allocate");
        var ns = session.Metadata.NamespaceProperty;
        var revision = fleet.Status?.ActiveRevision is { Length: > 0 } active ? active : RevisionHash.Of(fleet.Spec);
        var uid = fleet.Metadata.Uid;
        if (!_servers.Knows(uid))
        {
            // Pod events keep the index current; a fleet whose pods were cached before any event reached it is read once.
            foreach (var pod in _pods.Cache.ByIndex(CacheIndexes.Owner, uid))
            {
                _servers.Refresh(ObjectKey.Of(pod), _readServer);
            }
        }
        var candidates = _servers.Best(uid, revision, new LabelSelectorMatcher(session.Spec?.Selector), fleet.Spec.Scheduling ?? SchedulingStrategy.Packed, CandidateCount, _isReserving);

        var attempts = 0;
        if (candidates.Count == 0)
        {
            Log.NoCapacity(_logger, ns, session.Metadata.Name, 0, revision, _pods.Cache.ByIndex(CacheIndexes.Owner, uid).Count);
        }
        foreach (var candidate in candidates)
        {
            if (attempts >= MaxAttempts)
            {
                break;
            }
            // The freshest cached version: a pod another worker reserved since the pick is skipped without a write.
            var pod = _pods.Cache.Get(candidate.Key);
            if (pod is null || PodObservation.State(pod) != ServerState.Ready || PodObservation.IsTerminating(pod))
            {
                continue;
            }
            var podKey = candidate.Key;
            if (!_reserving.TryAdd(podKey, 0))
            {
                continue;
            }
            attempts++;
            try
            {
                var reserved = await ReserveAsync(pod, session.Metadata.Name, cancellationToken).ConfigureAwait(false);
                if (reserved is null)
                {
                    continue;
                }
                await BindAsync(session, reserved, fleet, now, cancellationToken).ConfigureAwait(false);
                return true;
            }
            finally
            {
                _reserving.TryRemove(podKey, out _);
            }
        }
        return false;
    }

    /// <summary>The index's view of a cached pod: a server of the fleet that controls it, or nothing.</summary>
    private ServerIndex.Entry? ReadServer(string key) =>
        _pods.Cache.Get(key) is { } pod && CacheIndexes.ByControllerOwnerUid(pod).FirstOrDefault() is { } fleet
            ? new ServerIndex.Entry(key, fleet, PodObservation.ToAllocatable(pod))
            : null;

    /// <summary>The pod half of the binding; null when another allocation or a deletion got there first.</summary>
    private async Task<V1Pod?> ReserveAsync(V1Pod pod, string session, CancellationToken cancellationToken)
    {
        var annotation = pod.Metadata.Annotations is null
            ? new { op = "add", path = "/metadata/annotations", value = (object)new Dictionary<string, string> { [WellKnown.SessionAnnotation] = session } }
            : new { op = "add", path = SessionAnnotationPath, value = (object)session };
        var patch = new V1Patch(new object[]
        {
            new { op = "test", path = "/metadata/resourceVersion", value = pod.Metadata.ResourceVersion },
            new { op = "test", path = FleetController.StateLabelPath, value = WellKnown.States.Ready },
            new { op = "replace", path = FleetController.StateLabelPath, value = WellKnown.States.Allocated },
            annotation,
        }, V1Patch.PatchType.JsonPatch);
        try
        {
            var response = await _setup.Client.CoreV1.PatchNamespacedPodAsync(patch, pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            _pods.Cache.Upsert(response);
            return response;
        }
        catch (Exception e) when (ApiErrors.IsLostRace(e))
        {
            Log.ReserveConflict(_logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, session);
            return null;
        }
    }

    private const string SessionAnnotationPath = "/metadata/annotations/gridgame.io~1session";

    /// <summary>The session half of the binding: status Allocated with the address, then the server label and the release finalizer.</summary>
    private async Task BindAsync(GameSession session, V1Pod pod, GameFleet fleet, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var ns = session.Metadata.NamespaceProperty;
        if (session.Status?.Phase is null or SessionPhase.Pending)
        {
            var node = pod.Spec?.NodeName is { } nodeName ? _nodes.Cache.Get(null, nodeName) : null;
            var endpoint = ServerAddress.For(pod, node, PodFactory.Ports(fleet.Spec)[0]);
            var conditions = Conditions.Set(session.Status?.Conditions, WellKnown.SessionConditions.Allocated, true, "Allocated", $"server {pod.Metadata.Name}", now, session.Metadata.Generation);
            if (conditions.Any(c => c.Type == WellKnown.SessionConditions.FleetFound))
            {
                conditions = Conditions.Set(conditions, WellKnown.SessionConditions.FleetFound, true, FleetFoundReason, $"fleet {fleet.Metadata.Name}", now, session.Metadata.Generation);
            }
            var status = new
            {
                phase = SessionPhase.Allocated.ToString(),
                reason = (string?)null,
                message = (string?)null,
                serverName = pod.Metadata.Name,
                nodeName = pod.Spec?.NodeName,
                address = endpoint?.Address,
                port = endpoint?.Port,
                url = endpoint?.Url(session.Metadata.Name),
                allocatedAt = now.UtcDateTime,
                conditions,
            };
            var response = await _setup.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync<GameSession>(
                new V1Patch(new { status }, V1Patch.PatchType.MergePatch), GridGameApi.Group, GridGameApi.Version, ns, GameSession.KubePluralName,
                session.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
            _sessions.Cache.Upsert(response);
            session = response;
            var created = Utc(session.Metadata.CreationTimestamp) ?? now;
            Metrics.Allocated(now - created);
            _setup.Events.RecordNormal(session, "Allocated", string.Create(CultureInfo.InvariantCulture, $"server {pod.Metadata.Name} on {pod.Spec?.NodeName} at {endpoint?.Address}:{endpoint?.Port}"));
        }

        var labels = session.Metadata.Labels;
        var finalizers = session.Metadata.Finalizers?.ToList() ?? [];
        if (PodObservation.Get(labels, WellKnown.ServerLabel) != pod.Metadata.Name || !finalizers.Contains(WellKnown.ReleaseFinalizer))
        {
            if (!finalizers.Contains(WellKnown.ReleaseFinalizer))
            {
                finalizers.Add(WellKnown.ReleaseFinalizer);
            }
            var patch = new
            {
                metadata = new
                {
                    resourceVersion = session.Metadata.ResourceVersion,
                    labels = new Dictionary<string, string> { [WellKnown.ServerLabel] = pod.Metadata.Name },
                    finalizers,
                },
            };
            var response = await _setup.Client.CustomObjects.PatchNamespacedCustomObjectAsync<GameSession>(
                new V1Patch(patch, V1Patch.PatchType.MergePatch), GridGameApi.Group, GridGameApi.Version, ns, GameSession.KubePluralName,
                session.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
            _sessions.Cache.Upsert(response);
        }
        Log.Allocated(_logger, ns, session.Metadata.Name, pod.Metadata.Name);
    }

    /// <summary>
    /// Shows a waiting session as waiting: phase Pending, why in <c>message</c>, and condition FleetFound. Written
    /// only when something changed, so a session polled for capacity costs no write per poll; a session allocated on
    /// its first reconcile goes straight to Allocated without it.
    /// </summary>
    private async Task MarkPendingAsync(GameSession session, bool fleetFound, string message, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var current = session.Status;
        var fleetMessage = fleetFound ? $"fleet {session.Spec?.FleetName}" : $"fleet {session.Spec?.FleetName} does not exist";
        var conditions = Conditions.Set(current?.Conditions, WellKnown.SessionConditions.FleetFound, fleetFound,
            fleetFound ? FleetFoundReason : WellKnown.SessionReasons.FleetNotFound, fleetMessage, now, session.Metadata.Generation);
        if (current?.Phase == SessionPhase.Pending && current.Message == message && Conditions.SameAs(current.Conditions, conditions))
        {
            return;
        }
        // Pinned to the version read: a status written meanwhile (an allocation) is never turned back into Pending.
        var patch = new { metadata = new { resourceVersion = session.Metadata.ResourceVersion }, status = new { phase = SessionPhase.Pending.ToString(), message, conditions } };
        try
        {
            var response = await _setup.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync<GameSession>(
                new V1Patch(patch, V1Patch.PatchType.MergePatch), GridGameApi.Group, GridGameApi.Version, session.Metadata.NamespaceProperty,
                GameSession.KubePluralName, session.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
            _sessions.Cache.Upsert(response);
        }
        catch (Exception e) when (ApiErrors.IsLostRace(e))
        {
            // Changed or deleted meanwhile: its watch event brings the session back to the queue.
        }
    }

    /// <summary>The fleet as the API server has it now (null when it does not exist), put in the cache when found.</summary>
    private async Task<GameFleet?> ReadFleetAsync(GameSession session, CancellationToken cancellationToken)
    {
        if (session.Spec?.FleetName is not { Length: > 0 } name)
        {
            return null;
        }
        try
        {
            var fleet = await _setup.Client.CustomObjects.GetNamespacedCustomObjectAsync<GameFleet>(
                GridGameApi.Group, GridGameApi.Version, session.Metadata.NamespaceProperty, GameFleet.KubePluralName, name,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            _fleets.Cache.Upsert(fleet);
            return fleet;
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e))
        {
            return null;
        }
    }

    private async Task FailAsync(GameSession session, SessionDecision decision, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var wasPending = session.Status?.Phase is null or SessionPhase.Pending;
        var conditions = session.Status?.Conditions?.ToList();
        if (decision.Reason == WellKnown.SessionReasons.Invalid)
        {
            conditions = Conditions.Set(conditions, WellKnown.SessionConditions.Invalid, true, WellKnown.SessionReasons.Invalid, decision.Message ?? "", now, session.Metadata.Generation);
        }
        var status = new
        {
            phase = SessionPhase.Failed.ToString(),
            reason = decision.Reason,
            message = decision.Message,
            finishedAt = now.UtcDateTime,
            conditions,
        };
        var response = await _setup.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync<GameSession>(
            new V1Patch(new { status }, V1Patch.PatchType.MergePatch), GridGameApi.Group, GridGameApi.Version, session.Metadata.NamespaceProperty,
            GameSession.KubePluralName, session.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        _sessions.Cache.Upsert(response);
        if (wasPending)
        {
            Metrics.Failed(decision.Reason ?? "Failed");
        }
        _setup.Events.RecordWarning(session, decision.Reason ?? "Failed", decision.Message ?? "");
        Log.Failed(_logger, session.Metadata.NamespaceProperty, session.Metadata.Name, decision.Reason ?? "", decision.Message ?? "");
    }

    /// <summary>Gives the server back: the pod is deleted and the fleet makes a fresh one.</summary>
    private async Task ReleaseAsync(GameSession session, string server, CancellationToken cancellationToken)
    {
        var pod = _pods.Cache.Get(session.Metadata.NamespaceProperty, server);
        if (pod is null || PodObservation.Session(pod) != session.Metadata.Name)
        {
            return;
        }
        await DeletePodAsync(pod, cancellationToken).ConfigureAwait(false);
        _setup.Events.RecordNormal(session, "Released", $"server {server} released");
    }

    private async Task DeletePodAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        try
        {
            var options = new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = pod.Metadata.Uid } };
            var response = await _setup.Client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, options, cancellationToken: cancellationToken).ConfigureAwait(false);
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
            // Already gone.
        }
    }

    /// <summary>A session that no longer exists cannot hold a server: release pods still reserved for it.</summary>
    private async Task ReleaseOrphansAsync(string key, CancellationToken cancellationToken)
    {
        foreach (var pod in _pods.Cache.ByIndex(PodsBySession, key))
        {
            if (!PodObservation.IsTerminating(pod) && PodObservation.State(pod) is ServerState.Allocated or ServerState.Draining)
            {
                await DeletePodAsync(pod, cancellationToken).ConfigureAwait(false);
                Log.OrphanReleased(_logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, key);
            }
        }
    }

    private async Task RemoveFinalizerAsync(GameSession session, CancellationToken cancellationToken)
    {
        if (session.Metadata.Finalizers?.Contains(WellKnown.ReleaseFinalizer) != true)
        {
            return;
        }
        var patch = new { metadata = new { resourceVersion = session.Metadata.ResourceVersion, finalizers = session.Metadata.Finalizers.Where(f => f != WellKnown.ReleaseFinalizer).ToList() } };
        try
        {
            var response = await _setup.Client.CustomObjects.PatchNamespacedCustomObjectAsync<GameSession>(
                new V1Patch(patch, V1Patch.PatchType.MergePatch), GridGameApi.Group, GridGameApi.Version, session.Metadata.NamespaceProperty,
                GameSession.KubePluralName, session.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
            _sessions.Cache.Upsert(response);
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e))
        {
            _sessions.Cache.Remove(ObjectKey.Of(session));
        }
    }

    private async Task DeleteSessionAsync(GameSession session, CancellationToken cancellationToken)
    {
        try
        {
            await _setup.Client.CustomObjects.DeleteNamespacedCustomObjectAsync(
                GridGameApi.Group, GridGameApi.Version, session.Metadata.NamespaceProperty, GameSession.KubePluralName, session.Metadata.Name,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            Log.Expired(_logger, session.Metadata.NamespaceProperty, session.Metadata.Name);
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e))
        {
            _sessions.Cache.Remove(ObjectKey.Of(session));
        }
    }

    private static ReconcileResult Until(DateTimeOffset? at, DateTimeOffset now, TimeSpan? cap)
    {
        if (at is null)
        {
            return cap is { } c ? ReconcileResult.RequeueAfter(c) : ReconcileResult.Done;
        }
        var delay = at.Value > now ? at.Value - now : TimeSpan.Zero;
        return ReconcileResult.RequeueAfter(cap is { } limit && limit < delay ? limit : delay);
    }

    private static DateTimeOffset? Utc(DateTime? time) => time is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : null;

    private static partial class Log
    {
        [LoggerMessage(2001, LogLevel.Information, "Session {Namespace}/{Session} allocated server {Pod}")]
        public static partial void Allocated(ILogger logger, string @namespace, string session, string pod);

        [LoggerMessage(2002, LogLevel.Debug, "Server {Namespace}/{Pod} was taken before session {Session} could reserve it")]
        public static partial void ReserveConflict(ILogger logger, string @namespace, string pod, string session);

        [LoggerMessage(2003, LogLevel.Information, "Session {Namespace}/{Session} failed: {Reason}: {Message}")]
        public static partial void Failed(ILogger logger, string @namespace, string session, string reason, string message);

        [LoggerMessage(2004, LogLevel.Information, "Server {Namespace}/{Pod} released: its session {Session} is gone")]
        public static partial void OrphanReleased(ILogger logger, string @namespace, string pod, string session);

        [LoggerMessage(2006, LogLevel.Debug, "Session {Namespace}/{Session}: {Step} {Reason} {Server}")]
        public static partial void Decided(ILogger logger, string @namespace, string session, string step, string reason, string server);

        [LoggerMessage(2007, LogLevel.Debug, "Session {Namespace}/{Session}: no server among {Candidates} candidates of revision {Revision} ({Servers} servers)")]
        public static partial void NoCapacity(ILogger logger, string @namespace, string session, int candidates, string revision, int servers);

        [LoggerMessage(2005, LogLevel.Information, "Session {Namespace}/{Session} deleted after its time to live")]
        public static partial void Expired(ILogger logger, string @namespace, string session);
    }
}
