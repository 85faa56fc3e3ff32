using GridGame.Kube;
using k8s.Models;

namespace GridGame.Operator.Allocation;

/// <summary>A session's server selector (null: any server) as the shared label selector, applied to servers' labels.</summary>
internal sealed class LabelSelectorMatcher(V1LabelSelector? selector)
{
    private readonly LabelSelector _selector = selector is null
        ? LabelSelector.Everything
        : LabelSelector.FromMatch(selector.MatchLabels, selector.MatchExpressions?.Select(e => new LabelSelectorRequirement(e.Key, e.OperatorProperty, e.Values)));

    public static LabelSelectorMatcher Everything { get; } = new(null);

    public bool Matches(IReadOnlyDictionary<string, string>? labels) => _selector.Matches(labels);
}
