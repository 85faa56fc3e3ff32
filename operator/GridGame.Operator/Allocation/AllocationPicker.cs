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
/// The rules of the order in which servers are given to sessions (docs/design.md, "Allocation"): which servers may be given, which
/// count towards their node's load, and which node comes first — Packed the node with the most Allocated servers
/// (fills nodes up so empty ones can go), Distributed the node with the fewest. <see cref="ServerIndex"/> keeps the
/// servers in this order as pods change, so that the controller need not sort the fleet per session.
/// </summary>
internal static class AllocationPicker
{
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
