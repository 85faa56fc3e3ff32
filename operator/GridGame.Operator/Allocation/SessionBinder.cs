using System.Globalization;
using GridGame.Crds;
using GridGame.Operator.Fleets;
using GridGame.Operator.Runtime;
using GridGame.Operator.Sessions;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace GridGame.Operator.Allocation;

/// <summary>
/// The session half of a binding (docs/design.md, "Allocation"), written once its pod is reserved: status Allocated
/// with the server's address, then the <c>gridgame.io/server</c> label and the release finalizer. Each write is
/// skipped when already done, so a binding left half-done (the pod annotated, the session not yet) is finished by
/// calling it again. Responses go straight into the session cache.
/// </summary>
internal sealed partial class SessionBinder(
    Kubernetes client,
    ResourceCache<GameSession> sessions,
    ResourceCache<V1Node> nodes,
    SessionMetrics metrics,
    EventRecorder events,
    ILogger logger)
{
    /// <summary>The reason of condition FleetFound=True.</summary>
    public const string FleetFoundReason = "FleetFound";

    /// <summary>Binds <paramref name="session"/> to <paramref name="pod"/>, a server of <paramref name="fleet"/> reserved for it.</summary>
    public async Task BindAsync(GameSession session, V1Pod pod, GameFleet fleet, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var ns = session.Metadata.NamespaceProperty;
        if (session.Status?.Phase is null or SessionPhase.Pending)
        {
            var node = pod.Spec?.NodeName is { } nodeName ? nodes.Get(null, nodeName) : null;
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
            var response = await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync<GameSession>(
                new V1Patch(new { status }, V1Patch.PatchType.MergePatch), GridGameApi.Group, GridGameApi.Version, ns, GameSession.KubePluralName,
                session.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
            sessions.Upsert(response);
            session = response;
            var created = session.Metadata.CreationTimestamp is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : now;
            metrics.Allocated(now - created);
            events.RecordNormal(session, "Allocated", string.Create(CultureInfo.InvariantCulture, $"server {pod.Metadata.Name} on {pod.Spec?.NodeName} at {endpoint?.Address}:{endpoint?.Port}"));
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
            var response = await client.CustomObjects.PatchNamespacedCustomObjectAsync<GameSession>(
                new V1Patch(patch, V1Patch.PatchType.MergePatch), GridGameApi.Group, GridGameApi.Version, ns, GameSession.KubePluralName,
                session.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
            sessions.Upsert(response);
        }
        Log.Allocated(logger, ns, session.Metadata.Name, pod.Metadata.Name);
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.SessionAllocated, LogLevel.Information, "Session {Namespace}/{Session} allocated server {Pod}")]
        public static partial void Allocated(ILogger logger, string @namespace, string session, string pod);
    }
}
