using k8s.Models;

namespace GridGame.LocalCluster.Kubelets;

/// <summary>The status the process kubelet reports for a pod: its containers' states, the phase and the conditions.</summary>
internal static class PodStatusBuilder
{
    /// <summary>A container's status as it is now (read under the container's lock).</summary>
    public static V1ContainerStatus ContainerStatus(PodContainer c)
    {
        lock (c)
        {
            return new V1ContainerStatus
            {
                Name = c.Spec.Name,
                Image = c.Spec.Image ?? "",
                ImageID = "process://" + (c.Spec.Image ?? c.Spec.Name),
                ContainerID = c.Pid > 0 ? $"process://{c.Pid}" : null,
                Ready = c.Ready,
                Started = c.Started,
                RestartCount = c.RestartCount,
                State = c.State,
                LastState = c.LastState ?? new V1ContainerState(),
            };
        }
    }

    /// <summary>
    /// The pod's status from its containers' statuses. The pod shares its node's address; <paramref name="previous"/>
    /// conditions keep their transition times where they have not changed.
    /// </summary>
    public static V1PodStatus Build(string? restartPolicy, List<V1ContainerStatus> containers, string hostIP, DateTime startTime, DateTime now, IReadOnlyList<V1PodCondition>? previous)
    {
        var phase = PodLifecycle.Phase(restartPolicy, containers);
        return new V1PodStatus
        {
            Phase = phase,
            HostIP = hostIP,
            HostIPs = [new V1HostIP { Ip = hostIP }],
            PodIP = hostIP,
            PodIPs = [new V1PodIP { Ip = hostIP }],
            StartTime = startTime,
            QosClass = "BestEffort",
            Conditions = PodLifecycle.Conditions(phase, containers.All(s => s.Ready), now, previous),
            ContainerStatuses = containers,
        };
    }
}
