using GridGame.Crds;
using GridGame.Operator.Fleets;

namespace GridGame.Operator.Allocation;

/// <summary>A server pod as allocation sees it. A struct: <see cref="ServerIndex"/> holds one per pod of every fleet.</summary>
internal readonly record struct AllocatableServer(
    string Name,
    string Revision,
    ServerState State,
    bool IsReady,
    bool Terminating,
    string? NodeName,
    IReadOnlyDictionary<string, string> Labels);

/// <summary>
/// Orders the servers a session may be given (docs/design.md, "Allocation"): Ready pods of the active revision that match the
/// session's selector; Packed puts the node with the most Allocated servers first (fills nodes up so empty ones
/// can go), Distributed the node with the fewest. Pure: the specification of this order, which
/// <see cref="ServerIndex"/> keeps up to date as pods change so that the controller need not sort the fleet per session.
/// </summary>
internal static class AllocationPicker
{
    public static IReadOnlyList<AllocatableServer> Candidates(
        IEnumerable<AllocatableServer> servers,
        string activeRevision,
        LabelSelectorMatcher selector,
        SchedulingStrategy scheduling)
    {
        var all = servers as IReadOnlyCollection<AllocatableServer> ?? servers.ToList();
        var allocatedPerNode = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in all)
        {
            if (Holding(s))
            {
                allocatedPerNode[s.NodeName!] = allocatedPerNode.GetValueOrDefault(s.NodeName!) + 1;
            }
        }
        var list = all.Where(s => Allocatable(s) && s.Revision == activeRevision && selector.Matches(s.Labels)).ToList();
        list.Sort((a, b) => CompareNodes(a.NodeName!, b.NodeName!, allocatedPerNode, scheduling) is var byNode and not 0
            ? byNode
            : string.CompareOrdinal(a.Name, b.Name));
        return list;
    }

    /// <summary>Ready, not terminating and on a node: a server a session may be given (if its revision and labels fit).</summary>
    public static bool Allocatable(in AllocatableServer s) => s is { State: ServerState.Ready, IsReady: true, Terminating: false, NodeName: not null };

    /// <summary>Allocated or Draining on a node: a server that counts towards its node's load.</summary>
    public static bool Holding(in AllocatableServer s) => s is { State: ServerState.Allocated or ServerState.Draining, NodeName: not null };

    /// <summary>Packed: the node with most Allocated servers first (Distributed: fewest); then by node name.</summary>
    public static int CompareNodes(string a, string b, IReadOnlyDictionary<string, int> allocatedPerNode, SchedulingStrategy scheduling)
    {
        var sign = scheduling == SchedulingStrategy.Packed ? -1 : 1;
        var byLoad = (sign * allocatedPerNode.GetValueOrDefault(a)).CompareTo(sign * allocatedPerNode.GetValueOrDefault(b));
        return byLoad != 0 ? byLoad : string.CompareOrdinal(a, b);
    }
}
