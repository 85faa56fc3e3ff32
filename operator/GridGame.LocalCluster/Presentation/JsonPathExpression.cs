using System.Text.Json.Nodes;

namespace GridGame.LocalCluster.Presentation;

/// <summary>
/// The "simple JSON path" of CRD printer columns, scale paths and <c>kubectl wait --for=jsonpath</c> on the server:
/// <c>.status.replicas</c>, <c>.spec.ports[0].name</c>, <c>.status.conditions[?(@.type=="Ready")].status</c>.
/// </summary>
internal static class JsonPathExpression
{
    public static JsonNode? Evaluate(JsonNode? root, string path)
    {
        var p = path.Trim();
        if (p.StartsWith('{') && p.EndsWith('}'))
        {
            p = p[1..^1];
        }
        if (p.StartsWith('$'))
        {
            p = p[1..];
        }
        var node = root;
        var i = 0;
        while (i < p.Length && node is not null)
        {
            if (p[i] == '.')
            {
                i++;
                var start = i;
                while (i < p.Length && p[i] != '.' && p[i] != '[')
                {
                    i++;
                }
                var name = p[start..i];
                if (name.Length > 0)
                {
                    node = (node as JsonObject)?[name];
                }
            }
            else if (p[i] == '[')
            {
                var end = FindClose(p, i);
                var inner = p[(i + 1)..end];
                i = end + 1;
                if (inner.StartsWith("?(", StringComparison.Ordinal))
                {
                    node = Filter(node as JsonArray, inner[2..^1]);
                }
                else if (inner.StartsWith('\'') || inner.StartsWith('"'))
                {
                    node = (node as JsonObject)?[inner[1..^1]];
                }
                else if (int.TryParse(inner, out var index))
                {
                    var a = node as JsonArray;
                    node = a is null ? null : index < 0 ? (a.Count + index >= 0 ? a[a.Count + index] : null) : index < a.Count ? a[index] : null;
                }
                else if (inner == "*")
                {
                    // keep the array: the caller prints its items
                }
                else
                {
                    return null;
                }
            }
            else
            {
                var start = i;
                while (i < p.Length && p[i] != '.' && p[i] != '[')
                {
                    i++;
                }
                node = (node as JsonObject)?[p[start..i]];
            }
        }
        return node;
    }

    private static int FindClose(string p, int open)
    {
        var depth = 0;
        for (var i = open; i < p.Length; i++)
        {
            if (p[i] == '[')
            {
                depth++;
            }
            else if (p[i] == ']' && --depth == 0)
            {
                return i;
            }
        }
        return p.Length - 1;
    }

    /// <summary>A filter <c>@.a.b=="x"</c> (or !=): the first matching element, as kubectl's single-result printing does.</summary>
    private static JsonNode? Filter(JsonArray? array, string expression)
    {
        if (array is null)
        {
            return null;
        }
        var negate = expression.Contains("!=", StringComparison.Ordinal);
        var parts = expression.Split(negate ? "!=" : "==", 2);
        if (parts.Length != 2)
        {
            return null;
        }
        var left = parts[0].Trim();
        var right = parts[1].Trim().Trim('"', '\'');
        foreach (var item in array)
        {
            var value = Evaluate(item, left.StartsWith('@') ? left[1..] : left);
            var text = value is JsonValue v ? v.ToString() : value?.ToJsonString();
            if ((text == right) != negate)
            {
                return item;
            }
        }
        return null;
    }
}
