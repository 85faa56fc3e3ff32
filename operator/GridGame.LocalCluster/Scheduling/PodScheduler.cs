using System.Globalization;
using k8s.Models;

namespace GridGame.LocalCluster.Scheduling;

/// <summary>A node as the scheduler sees it: the node object and the pods already bound (or assumed) to it.</summary>
internal sealed class NodeState(V1Node node, IReadOnlyList<V1Pod> pods)
{
    private Dictionary<string, decimal>? _requested;
    private (decimal Cpu, decimal Memory)? _scoring;
    private List<V1Pod>? _affinityPods;

    public V1Node Node => node;

    public IReadOnlyList<V1Pod> Pods => pods;

    public string Name => node.Metadata.Name;

    /// <summary>Sum of the bound pods' requests, computed once per state.</summary>
    public IReadOnlyDictionary<string, decimal> Requested => _requested ??= Sum();

    /// <summary>Sum of the bound pods' scoring requests (with the scheduler's non-zero defaults).</summary>
    public (decimal Cpu, decimal Memory) ScoringRequested => _scoring ??= (
        pods.Sum(p => PodResources.ScoringRequests(p).Cpu), pods.Sum(p => PodResources.ScoringRequests(p).Memory));

    /// <summary>The bound pods that declare pod affinity or anti-affinity (usually few), so other pods' scoring skips the rest.</summary>
    public IReadOnlyList<V1Pod> AffinityPods => _affinityPods ??= [.. pods.Where(p => p.Spec?.Affinity is { } a && (a.PodAffinity is not null || a.PodAntiAffinity is not null))];

    public NodeState With(V1Pod pod) => new(node, [.. pods, pod]);

    private Dictionary<string, decimal> Sum()
    {
        var total = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var p in pods)
        {
            foreach (var (k, v) in PodResources.Requests(p))
            {
                total[k] = total.GetValueOrDefault(k) + v;
            }
        }
        return total;
    }
}

/// <summary>Where a pod goes: a node name, or null with the message the real scheduler would write.</summary>
internal sealed record SchedulingDecision(string? NodeName, string Message)
{
    public bool Scheduled => NodeName is not null;
}

/// <summary>
/// The scheduling decision as a pure function: the default plugins' filters (node readiness, nodeSelector and
/// required node affinity, resources, pod count, host ports, required inter-pod affinity/anti-affinity) and
/// scores (NodeResourcesFit LeastAllocated ×1, NodeResourcesBalancedAllocation ×1, InterPodAffinity ×2), so
/// preferred affinity packs and preferred anti-affinity spreads as on a real cluster. Ties go to the node with
/// the fewest pods, then the first by name (the real scheduler picks one at random): deterministic, and it still
/// spreads once resource scores saturate.
/// </summary>
internal static class PodScheduler
{
    public const string HostnameLabel = "kubernetes.io/hostname";
    private const int MaxNodeScore = 100;
    private const int FitWeight = 1;
    private const int BalancedWeight = 1;
    private const int AffinityWeight = 2;
    private const int HardPodAffinityWeight = 1;

