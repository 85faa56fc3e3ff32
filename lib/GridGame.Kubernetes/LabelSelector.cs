using System.Globalization;
using System.Text.Json.Nodes;

namespace GridGame.Kube;

/// <summary>
/// A label selector as Kubernetes defines it, from its string form (<c>labelSelector=</c>: <c>a=b</c>, <c>a==b</c>,
/// <c>a!=b</c>, <c>a in (x,y)</c>, <c>a notin (x)</c>, <c>a</c>, <c>!a</c>) or from <c>matchLabels</c> and
/// <c>matchExpressions</c>; every requirement must hold. Immutable, so one instance may be shared.
/// </summary>
public sealed class LabelSelector
{
    private enum Op
    {
        In,
        NotIn,
        Exists,
        DoesNotExist,
        GreaterThan,
        LessThan,
        Never,
    }

    private readonly record struct Requirement(string Key, Op Op, string[] Values);

    private delegate bool TryGetLabel<in TLabels>(TLabels labels, string key, out string? value);

    private readonly Requirement[] _requirements;

    private LabelSelector(Requirement[] requirements) => _requirements = requirements;

    /// <summary>The empty selector: it matches every object.</summary>
    public static LabelSelector Everything { get; } = new([]);

    /// <summary>True for a selector with no requirement (it matches everything).</summary>
    public bool IsEmpty => _requirements.Length == 0;

    /// <summary>
    /// A metav1.LabelSelector: <c>matchLabels</c> and <c>matchExpressions</c> with In, NotIn, Exists or DoesNotExist.
    /// Any other operator is not valid in a label selector, and its requirement matches nothing.
    /// </summary>
    public static LabelSelector FromMatch(IEnumerable<KeyValuePair<string, string>>? matchLabels, IEnumerable<LabelSelectorRequirement>? matchExpressions)
    {
        var requirements = new List<Requirement>();
        foreach (var (key, value) in matchLabels ?? [])
        {
            requirements.Add(new Requirement(key, Op.In, [value]));
        }
        foreach (var e in matchExpressions ?? [])
        {
            var op = Operator(e.Operator);
            requirements.Add(new Requirement(e.Key, op is Op.GreaterThan or Op.LessThan ? Op.Never : op, [.. e.Values ?? []]));
        }
        return requirements.Count == 0 ? Everything : new LabelSelector([.. requirements]);
    }

    /// <summary>A node selector term's <c>matchExpressions</c>: the label selector operators and Gt/Lt (integer comparison).</summary>
    public static LabelSelector FromNodeSelectorTerm(IEnumerable<LabelSelectorRequirement>? matchExpressions) =>
        matchExpressions is null ? Everything : new LabelSelector([.. matchExpressions.Select(e => new Requirement(e.Key, Operator(e.Operator), [.. e.Values ?? []]))]);

    /// <summary>Parses the string form; a syntax error is a <see cref="FormatException"/> worded as the API server words it.</summary>
    public static LabelSelector Parse(string? text) =>
        string.IsNullOrWhiteSpace(text) ? Everything : new LabelSelector([.. new SelectorParser(text).Requirements()]);

    /// <summary>Whether labels (null for none) satisfy every requirement.</summary>
    public bool Matches(IReadOnlyDictionary<string, string>? labels) =>
        Matches(labels, static (IReadOnlyDictionary<string, string>? l, string key, out string? value) =>
        {
            value = null;
            return l is not null && l.TryGetValue(key, out value);
        });

    /// <summary>Whether an object's <c>metadata.labels</c> as JSON (null for none) satisfy every requirement.</summary>
    public bool Matches(JsonObject? labels) =>
        Matches(labels, static (JsonObject? l, string key, out string? value) =>
        {
            value = null;
            if (l is null || !l.TryGetPropertyValue(key, out var node))
            {
                return false;
            }
            value = (string?)node;
            return true;
        });

