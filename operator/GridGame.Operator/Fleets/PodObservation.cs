using GridGame.Crds;
using GridGame.Operator.Allocation;
using GridGame.Operator.Sessions;
using k8s.Models;

namespace GridGame.Operator.Fleets;

/// <summary>Reads the operator's view of a pod (state label, readiness, restarts) into the plain records the decisions take.</summary>
internal static class PodObservation
{
    public static ServerState State(V1Pod pod) =>
        Get(pod.Metadata.Labels, WellKnown.StateLabel) switch
        {
            WellKnown.States.Ready => ServerState.Ready,
            WellKnown.States.Allocated => ServerState.Allocated,
            WellKnown.States.Draining => ServerState.Draining,
            _ => ServerState.Starting,
        };

    public static bool IsReady(V1Pod pod) =>
        pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    public static bool IsFailed(V1Pod pod) => pod.Status?.Phase is "Failed" or "Succeeded";

    public static bool IsTerminating(V1Pod pod) => pod.Metadata.DeletionTimestamp is not null;

    public static string? Session(V1Pod pod) => Get(pod.Metadata.Annotations, WellKnown.SessionAnnotation);

    public static string Revision(V1Pod pod) => Get(pod.Metadata.Labels, WellKnown.RevisionLabel) ?? "";

    public static FleetPod ToFleetPod(V1Pod pod)
    {
        var ready = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");
        DateTimeOffset? notReadySince = ready is { Status: not "True", LastTransitionTime: { } t } ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : null;
        return new FleetPod(
            pod.Metadata.Name,
            Revision(pod),
            State(pod),
            pod.Spec?.NodeName,
            ready?.Status == "True",
            pod.Metadata.CreationTimestamp is { } created ? new DateTimeOffset(DateTime.SpecifyKind(created, DateTimeKind.Utc)) : DateTimeOffset.MinValue,
            IsFailed(pod),
            IsTerminating(pod),
            pod.Status?.ContainerStatuses?.Sum(c => c.RestartCount) ?? 0,
            notReadySince);
    }

    public static AllocatableServer ToAllocatable(V1Pod pod) => new(
        pod.Metadata.Name,
        Revision(pod),
        State(pod),
        IsReady(pod),
        IsTerminating(pod),
        pod.Spec?.NodeName,
        pod.Metadata.Labels is { } labels ? (IReadOnlyDictionary<string, string>)labels.AsReadOnly() : new Dictionary<string, string>());

    public static SessionServer ToSessionServer(V1Pod pod) => new(pod.Metadata.Name, State(pod), IsTerminating(pod), IsFailed(pod), Session(pod));

    public static string? Get(IDictionary<string, string>? map, string key) =>
        map is not null && map.TryGetValue(key, out var value) ? value : null;

    /// <summary>hostPorts the pod holds on its node (all containers).</summary>
    public static IEnumerable<int> HostPorts(V1Pod pod) =>
        pod.Spec?.Containers?.SelectMany(c => c.Ports ?? []).Where(p => p.HostPort is > 0).Select(p => p.HostPort!.Value) ?? [];
}
