using GridGame.Kube;
using k8s.Models;

namespace GridGame.LocalCluster.Scheduling;

/// <summary>The pod fields that select nodes or pods (nodeSelector, node and pod affinity terms), as shared label selectors.</summary>
internal static class SelectorTerms
{
    /// <summary>A pod's <c>nodeSelector</c>: every label it names, with that value.</summary>
    public static bool MatchesNodeSelector(IDictionary<string, string>? nodeSelector, IDictionary<string, string>? labels) =>
        nodeSelector is not { Count: > 0 } || LabelSelector.FromMatch(nodeSelector, null).Matches(ReadOnly(labels));

    /// <summary>A null selector matches nothing (affinity terms); an empty one matches everything.</summary>
    public static bool Matches(V1LabelSelector? selector, IDictionary<string, string>? labels) =>
        selector is not null
        && LabelSelector.FromMatch(selector.MatchLabels, selector.MatchExpressions?.Select(e => new LabelSelectorRequirement(e.Key, e.OperatorProperty, e.Values)))
            .Matches(ReadOnly(labels));

    public static bool Matches(V1NodeSelectorTerm term, IDictionary<string, string>? labels) =>
        LabelSelector.FromNodeSelectorTerm(term.MatchExpressions?.Select(e => new LabelSelectorRequirement(e.Key, e.OperatorProperty, e.Values)))
            .Matches(ReadOnly(labels));

    /// <summary>The client's label maps are dictionaries typed as <see cref="IDictionary{TKey, TValue}"/>: no copy for those.</summary>
    private static IReadOnlyDictionary<string, string>? ReadOnly(IDictionary<string, string>? labels) =>
        labels as IReadOnlyDictionary<string, string> ?? (labels is null ? null : new Dictionary<string, string>(labels, StringComparer.Ordinal));
}
