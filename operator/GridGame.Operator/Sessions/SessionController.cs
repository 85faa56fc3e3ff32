using System.Runtime.CompilerServices;
using GridGame.Crds;
using GridGame.Crds.Validation;
using GridGame.Operator.Allocation;
using GridGame.Operator.Fleets;
using GridGame.Operator.Runtime;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace GridGame.Operator.Sessions;

/// <summary>
/// Runs GameSessions (docs/design.md, "Allocation"): observe (caches) → decide (<see cref="SessionPlanner"/>) → act.
/// Allocation itself is <see cref="ServerAllocator"/>'s (reserve a pod, then <see cref="SessionBinder"/> binds the
/// session); this controller waits, fails, releases and deletes. Responses go straight into the cache, so a burst of
/// sessions is served at the speed of the API rather than of the watch.
/// </summary>
internal sealed partial class SessionController : IController
{
    /// <summary>Index of pods by <c>namespace/gridgame.io/session annotation</c>: the pod half of a binding.</summary>
    public const string PodsBySession = "pod-session";

    private static readonly TimeSpan PendingRetry = TimeSpan.FromSeconds(1);

    /// <summary>Read in place of a missing spec (the validator fails such a session); never written to.</summary>
    private static readonly GameSessionSpec NoSpec = new();

    private readonly ConditionalWeakTable<GameFleet, GameFleet> _defaultedFleets = new();

    /// <summary>The pending gauge is a pass over every cached session: recounted once a second, by one worker.</summary>
    private readonly IntervalGate _pendingCount = new(TimeSpan.FromSeconds(1));
    private ControllerSetup _setup = null!;
    private Informer<GameSession> _sessions = null!;
    private Informer<V1Pod> _pods = null!;
    private PodWriter _podWriter = null!;
    private Informer<GameFleet> _fleets = null!;
    private SessionBinder _binder = null!;
    private ServerAllocator _allocator = null!;
    private ILogger _logger = null!;

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
        SessionDemand.AddIndex(_sessions.Cache);
        _pods = setup.Informer<V1Pod>();
        _podWriter = new PodWriter(setup.Client, _pods.Cache);
        _pods.Cache.AddHandler(OnPodChanged);
        _pods.Cache.AddIndex(PodsBySession, p => PodObservation.Session(p) is { } s ? [ObjectKey.Of(p.Metadata.NamespaceProperty, s)] : []);
        _fleets = setup.Informer<GameFleet>();
        _fleets.Cache.AddHandler(OnFleetChanged);
        var nodes = setup.Informer<V1Node>(ResourceType.For<V1Node>(namespaced: false));
        _binder = new SessionBinder(setup.Client, _sessions.Cache, nodes.Cache, Metrics, setup.Events, _logger);
        _allocator = new ServerAllocator(_pods.Cache, _podWriter, _binder, _logger);
    }

    /// <summary>
    /// A pod change concerns the session it serves (before and after); a pod that just turned into a Ready server
    /// also wakes a few sessions of its fleet that are waiting for one.
    /// </summary>
    private void OnPodChanged(CacheEvent<V1Pod> change)
    {
        _allocator.PodChanged(ObjectKey.Of(change.Object));
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
            foreach (var waiting in _sessions.Cache.ByIndex(SessionDemand.ByFleet, ObjectKey.Of(now.Metadata.NamespaceProperty, fleet)).Where(SessionDemand.IsPending).Take(4))
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
        foreach (var waiting in _sessions.Cache.ByIndex(SessionDemand.ByFleet, ObjectKey.Of(fleet)).Where(SessionDemand.IsPending))
        {
            _setup.Queue.Add(ObjectKey.Of(waiting));
        }
    }

    private static bool IsServer(V1Pod pod) => PodObservation.State(pod) == ServerState.Ready && PodObservation.IsReady(pod) && !PodObservation.IsTerminating(pod);

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
        if (_pendingCount.TryPass(now))
        {
            Metrics.Pending(_sessions.Cache.List().Count(SessionDemand.IsPending));
        }

        switch (decision.Step)
        {
            case SessionStep.Allocate:
                if (await _allocator.AllocateAsync(session, fleet!, now, cancellationToken).ConfigureAwait(false))
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
                    await _binder.BindAsync(session, pod, fleet, now, cancellationToken).ConfigureAwait(false);
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
            fleetFound ? SessionBinder.FleetFoundReason : WellKnown.SessionReasons.FleetNotFound, fleetMessage, now, session.Metadata.Generation);
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
        await _podWriter.DeleteAsync(pod, DeleteGuard.SamePod, cancellationToken).ConfigureAwait(false);
        _setup.Events.RecordNormal(session, "Released", $"server {server} released");
    }

    /// <summary>A session that no longer exists cannot hold a server: release pods still reserved for it.</summary>
    private async Task ReleaseOrphansAsync(string key, CancellationToken cancellationToken)
    {
        foreach (var pod in _pods.Cache.ByIndex(PodsBySession, key))
        {
            if (!PodObservation.IsTerminating(pod) && PodObservation.State(pod) is ServerState.Allocated or ServerState.Draining)
            {
                await _podWriter.DeleteAsync(pod, DeleteGuard.SamePod, cancellationToken).ConfigureAwait(false);
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
        [LoggerMessage(EventIds.SessionFailed, LogLevel.Information, "Session {Namespace}/{Session} failed: {Reason}: {Message}")]
        public static partial void Failed(ILogger logger, string @namespace, string session, string reason, string message);

        [LoggerMessage(EventIds.SessionServerReleased, LogLevel.Information, "Server {Namespace}/{Pod} released: its session {Session} is gone")]
        public static partial void OrphanReleased(ILogger logger, string @namespace, string pod, string session);

        [LoggerMessage(EventIds.SessionDecided, LogLevel.Debug, "Session {Namespace}/{Session}: {Step} {Reason} {Server}")]
        public static partial void Decided(ILogger logger, string @namespace, string session, string step, string reason, string server);

        [LoggerMessage(EventIds.SessionExpired, LogLevel.Information, "Session {Namespace}/{Session} deleted after its time to live")]
        public static partial void Expired(ILogger logger, string @namespace, string session);
    }
}
