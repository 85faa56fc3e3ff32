using k8s.Models;

namespace GridGame.LocalCluster.Scheduling;

/// <summary>What a pod asks of a node: resource requests and host ports, computed the way the scheduler does.</summary>
internal static class PodResources
{
    /// <summary>The scheduler scores a container without requests as if it asked for 100m CPU and 200MB.</summary>
    public const decimal DefaultScoringCpu = 0.1m;
    public const decimal DefaultScoringMemory = 200m * 1024 * 1024;

    /// <summary>Sum of the containers' requests (a limit stands in for a missing request), or the largest init container's if larger.</summary>
    public static Dictionary<string, decimal> Requests(V1Pod pod)
    {
        var total = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var c in pod.Spec?.Containers ?? [])
        {
            foreach (var (name, q) in ContainerRequests(c))
            {
                total[name] = total.GetValueOrDefault(name) + q;
            }
        }
        foreach (var c in pod.Spec?.InitContainers ?? [])
        {
            foreach (var (name, q) in ContainerRequests(c))
            {
                if (q > total.GetValueOrDefault(name))
                {
                    total[name] = q;
                }
            }
        }
        return total;
    }

    /// <summary>Requests used for scoring only: containers without a cpu/memory request count the scheduler's defaults.</summary>
    public static (decimal Cpu, decimal Memory) ScoringRequests(V1Pod pod)
    {
        decimal cpu = 0, memory = 0;
        foreach (var c in pod.Spec?.Containers ?? [])
        {
            var r = ContainerRequests(c);
            cpu += r.TryGetValue("cpu", out var cq) && cq > 0 ? cq : DefaultScoringCpu;
            memory += r.TryGetValue("memory", out var mq) && mq > 0 ? mq : DefaultScoringMemory;
        }
        return (cpu, memory);
    }

    public static IEnumerable<(string Protocol, string HostIP, int HostPort)> HostPorts(V1Pod pod) =>
        (pod.Spec?.Containers ?? [])
            .SelectMany(c => c.Ports ?? [])
            .Where(p => p.HostPort is > 0)
            .Select(p => (p.Protocol ?? "TCP", string.IsNullOrEmpty(p.HostIP) ? "0.0.0.0" : p.HostIP, p.HostPort!.Value));

    public static decimal Quantity(IDictionary<string, ResourceQuantity>? list, string name) =>
        list is not null && list.TryGetValue(name, out var q) && q is not null ? q.ToDecimal() : 0m;

    private static Dictionary<string, decimal> ContainerRequests(V1Container c)
    {
        var result = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var (name, q) in c.Resources?.Limits ?? new Dictionary<string, ResourceQuantity>())
        {
            result[name] = q.ToDecimal();
        }
        foreach (var (name, q) in c.Resources?.Requests ?? new Dictionary<string, ResourceQuantity>())
        {
            result[name] = q.ToDecimal();
        }
        return result;
    }
}
