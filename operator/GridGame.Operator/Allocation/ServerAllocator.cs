using System.Collections.Concurrent;
using GridGame.Crds;
using GridGame.Kube;
using GridGame.Operator.Fleets;
using GridGame.Operator.Runtime;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace GridGame.Operator.Allocation;

/// <summary>
/// Gives a Pending session a Ready server of its fleet (docs/design.md, "Allocation"): the best
/// candidates from <see cref="ServerIndex"/>, tried in order. Each pod is reserved first with a JSON Patch whose
/// <c>test</c> ops pin its resourceVersion and state label, so no pod is ever given twice; a pod taken meanwhile is a
/// conflict and the next candidate is tried. Then <see cref="SessionBinder"/> writes the session's half.
/// </summary>
internal sealed partial class ServerAllocator
{
    private const int MaxAttempts = 16;

    /// <summary>Candidates picked per allocation: the attempts plus room for pods other workers take meanwhile.</summary>
    private const int CandidateCount = 2 * MaxAttempts;

    private const string SessionAnnotationPath = "/metadata/annotations/gridgame.io~1session";

    /// <summary>Pods a worker is reserving right now, so concurrent reconciles try different ones first.</summary>
    private readonly ConcurrentDictionary<string, byte> _reserving = new(StringComparer.Ordinal);
    private readonly ServerIndex _servers = new();
    private readonly Func<string, bool> _isReserving;
    private readonly Func<string, ServerIndex.Entry?> _readServer;
    private readonly ResourceCache<V1Pod> _pods;
    private readonly PodWriter _writer;
    private readonly SessionBinder _binder;
    private readonly ILogger _logger;

    /// <param name="pods">The shared pod cache, which candidates are read from.</param>
    /// <param name="writer">Writes reservations (into the same cache).</param>
    public ServerAllocator(ResourceCache<V1Pod> pods, PodWriter writer, SessionBinder binder, ILogger logger)
    {
        _pods = pods;
        _writer = writer;
        _binder = binder;
        _logger = logger;
        _isReserving = _reserving.ContainsKey;
        _readServer = ReadServer;
    }

    /// <summary>A session's server selector (null: any server) as a label selector.</summary>
    public static LabelSelector Selector(V1LabelSelector? selector) =>
        selector is null
            ? LabelSelector.Everything
            : LabelSelector.FromMatch(selector.MatchLabels, selector.MatchExpressions?.Select(e => new LabelSelectorRequirement(e.Key, e.OperatorProperty, e.Values)));

    /// <summary>A cached pod changed (or went): the index reads it again.</summary>
    public void PodChanged(string key) => _servers.Refresh(key, _readServer);

    /// <summary>Tries the best few candidates in order; true once a pod is reserved and the session bound.</summary>
    public async Task<bool> AllocateAsync(GameSession session, GameFleet fleet, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var activity = OperatorTracing.Source.StartActivity("allocate");
        var ns = session.Metadata.NamespaceProperty;
        var revision = fleet.Status?.ActiveRevision is { Length: > 0 } active ? active : RevisionHash.Of(fleet.Spec);
        var uid = fleet.Metadata.Uid;
        if (!_servers.Knows(uid))
        {
            // Pod events keep the index current; a fleet whose pods were cached before any event reached it is read once.
            foreach (var pod in _pods.ByIndex(CacheIndexes.Owner, uid))
            {
                _servers.Refresh(ObjectKey.Of(pod), _readServer);
            }
        }
        var candidates = _servers.Best(uid, revision, Selector(session.Spec?.Selector), fleet.Spec.Scheduling ?? SchedulingStrategy.Packed, CandidateCount, _isReserving);

        var attempts = 0;
        if (candidates.Count == 0)
        {
            Log.NoCapacity(_logger, ns, session.Metadata.Name, 0, revision, _pods.ByIndex(CacheIndexes.Owner, uid).Count);
        }
        foreach (var candidate in candidates)
        {
            if (attempts >= MaxAttempts)
            {
                break;
            }
            // The freshest cached version: a pod another worker reserved since the pick is skipped without a write.
            var pod = _pods.Get(candidate.Key);
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
                await _binder.BindAsync(session, reserved, fleet, now, cancellationToken).ConfigureAwait(false);
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
        _pods.Get(key) is { } pod && CacheIndexes.ByControllerOwnerUid(pod).FirstOrDefault() is { } fleet
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
            new { op = "test", path = PodWriter.StateLabelPath, value = WellKnown.States.Ready },
            new { op = "replace", path = PodWriter.StateLabelPath, value = WellKnown.States.Allocated },
            annotation,
        }, V1Patch.PatchType.JsonPatch);
        var reserved = await _writer.PatchAsync(pod, patch, cancellationToken).ConfigureAwait(false);
        if (reserved is null)
        {
            Log.ReserveConflict(_logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, session);
        }
        return reserved;
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.SessionReserveConflict, LogLevel.Debug, "Server {Namespace}/{Pod} was taken before session {Session} could reserve it")]
        public static partial void ReserveConflict(ILogger logger, string @namespace, string pod, string session);

        [LoggerMessage(EventIds.SessionNoCapacity, LogLevel.Debug, "Session {Namespace}/{Session}: no server among {Candidates} candidates of revision {Revision} ({Servers} servers)")]
        public static partial void NoCapacity(ILogger logger, string @namespace, string session, int candidates, string revision, int servers);
    }
}
