using GridGame.Crds;

namespace GridGame.Operator.Fleets;

/// <summary>
/// Orders pods for deletion as docs/guides/fleets.md ("Scaling") says: not-yet-Ready first (unscheduled before scheduled), then Ready pods
/// of old revisions, then Ready pods of the active revision; within a group Packed takes the least-used node first
/// (to empty nodes) and Distributed the most-used (to even them out); newest first on ties.
/// Allocated and Draining pods are never returned. Unhealthy pods are not surplus: the planner deletes them anyway.
/// </summary>
internal static class SurplusPicker
{
    public static IReadOnlyList<FleetPod> Pick(
        IEnumerable<FleetPod> candidates,
        int count,
        string activeRevision,
        SchedulingStrategy scheduling,
        IReadOnlyDictionary<string, int> podsPerNode)
    {
        if (count <= 0)
        {
            return [];
        }
        var sign = scheduling == SchedulingStrategy.Packed ? 1 : -1;
        return candidates
            .Where(p => !p.IsInUse && !p.Terminating)
            .OrderBy(p => Rank(p, activeRevision))
            .ThenBy(p => p.NodeName is null ? 0 : 1)
            .ThenBy(p => sign * (p.NodeName is { } n && podsPerNode.TryGetValue(n, out var used) ? used : 0))
            .ThenByDescending(p => p.CreatedAt)
            .ThenBy(p => p.Name, StringComparer.Ordinal)
            .Take(count)
            .ToList();
    }

    /// <summary>Counts the fleet's live pods per node: what "used" means for Packed/Distributed.</summary>
    public static Dictionary<string, int> CountPerNode(IEnumerable<FleetPod> pods)
    {
        var perNode = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            if (pod is { Terminating: false, NodeName: { } node })
            {
                perNode[node] = perNode.GetValueOrDefault(node) + 1;
            }
        }
        return perNode;
    }

    private static int Rank(FleetPod pod, string activeRevision) => pod switch
    {
        { Failed: true } => 0,
        { State: ServerState.Starting } or { IsReady: false } => 1,
        _ when pod.Revision != activeRevision => 2,
        _ => 3,
    };
}