    public static SchedulingDecision Decide(V1Pod pod, IReadOnlyList<NodeState> nodes)
    {
        var feasible = new List<NodeState>();
        var reasons = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in nodes.OrderBy(n => n.Name, StringComparer.Ordinal))
        {
            var failures = Filter(pod, node, nodes);
            if (failures.Count == 0)
            {
                feasible.Add(node);
            }
            foreach (var f in failures)
            {
                reasons[f] = reasons.GetValueOrDefault(f) + 1;
            }
        }
        if (feasible.Count == 0)
        {
            var detail = string.Join(", ", reasons.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Value} {r.Key}"));
            var message = nodes.Count == 0
                ? "no nodes available to schedule pods"
                : string.Create(CultureInfo.InvariantCulture, $"0/{nodes.Count} nodes are available: {detail}.");
            return new SchedulingDecision(null, message);
        }
        if (feasible.Count == 1)
        {
            return new SchedulingDecision(feasible[0].Name, "");
        }
        var scores = Score(pod, feasible, nodes);
        var best = 0;
        for (var i = 1; i < feasible.Count; i++)
        {
            if (scores[i] > scores[best] || (scores[i] == scores[best] && feasible[i].Pods.Count < feasible[best].Pods.Count))
            {
                best = i;
            }
        }
        return new SchedulingDecision(feasible[best].Name, "");
    }

    /// <summary>The reasons a node cannot take the pod, in the real scheduler's words; empty when it can.</summary>
    public static List<string> Filter(V1Pod pod, NodeState node, IReadOnlyList<NodeState> allNodes)
    {
        var failures = new List<string>();
        if (node.Node.Spec?.Unschedulable == true)
        {
            failures.Add("node(s) were unschedulable");
            return failures;
        }
        if (!IsReady(node.Node))
        {
            failures.Add("node(s) had untolerated taint {node.kubernetes.io/not-ready: }");
            return failures;
        }
        if (!MatchesNodeSelector(pod, node.Node))
        {
            failures.Add("node(s) didn't match Pod's node affinity/selector");
            return failures;
        }
        var allocatable = node.Node.Status?.Allocatable ?? node.Node.Status?.Capacity;
        var maxPods = PodResources.Quantity(allocatable, "pods");
        if (node.Pods.Count + 1 > maxPods)
        {
            failures.Add("Too many pods");
        }
        var requests = PodResources.Requests(pod);
        foreach (var (resource, amount) in requests.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            if (amount <= 0)
            {
                continue;
            }
            var used = node.Requested.GetValueOrDefault(resource);
            if (used + amount > PodResources.Quantity(allocatable, resource))
            {
                failures.Add("Insufficient " + resource);
            }
        }
        if (HostPortsConflict(pod, node))
        {
            failures.Add("node(s) didn't have free ports for the requested pod ports");
        }
        if (!RequiredAffinityHolds(pod, node, allNodes))
        {
            failures.Add("node(s) didn't match pod affinity rules");
        }
        if (!RequiredAntiAffinityHolds(pod, node, allNodes))
        {
            failures.Add("node(s) didn't match pod anti-affinity rules");
        }
        return failures;
    }

    public static bool IsReady(V1Node node) =>
        node.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    private static bool MatchesNodeSelector(V1Pod pod, V1Node node)
    {
        var labels = node.Metadata.Labels;
        if (!SelectorTerms.MatchesNodeSelector(pod.Spec?.NodeSelector, labels))
        {
            return false;
        }
        var required = pod.Spec?.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution;
        return required?.NodeSelectorTerms is not { Count: > 0 } terms || terms.Any(t => SelectorTerms.Matches(t, labels));
    }

    private static bool HostPortsConflict(V1Pod pod, NodeState node)
    {
        var wanted = PodResources.HostPorts(pod).ToList();
        if (wanted.Count == 0)
        {
            return false;
        }
        foreach (var used in node.Pods.SelectMany(PodResources.HostPorts))
        {
            foreach (var want in wanted)
            {
                var ipOverlap = want.HostIP == used.HostIP || want.HostIP == "0.0.0.0" || used.HostIP == "0.0.0.0";
                if (want.HostPort == used.HostPort && want.Protocol == used.Protocol && ipOverlap)
                {
                    return true;
                }
            }
        }
        return false;
    }

    private static bool RequiredAffinityHolds(V1Pod pod, NodeState node, IReadOnlyList<NodeState> allNodes)
    {
        foreach (var term in pod.Spec?.Affinity?.PodAffinity?.RequiredDuringSchedulingIgnoredDuringExecution ?? [])
        {
            var domain = Label(node.Node, term.TopologyKey);
            if (domain is null)
            {
                return false;
            }
            var anyMatch = allNodes.Any(n => n.Pods.Any(p => TermMatches(term, pod, p)));
            var matchInDomain = allNodes.Any(n => Label(n.Node, term.TopologyKey) == domain && n.Pods.Any(p => TermMatches(term, pod, p)));
            // The first pod of a group that selects itself may go anywhere, or it could never be placed.
            if (!matchInDomain && (anyMatch || !TermMatches(term, pod, pod)))
            {
                return false;
            }
        }
        return true;
    }

    private static bool RequiredAntiAffinityHolds(V1Pod pod, NodeState node, IReadOnlyList<NodeState> allNodes)
    {
        foreach (var term in pod.Spec?.Affinity?.PodAntiAffinity?.RequiredDuringSchedulingIgnoredDuringExecution ?? [])
        {
            var domain = Label(node.Node, term.TopologyKey);
            if (domain is not null && allNodes.Any(n => Label(n.Node, term.TopologyKey) == domain && n.Pods.Any(p => TermMatches(term, pod, p))))
            {
                return false;
            }
        }
        // Existing pods' required anti-affinity also keeps this pod away (symmetry).
        foreach (var existing in allNodes.SelectMany(n => n.AffinityPods.Select(p => (n, p))))
        {
            foreach (var term in existing.p.Spec?.Affinity?.PodAntiAffinity?.RequiredDuringSchedulingIgnoredDuringExecution ?? [])
            {
                var domain = Label(existing.n.Node, term.TopologyKey);
                if (domain is not null && Label(node.Node, term.TopologyKey) == domain && TermMatches(term, existing.p, pod))
                {
                    return false;
                }
            }
        }
        return true;
    }

    private static long[] Score(V1Pod pod, List<NodeState> feasible, IReadOnlyList<NodeState> allNodes)
    {
        var affinity = AffinityScores(pod, feasible, allNodes);
        var (cpu, memory) = PodResources.ScoringRequests(pod);
        var podRequests = PodResources.Requests(pod);
        var result = new long[feasible.Count];
        for (var i = 0; i < feasible.Count; i++)
        {
            var node = feasible[i];
            var allocatable = node.Node.Status?.Allocatable ?? node.Node.Status?.Capacity;
            var cpuCap = PodResources.Quantity(allocatable, "cpu");
            var memCap = PodResources.Quantity(allocatable, "memory");
            var usedCpu = cpu + node.ScoringRequested.Cpu;
            var usedMem = memory + node.ScoringRequested.Memory;
            var cpuFree = LeastAllocated(usedCpu, cpuCap);
            var memFree = LeastAllocated(usedMem, memCap);
            var fit = (cpuFree + memFree) / 2;
            // BalancedAllocation looks at actual requests (no non-zero defaults), as the real plugin does.
            var actualCpu = podRequests.GetValueOrDefault("cpu") + node.Requested.GetValueOrDefault("cpu");
            var actualMem = podRequests.GetValueOrDefault("memory") + node.Requested.GetValueOrDefault("memory");
            var cpuFraction = cpuCap > 0 ? Math.Min(1, (double)(actualCpu / cpuCap)) : 1;
            var memFraction = memCap > 0 ? Math.Min(1, (double)(actualMem / memCap)) : 1;
            var balanced = (long)((1 - (Math.Abs(cpuFraction - memFraction) / 2)) * MaxNodeScore);
            result[i] = (FitWeight * fit) + (BalancedWeight * balanced) + (AffinityWeight * affinity[i]);
        }
        return result;
    }

    private static long LeastAllocated(decimal requested, decimal capacity) =>
        capacity <= 0 || requested > capacity ? 0 : (long)((capacity - requested) * MaxNodeScore / capacity);

    /// <summary>InterPodAffinity's score: weights summed per topology domain, then normalized to 0..100 across feasible nodes.</summary>
    private static long[] AffinityScores(V1Pod pod, List<NodeState> feasible, IReadOnlyList<NodeState> allNodes)
    {
        var byDomain = new Dictionary<(string Key, string Value), long>();
        void Add(string key, V1Node node, long weight)
        {
            var value = Label(node, key);
            if (value is not null)
            {
                byDomain[(key, value)] = byDomain.GetValueOrDefault((key, value)) + weight;
            }
        }
        var podAffinity = pod.Spec?.Affinity;
        var incomingTerms = podAffinity?.PodAffinity is not null || podAffinity?.PodAntiAffinity is not null;
        foreach (var n in allNodes)
        {
            foreach (var existing in incomingTerms ? n.Pods : n.AffinityPods)
            {
                foreach (var w in podAffinity?.PodAffinity?.PreferredDuringSchedulingIgnoredDuringExecution ?? [])
                {
                    if (TermMatches(w.PodAffinityTerm, pod, existing))
                    {
                        Add(w.PodAffinityTerm.TopologyKey, n.Node, w.Weight);
                    }
                }
                foreach (var w in podAffinity?.PodAntiAffinity?.PreferredDuringSchedulingIgnoredDuringExecution ?? [])
                {
                    if (TermMatches(w.PodAffinityTerm, pod, existing))
                    {
                        Add(w.PodAffinityTerm.TopologyKey, n.Node, -w.Weight);
                    }
                }
                var theirs = existing.Spec?.Affinity;
                foreach (var t in theirs?.PodAffinity?.RequiredDuringSchedulingIgnoredDuringExecution ?? [])
                {
                    if (TermMatches(t, existing, pod))
                    {
                        Add(t.TopologyKey, n.Node, HardPodAffinityWeight);
                    }
                }
                foreach (var w in theirs?.PodAffinity?.PreferredDuringSchedulingIgnoredDuringExecution ?? [])
                {
                    if (TermMatches(w.PodAffinityTerm, existing, pod))
                    {
                        Add(w.PodAffinityTerm.TopologyKey, n.Node, w.Weight);
                    }
                }
                foreach (var w in theirs?.PodAntiAffinity?.PreferredDuringSchedulingIgnoredDuringExecution ?? [])
                {
                    if (TermMatches(w.PodAffinityTerm, existing, pod))
                    {
                        Add(w.PodAffinityTerm.TopologyKey, n.Node, -w.Weight);
                    }
                }
            }
        }
        var raw = feasible.Select(n => byDomain.Where(d => Label(n.Node, d.Key.Key) == d.Key.Value).Sum(d => d.Value)).ToArray();
        var min = raw.Min();
        var max = raw.Max();
        return raw.Select(s => max - min > 0 ? MaxNodeScore * (s - min) / (max - min) : 0).ToArray();
    }

    /// <summary>Whether <paramref name="candidate"/> is selected by a term declared on <paramref name="owner"/>.</summary>
    private static bool TermMatches(V1PodAffinityTerm term, V1Pod owner, V1Pod candidate)
    {
        var ns = candidate.Metadata.NamespaceProperty ?? "default";
        var allowed = term.Namespaces is { Count: > 0 } names
            ? names.Contains(ns)
            : term.NamespaceSelector is { } sel && (sel.MatchLabels?.Count ?? 0) == 0 && (sel.MatchExpressions?.Count ?? 0) == 0
                || ns == (owner.Metadata.NamespaceProperty ?? "default");
        return allowed && SelectorTerms.Matches(term.LabelSelector, candidate.Metadata.Labels);
    }

    private static string? Label(V1Node node, string key) =>
        node.Metadata.Labels is { } labels && labels.TryGetValue(key, out var v) ? v : null;
}
