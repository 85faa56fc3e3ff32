using GridGame.Crds;
using GridGame.Operator.Fleets;

namespace GridGame.Operator.Allocation;

/// <summary>A server pod as allocation sees it.</summary>
internal sealed record AllocatableServer(
    string Name,
    string Revision,
    ServerState State,
    bool IsReady,
    bool Terminating,
    string? NodeName,
    IReadOnlyDictionary<string, string> Labels);

/// <summary>
/// Orders the servers a session may be given (DESIGN §4): Ready pods of the active revision that match the
/// session's selector; Packed puts the node with the most Allocated servers first (fills nodes up so empty ones
/// can go), Distributed the node with the fewest. Pure; the session controller tries them in order.
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
            if (s is { State: ServerState.Allocated or ServerState.Draining, NodeName: { } node })
            {
                allocatedPerNode[node] = allocatedPerNode.GetValueOrDefault(node) + 1;
            }
        }
        return Order(all, allocatedPerNode, activeRevision, selector, scheduling);
    }

    /// <summary>
    /// The same order when the caller already counted Allocated (and Draining) servers per node and passes only
    /// the servers that may qualify: what the controller does so that a burst does not look at every pod twice.
    /// </summary>
    public static IReadOnlyList<AllocatableServer> Order(
        IEnumerable<AllocatableServer> servers,
        IReadOnlyDictionary<string, int> allocatedPerNode,
        string activeRevision,
        LabelSelectorMatcher selector,
        SchedulingStrategy scheduling)
    {
        var sign = scheduling == SchedulingStrategy.Packed ? -1 : 1;
        return servers
            .Where(s => s is { State: ServerState.Ready, IsReady: true, Terminating: false, NodeName: not null }
                && s.Revision == activeRevision
                && selector.Matches(s.Labels))
            .OrderBy(s => sign * allocatedPerNode.GetValueOrDefault(s.NodeName!))
            .ThenBy(s => s.NodeName, StringComparer.Ordinal)
            .ThenBy(s => s.Name, StringComparer.Ordinal)
            .ToList();
    }
}
