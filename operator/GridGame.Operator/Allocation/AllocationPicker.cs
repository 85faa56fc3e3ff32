using GridGame.Crds;
using GridGame.Operator.Fleets;

namespace GridGame.Operator.Allocation;

/// <summary>A server pod as allocation sees it. A struct: the controller maps every Ready pod of a fleet per allocation.</summary>
internal readonly record struct AllocatableServer(
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
        var sign = Sign(scheduling);
        var list = servers.Where(s => Qualifies(s, activeRevision, selector)).ToList();
        list.Sort((a, b) => Compare(a, b, allocatedPerNode, sign));
        return list;
    }

    private static int Sign(SchedulingStrategy scheduling) => scheduling == SchedulingStrategy.Packed ? -1 : 1;

    private static bool Qualifies(in AllocatableServer s, string activeRevision, LabelSelectorMatcher selector) =>
        s is { State: ServerState.Ready, IsReady: true, Terminating: false, NodeName: not null }
        && s.Revision == activeRevision
        && selector.Matches(s.Labels);

    /// <summary>Packed: most Allocated on the node first (Distributed: fewest); then node name, then pod name.</summary>
    private static int Compare(in AllocatableServer a, in AllocatableServer b, IReadOnlyDictionary<string, int> allocatedPerNode, int sign)
    {
        if (!string.Equals(a.NodeName, b.NodeName, StringComparison.Ordinal))
        {
            var byLoad = (sign * allocatedPerNode.GetValueOrDefault(a.NodeName ?? "")).CompareTo(sign * allocatedPerNode.GetValueOrDefault(b.NodeName ?? ""));
            if (byLoad != 0)
            {
                return byLoad;
            }
            return string.CompareOrdinal(a.NodeName, b.NodeName);
        }
        return string.CompareOrdinal(a.Name, b.Name);
    }
}
