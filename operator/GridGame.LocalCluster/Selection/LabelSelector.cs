using System.Text.Json.Nodes;
using GridGame.LocalCluster.Api;

namespace GridGame.LocalCluster.Selection;

/// <summary>
/// A parsed label selector in the API server's string syntax: <c>a=b</c>, <c>a==b</c>, <c>a!=b</c>, <c>a in (x,y)</c>,
/// <c>a notin (x)</c>, <c>a</c> (exists), <c>!a</c> (does not exist), comma-separated, all must hold.
/// </summary>
internal sealed class LabelSelector
{
    private enum Op
    {
        Equals,
        NotEquals,
        In,
        NotIn,
        Exists,
        DoesNotExist,
    }

    private sealed record Requirement(string Key, Op Operator, IReadOnlyList<string> Values);

    private readonly List<Requirement> _requirements;

    private LabelSelector(List<Requirement> requirements) => _requirements = requirements;

    public static LabelSelector Everything { get; } = new([]);

    public bool IsEmpty => _requirements.Count == 0;

    /// <summary>Parses a selector; a syntax error is a 400 BadRequest, worded like the API server's.</summary>
    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }
        var requirements = new List<Requirement>();
        var i = 0;
        while (true)
        {
            SkipSpaces(text, ref i);
            if (i >= text.Length)
            {
                throw Error(text, "found '', expected: !, identifier, or 'end of string'");
            }
            Requirement r;
            if (text[i] == '!')
            {
                i++;
                SkipSpaces(text, ref i);
                r = new Requirement(ReadKey(text, ref i), Op.DoesNotExist, []);
            }
            else
            {
                var key = ReadKey(text, ref i);
                SkipSpaces(text, ref i);
                if (i >= text.Length || text[i] == ',')
                {
                    r = new Requirement(key, Op.Exists, []);
                }
                else if (text[i] == '=')
                {
                    i += i + 1 < text.Length && text[i + 1] == '=' ? 2 : 1;
                    r = new Requirement(key, Op.Equals, [ReadValue(text, ref i)]);
                }
                else if (text[i] == '!' && i + 1 < text.Length && text[i + 1] == '=')
                {
                    i += 2;
                    r = new Requirement(key, Op.NotEquals, [ReadValue(text, ref i)]);
                }
                else if (Word(text, ref i, "notin"))
                {
                    r = new Requirement(key, Op.NotIn, ReadSet(text, ref i));
                }
                else if (Word(text, ref i, "in"))
                {
                    r = new Requirement(key, Op.In, ReadSet(text, ref i));
                }
                else
                {
                    throw Error(text, $"found '{text[i]}', expected: in, notin, =, ==, !=, gt, lt");
                }
            }
            requirements.Add(r);
            SkipSpaces(text, ref i);
            if (i >= text.Length)
            {
                break;
            }
            if (text[i] != ',')
            {
                throw Error(text, $"found '{text[i]}', expected: ',' or 'end of string'");
            }
            i++;
        }
        return new LabelSelector(requirements);
    }

    /// <summary>Builds a selector from a metav1.LabelSelector object (matchLabels + matchExpressions).</summary>
    public static LabelSelector FromObject(JsonObject? selector)
    {
        if (selector is null)
        {
            return Everything;
        }
        var requirements = new List<Requirement>();
        if (selector["matchLabels"] is JsonObject labels)
        {
            foreach (var (k, v) in labels)
            {
                requirements.Add(new Requirement(k, Op.Equals, [(string?)v ?? ""]));
            }
        }
        if (selector["matchExpressions"] is JsonArray expressions)
        {
            foreach (var e in expressions.OfType<JsonObject>())
            {
                var values = (e["values"] as JsonArray)?.Select(v => (string?)v ?? "").ToList() ?? [];
                var op = (string?)e["operator"] switch
                {
                    "In" => Op.In,
                    "NotIn" => Op.NotIn,
                    "Exists" => Op.Exists,
                    _ => Op.DoesNotExist,
                };
                requirements.Add(new Requirement((string?)e["key"] ?? "", op, values));
            }
        }
        return new LabelSelector(requirements);
    }

    public bool Matches(JsonObject? labels)
    {
        foreach (var r in _requirements)
        {
            var has = labels is not null && labels.TryGetPropertyValue(r.Key, out var node);
            var value = has ? (string?)labels![r.Key] : null;
            var ok = r.Operator switch
            {
                Op.Equals => has && value == r.Values[0],
                Op.NotEquals => !has || value != r.Values[0],
                Op.In => has && r.Values.Contains(value),
                Op.NotIn => !has || !r.Values.Contains(value),
                Op.Exists => has,
                _ => !has,
            };
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    private static ApiException Error(string text, string detail) =>
        ApiException.BadRequest($"unable to parse requirement: {detail}; in selector \"{text}\"");

    private static void SkipSpaces(string s, ref int i)
    {
        while (i < s.Length && s[i] == ' ')
        {
            i++;
        }
    }

    private static bool IsKeyChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/';

    private static string ReadKey(string s, ref int i)
    {
        var start = i;
        while (i < s.Length && IsKeyChar(s[i]))
        {
            i++;
        }
        if (i == start)
        {
            throw Error(s, $"found '{(i < s.Length ? s[i].ToString() : "")}', expected: identifier");
        }
        var key = s[start..i];
        var name = key.Contains('/', StringComparison.Ordinal) ? key[(key.IndexOf('/', StringComparison.Ordinal) + 1)..] : key;
        if (name.Length == 0 || name.Length > 63 || !char.IsAsciiLetterOrDigit(name[0]) || !char.IsAsciiLetterOrDigit(name[^1]))
        {
            throw Error(s, $"invalid label key \"{key}\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
        }
        return key;
    }

    private static string ReadValue(string s, ref int i)
    {
        SkipSpaces(s, ref i);
        var start = i;
        while (i < s.Length && IsKeyChar(s[i]) && s[i] != '/')
        {
            i++;
        }
        return s[start..i];
    }

    private static bool Word(string s, ref int i, string word)
    {
        if (string.CompareOrdinal(s, i, word, 0, word.Length) == 0 && (i + word.Length >= s.Length || !IsKeyChar(s[i + word.Length])))
        {
            i += word.Length;
            return true;
        }
        return false;
    }

    private static List<string> ReadSet(string s, ref int i)
    {
        SkipSpaces(s, ref i);
        if (i >= s.Length || s[i] != '(')
        {
            throw Error(s, "found '', expected: '('");
        }
        i++;
        var values = new List<string>();
        while (true)
        {
            SkipSpaces(s, ref i);
            values.Add(ReadValue(s, ref i));
            SkipSpaces(s, ref i);
            if (i < s.Length && s[i] == ',')
            {
                i++;
                continue;
            }
            if (i < s.Length && s[i] == ')')
            {
                i++;
                return values;
            }
            throw Error(s, "found '', expected: ',', ')' or identifier");
        }
    }
}
