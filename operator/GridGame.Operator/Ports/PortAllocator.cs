namespace GridGame.Operator.Ports;

/// <summary>The operator's range for Dynamic hostPorts (DESIGN §4 "Addresses"; default 7000–8000, flag `--port-range`).</summary>
internal sealed record PortRange(int Min, int Max)
{
    public static PortRange Default { get; } = new(7000, 8000);

    public int Count => Max - Min + 1;

    public bool Contains(int port) => port >= Min && port <= Max;

    public static PortRange Parse(string text)
    {
        var parts = text.Split('-', 2, StringSplitOptions.TrimEntries);
        if (parts.Length == 2 && int.TryParse(parts[0], out var min) && int.TryParse(parts[1], out var max)
            && min is > 0 and <= 65535 && max >= min && max <= 65535)
        {
            return new PortRange(min, max);
        }
        throw new FormatException($"port range '{text}' is not MIN-MAX within 1-65535");
    }
}

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
            for (var port = range.Min; port <= range.Max && taken < count; port++)
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
