using System.Text.Json.Nodes;

namespace GridGame.LocalCluster.Selection;

/// <summary>A field selector (<c>metadata.name=x,spec.nodeName!=</c>) over the fields a resource declares selectable.</summary>
internal sealed class FieldSelector
{
    private sealed record Term(string Field, bool Equal, string Value);

    private readonly List<Term> _terms;

    private FieldSelector(List<Term> terms) => _terms = terms;

    public static FieldSelector Everything { get; } = new([]);

    public bool IsEmpty => _terms.Count == 0;

    /// <summary>Parses; an unsupported field is a 400 "field label not supported", as on a real cluster.</summary>
    public static FieldSelector Parse(string? text, IReadOnlyList<string> selectable, string kind)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }
        var terms = new List<Term>();
        foreach (var part in text.Split(','))
        {
            var p = part.Trim();
            if (p.Length == 0)
            {
                continue;
            }
            string field;
            string value;
            bool equal;
            var ne = p.IndexOf("!=", StringComparison.Ordinal);
            if (ne >= 0)
            {
                (field, value, equal) = (p[..ne], p[(ne + 2)..], false);
            }
            else
            {
                var eq = p.IndexOf('=', StringComparison.Ordinal);
                if (eq < 0)
                {
                    throw ApiException.BadRequest($"invalid selector: '{text}'; can't understand '{p}'");
                }
                var skip = eq + 1 < p.Length && p[eq + 1] == '=' ? 2 : 1;
                (field, value, equal) = (p[..eq], p[(eq + skip)..], true);
            }
            field = field.Trim();
            if (field is not ("metadata.name" or "metadata.namespace") && !selectable.Contains(field))
            {
                throw ApiException.BadRequest($"field label not supported: {field}");
            }
            terms.Add(new Term(field, equal, value.Trim()));
        }
        return new FieldSelector(terms);
    }

    public bool Matches(JsonObject obj)
    {
        foreach (var t in _terms)
        {
            var actual = Value(obj, t.Field);
            if ((actual == t.Value) != t.Equal)
            {
                return false;
            }
        }
        return true;
    }

    private static string Value(JsonObject obj, string field)
    {
        // Core events name their source component as "source"; everything else is a dotted path.
        var path = field == "source" ? "source.component" : field;
        JsonNode? node = obj;
        foreach (var segment in path.Split('.'))
        {
            node = (node as JsonObject)?[segment];
        }
        return node switch
        {
            null => "",
            JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
            JsonValue v => v.ToString(),
            _ => node.ToJsonString(),
        };
    }
}