    private bool Matches<TLabels>(TLabels labels, TryGetLabel<TLabels> tryGet)
    {
        foreach (var r in _requirements)
        {
            var has = tryGet(labels, r.Key, out var value);
            var ok = r.Op switch
            {
                Op.In => has && r.Values.Contains(value),
                Op.NotIn => !has || !r.Values.Contains(value),
                Op.Exists => has,
                Op.DoesNotExist => !has,
                Op.GreaterThan => has && Compare(value, r.Values) > 0,
                Op.LessThan => has && Compare(value, r.Values) < 0,
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Gt and Lt compare integers; a value or bound that is not one (or not exactly one bound) matches neither.</summary>
    private static int? Compare(string? value, string[] bounds) =>
        bounds.Length == 1
        && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var actual)
        && long.TryParse(bounds[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var bound)
            ? actual.CompareTo(bound)
            : null;

    private static Op Operator(string? name) => name switch
    {
        "In" => Op.In,
        "NotIn" => Op.NotIn,
        "Exists" => Op.Exists,
        "DoesNotExist" => Op.DoesNotExist,
        "Gt" => Op.GreaterThan,
        "Lt" => Op.LessThan,
        _ => Op.Never,
    };

    /// <summary>The string form's grammar (k8s.io/apimachinery/pkg/labels: Parse), one requirement at a time.</summary>
    private ref struct SelectorParser(string text)
    {
        private int _i;

        public List<Requirement> Requirements()
        {
            var requirements = new List<Requirement>();
            while (true)
            {
                SkipSpaces();
                if (_i >= text.Length)
                {
                    throw Error("found '', expected: !, identifier, or 'end of string'");
                }
                requirements.Add(Requirement());
                SkipSpaces();
                if (_i >= text.Length)
                {
                    return requirements;
                }
                if (text[_i] != ',')
                {
                    throw Error($"found '{text[_i]}', expected: ',' or 'end of string'");
                }
                _i++;
            }
        }

        private Requirement Requirement()
        {
            if (text[_i] == '!')
            {
                _i++;
                SkipSpaces();
                return new Requirement(ReadKey(), Op.DoesNotExist, []);
            }
            var key = ReadKey();
            SkipSpaces();
            if (_i >= text.Length || text[_i] == ',')
            {
                return new Requirement(key, Op.Exists, []);
            }
            if (text[_i] == '=')
            {
                _i += _i + 1 < text.Length && text[_i + 1] == '=' ? 2 : 1;
                return new Requirement(key, Op.In, [ReadValue()]);
            }
            if (text[_i] == '!' && _i + 1 < text.Length && text[_i + 1] == '=')
            {
                _i += 2;
                return new Requirement(key, Op.NotIn, [ReadValue()]);
            }
            if (Word("notin"))
            {
                return new Requirement(key, Op.NotIn, ReadSet());
            }
            if (Word("in"))
            {
                return new Requirement(key, Op.In, ReadSet());
            }
            throw Error($"found '{text[_i]}', expected: in, notin, =, ==, !=, gt, lt");
        }

        private readonly FormatException Error(string detail) =>
            new($"unable to parse requirement: {detail}; in selector \"{text}\"");

        private void SkipSpaces()
        {
            while (_i < text.Length && text[_i] == ' ')
            {
                _i++;
            }
        }

        private static bool IsKeyChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/';

        private string ReadKey()
        {
            var start = _i;
            while (_i < text.Length && IsKeyChar(text[_i]))
            {
                _i++;
            }
            if (_i == start)
            {
                throw Error($"found '{(_i < text.Length ? text[_i].ToString() : "")}', expected: identifier");
            }
            var key = text[start.._i];
            var name = key.Contains('/', StringComparison.Ordinal) ? key[(key.IndexOf('/', StringComparison.Ordinal) + 1)..] : key;
            if (name.Length == 0 || name.Length > 63 || !char.IsAsciiLetterOrDigit(name[0]) || !char.IsAsciiLetterOrDigit(name[^1]))
            {
                throw Error($"invalid label key \"{key}\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
            }
            return key;
        }

        private string ReadValue()
        {
            SkipSpaces();
            var start = _i;
            while (_i < text.Length && IsKeyChar(text[_i]) && text[_i] != '/')
            {
                _i++;
            }
            return text[start.._i];
        }

        private bool Word(string word)
        {
            if (string.CompareOrdinal(text, _i, word, 0, word.Length) == 0 && (_i + word.Length >= text.Length || !IsKeyChar(text[_i + word.Length])))
            {
                _i += word.Length;
                return true;
            }
            return false;
        }

        private string[] ReadSet()
        {
            SkipSpaces();
            if (_i >= text.Length || text[_i] != '(')
            {
                throw Error("found '', expected: '('");
            }
            _i++;
            var values = new List<string>();
            while (true)
            {
                SkipSpaces();
                values.Add(ReadValue());
                SkipSpaces();
                if (_i < text.Length && text[_i] == ',')
                {
                    _i++;
                    continue;
                }
                if (_i < text.Length && text[_i] == ')')
                {
                    _i++;
                    return [.. values];
                }
                throw Error("found '', expected: ',', ')' or identifier");
            }
        }
    }
}

/// <summary>One <c>matchExpressions</c> entry: a label key, an operator (In, NotIn, Exists, DoesNotExist; Gt, Lt for nodes) and its values.</summary>
public readonly record struct LabelSelectorRequirement(string Key, string Operator, IEnumerable<string>? Values);
