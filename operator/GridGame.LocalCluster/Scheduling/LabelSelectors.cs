using k8s.Models;

namespace GridGame.LocalCluster.Scheduling;

/// <summary>Label selector and node selector requirement matching, as the API server and scheduler define them.</summary>
internal static class LabelSelectors
{
    /// <summary>A null selector matches nothing (affinity terms); an empty one matches everything.</summary>
    public static bool Matches(V1LabelSelector? selector, IDictionary<string, string>? labels)
    {
        if (selector is null)
        {
            return false;
        }
        labels ??= new Dictionary<string, string>();
        foreach (var (key, value) in selector.MatchLabels ?? new Dictionary<string, string>())
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }
        foreach (var e in selector.MatchExpressions ?? [])
        {
            if (!Matches(e.Key, e.OperatorProperty, e.Values, labels))
            {
                return false;
            }
        }
        return true;
    }

    public static bool Matches(V1NodeSelectorTerm term, IDictionary<string, string>? labels)
    {
        labels ??= new Dictionary<string, string>();
        return (term.MatchExpressions ?? []).All(e => Matches(e.Key, e.OperatorProperty, e.Values, labels));
    }

    private static bool Matches(string key, string op, IList<string>? values, IDictionary<string, string> labels)
    {
        var has = labels.TryGetValue(key, out var actual);
        values ??= [];
        return op switch
        {
            "In" => has && values.Contains(actual!),
            "NotIn" => !has || !values.Contains(actual!),
            "Exists" => has,
            "DoesNotExist" => !has,
            "Gt" => has && long.TryParse(actual, out var a) && values.Count == 1 && long.TryParse(values[0], out var b) && a > b,
            "Lt" => has && long.TryParse(actual, out var c) && values.Count == 1 && long.TryParse(values[0], out var d) && c < d,
            _ => false,
        };
    }
}
