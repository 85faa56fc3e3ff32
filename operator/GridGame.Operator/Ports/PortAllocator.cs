using GridGame.Operator.Hosting;

namespace GridGame.Operator.Ports;

/// <summary>
/// Picks hostPorts for Dynamic ports. A pod's hostPort is fixed when the pod is created, before the scheduler has
/// chosen a node, so ports are counted across the cluster: each port may be in use up to once per node, the
/// least-used port is given first (lowest number on ties), and the scheduler — which refuses a hostPort
/// conflict on a node — places the pod on a node where its port is free. So no port is ever used twice on one
/// node, and the range serves nodes × ports servers. Pure: the caller passes the usage it observed.
/// </summary>
internal static class PortAllocator
{
    /// <summary>Chooses <paramref name="count"/> distinct ports, or null when the range is exhausted.</summary>
    /// <param name="usage">How many live pods use each port of the range (updated in place on success).</param>
    public static int[]? Allocate(PortRange range, int count, Dictionary<int, int> usage, int nodeCount)
    {
        if (count == 0)
        {
            return [];
        }
        var capacity = Math.Max(1, nodeCount);
        var chosen = new int[count];
        var taken = 0;
        for (var level = 0; level < capacity && taken < count; level++)
        {
            for (var port = range.From; port <= range.To && taken < count; port++)
            {
                if (usage.GetValueOrDefault(port) == level && Array.IndexOf(chosen, port, 0, taken) < 0)
                {
                    chosen[taken++] = port;
                }
            }
        }
        if (taken < count)
        {
            return null;
        }
        foreach (var port in chosen)
        {
            usage[port] = usage.GetValueOrDefault(port) + 1;
        }
        return chosen;
    }
}
