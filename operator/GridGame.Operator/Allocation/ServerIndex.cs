using GridGame.Crds;
using GridGame.Kube;
using GridGame.Operator.Fleets;

namespace GridGame.Operator.Allocation;

/// <summary>
/// Every fleet's servers, kept in allocation order as pods change, so that picking a server costs the few nodes
/// and candidates it looks at rather than a pass over the whole fleet (allocation throughput). Per fleet it holds the
/// Allocated (and Draining) count of each node and the allocatable servers by revision, node and name; <see cref="Best"/>
/// returns the head of the full allocation order (<see cref="AllocationPicker"/>'s rules applied to the whole fleet).
/// Pure: the session controller feeds it from the pod cache.
/// </summary>
internal sealed class ServerIndex
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _pods = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FleetServers> _fleets = new(StringComparer.Ordinal);

    /// <summary>What the index knows of one pod; <paramref name="Fleet"/> is its controller owner's uid.</summary>
    public sealed record Entry(string Key, string Fleet, AllocatableServer Server);

    /// <summary>Pods indexed (whatever their state).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _pods.Count;
            }
        }
    }

    /// <summary>
    /// Re-reads one pod and records it (<c>null</c>: gone, or not a fleet's). The read runs under the index's lock,
    /// so when two changes of a pod are reported out of order the later report still reads the newer object and
    /// the index never goes back to an older version.
    /// </summary>
    public void Refresh(string key, Func<string, Entry?> read)
    {
        lock (_gate)
        {
            Set(key, read(key));
        }
    }

    /// <summary>Records a pod's current view (<c>null</c> removes it). Callers that read from a cache use <see cref="Refresh"/>.</summary>
    public void Set(string key, Entry? entry)
    {
        lock (_gate)
        {
            if (_pods.Remove(key, out var old))
            {
                Forget(old);
            }
            if (entry is not null)
            {
                _pods[key] = entry;
                Remember(entry);
            }
        }
    }

    /// <summary>Whether a fleet has ever had a pod indexed (so a caller can seed it from a cache once).</summary>
    public bool Knows(string fleet)
    {
        lock (_gate)
        {
            return _fleets.ContainsKey(fleet);
        }
    }

    /// <summary>
    /// The first <paramref name="count"/> servers of the allocation order for one fleet: Ready servers of
    /// <paramref name="revision"/> matching <paramref name="selector"/>, nodes ordered by their Allocated count (most
    /// first when Packed, fewest when Distributed) then by name, servers by name. <paramref name="skip"/> leaves out
    /// pods (by key) that are being reserved by someone else.
    /// </summary>
    public IReadOnlyList<Entry> Best(string fleet, string revision, LabelSelector selector, SchedulingStrategy scheduling, int count, Func<string, bool>? skip = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var best = new List<Entry>(Math.Min(count, 64));
        lock (_gate)
        {
            if (!_fleets.TryGetValue(fleet, out var servers) || !servers.Ready.TryGetValue(revision, out var byNode))
            {
                return best;
            }
            var nodes = byNode.Keys.ToArray();
            var allocated = servers.AllocatedPerNode;
            Array.Sort(nodes, (a, b) => AllocationPicker.CompareNodes(a, b, allocated, scheduling));
            foreach (var node in nodes)
            {
                foreach (var entry in byNode[node].Values)
                {
                    if (skip?.Invoke(entry.Key) == true || !selector.Matches(entry.Server.Labels))
                    {
                        continue;
                    }
                    best.Add(entry);
                    if (best.Count == count)
                    {
                        return best;
                    }
                }
            }
        }
        return best;
    }

    /// <summary>Allocated (and Draining) servers per node of a fleet, as the index counts them.</summary>
    public IReadOnlyDictionary<string, int> AllocatedPerNode(string fleet)
    {
        lock (_gate)
        {
            return _fleets.TryGetValue(fleet, out var servers) ? new Dictionary<string, int>(servers.AllocatedPerNode, StringComparer.Ordinal) : new Dictionary<string, int>();
        }
    }

    private void Remember(Entry entry)
    {
        if (!_fleets.TryGetValue(entry.Fleet, out var servers))
        {
            servers = new FleetServers();
            _fleets[entry.Fleet] = servers;
        }
        servers.Pods++;
        var s = entry.Server;
        if (AllocationPicker.Holding(s))
        {
            servers.AllocatedPerNode[s.NodeName!] = servers.AllocatedPerNode.GetValueOrDefault(s.NodeName!) + 1;
        }
        else if (AllocationPicker.Allocatable(s))
        {
            if (!servers.Ready.TryGetValue(s.Revision, out var byNode))
            {
                byNode = new Dictionary<string, SortedList<string, Entry>>(StringComparer.Ordinal);
                servers.Ready[s.Revision] = byNode;
            }
            if (!byNode.TryGetValue(s.NodeName!, out var byName))
            {
                byName = new SortedList<string, Entry>(StringComparer.Ordinal);
                byNode[s.NodeName!] = byName;
            }
            byName[s.Name] = entry;
        }
    }

    private void Forget(Entry entry)
    {
        var servers = _fleets[entry.Fleet];
        var s = entry.Server;
        if (AllocationPicker.Holding(s))
        {
            var left = servers.AllocatedPerNode[s.NodeName!] - 1;
            if (left == 0)
            {
                servers.AllocatedPerNode.Remove(s.NodeName!);
            }
            else
            {
                servers.AllocatedPerNode[s.NodeName!] = left;
            }
        }
        else if (AllocationPicker.Allocatable(s))
        {
            var byNode = servers.Ready[s.Revision];
            var byName = byNode[s.NodeName!];
            byName.Remove(s.Name);
            if (byName.Count == 0)
            {
                byNode.Remove(s.NodeName!);
                if (byNode.Count == 0)
                {
                    servers.Ready.Remove(s.Revision);
                }
            }
        }
        if (--servers.Pods == 0)
        {
            _fleets.Remove(entry.Fleet);
        }
    }

    private sealed class FleetServers
    {
        public int Pods { get; set; }

        public Dictionary<string, int> AllocatedPerNode { get; } = new(StringComparer.Ordinal);

        /// <summary>Allocatable servers: revision → node → name.</summary>
        public Dictionary<string, Dictionary<string, SortedList<string, Entry>>> Ready { get; } = new(StringComparer.Ordinal);
    }
}
