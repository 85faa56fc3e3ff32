using k8s.Models;

namespace GridGame.Operator.Allocation;

/// <summary>Evaluates a Kubernetes label selector (matchLabels + matchExpressions) against a label set.</summary>
internal sealed class LabelSelectorMatcher
{
    public static LabelSelectorMatcher Everything { get; } = new(null);

    private readonly V1LabelSelector? _selector;

    public LabelSelectorMatcher(V1LabelSelector? selector) => _selector = selector;

    public bool Matches(IReadOnlyDictionary<string, string>? labels)
    {
        if (_selector is null)
        {
            return true;
        }
        labels ??= new Dictionary<string, string>();
        if (_selector.MatchLabels is { } required)
        {
            foreach (var (key, value) in required)
            {
                if (!labels.TryGetValue(key, out var actual) || actual != value)
                {
                    return false;
                }
            }
        }
        foreach (var e in _selector.MatchExpressions ?? [])
        {
            var has = labels.TryGetValue(e.Key, out var actual);
            var values = e.Values ?? [];
            var ok = e.OperatorProperty switch
            {
                "In" => has && values.Contains(actual!),
                "NotIn" => !has || !values.Contains(actual!),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }
}
