using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GridGame.LocalCluster.Schema.Cel;

/// <summary>
/// A CEL runtime error as a value, so that <c>&amp;&amp;</c>, <c>||</c> and the macros can absorb it as CEL says
/// (<c>false &amp;&amp; err</c> is false) instead of unwinding on the first one.
/// </summary>
internal sealed class CelError(string message)
{
    public string Message { get; } = message;

    public static CelError NoOverload(string function) => new($"no such overload: {function}");

    public override string ToString() => Message;
}

/// <summary>A CEL map: a JSON object seen through its schema, or a map literal.</summary>
internal abstract class CelMap
{
    public abstract int Count { get; }

    public abstract IEnumerable<object?> Keys { get; }

    public abstract bool TryGet(object? key, out object? value);

    /// <summary>Whether the key is present, without converting its value (for <c>has()</c> and <c>in</c>).</summary>
    public virtual bool ContainsKey(object? key) => TryGet(key, out _);
}

/// <summary>
/// The values an expression works with: null, bool, long (int), ulong (uint), double, string,
/// <see cref="IReadOnlyList{T}"/> (list), <see cref="CelMap"/> (map) and <see cref="CelError"/>.
/// </summary>
internal static class CelValues
{
    /// <summary>
    /// The CEL value of a JSON value. The schema decides whether a JSON number is an int or a double, as the API
    /// server's type provider does; objects stay JSON and their fields are converted when read.
    /// </summary>
    public static object? FromJson(JsonNode? node, JsonObject? schema) => node switch
    {
        null => null,
        JsonObject obj => new JsonMap(obj, schema),
        JsonArray array => array.Select(item => FromJson(item, schema?["items"] as JsonObject)).ToList(),
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => Number(value, schema),
            _ => null,
        },
        _ => null,
    };

    private static object Number(JsonValue value, JsonObject? schema)
    {
        var type = (schema?["type"] as JsonValue)?.GetValueKind() == JsonValueKind.String ? schema!["type"]!.GetValue<string>() : null;
        // Parsed JSON answers TryGetValue without a string; values built in C# (JsonValue.Create(5)) may need the text.
        if (type != "number" && (value.TryGetValue<long>(out var integer)
            || long.TryParse(value.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out integer)))
        {
            return integer;
        }
        var d = value.TryGetValue<double>(out var parsed) ? parsed : double.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
        return type == "integer" && Math.Floor(d) == d && Math.Abs(d) < 9.2e18 ? (long)d : d;
    }

    /// <summary>CEL's type name of a value, for messages.</summary>
    public static string TypeName(object? value) => value switch
    {
        null => "null_type",
        bool => "bool",
        long => "int",
        ulong => "uint",
        double => "double",
        string => "string",
        IReadOnlyList<object?> => "list",
        CelMap => "map",
        _ => "error",
    };

    /// <summary>CEL equality: numbers compare across int, uint and double; lists and maps element by element.</summary>
    public static bool Equal(object? a, object? b)
    {
        if (CompareNumbers(a, b) is { } order)
        {
            return order == 0;
        }
        return (a, b) switch
        {
            (null, null) => true,
            (bool x, bool y) => x == y,
            (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
            (IReadOnlyList<object?> x, IReadOnlyList<object?> y) => x.Count == y.Count && x.Zip(y).All(p => Equal(p.First, p.Second)),
            (CelMap x, CelMap y) => x.Count == y.Count && x.Keys.All(k => y.TryGet(k, out var v) && x.TryGet(k, out var u) && Equal(u, v)),
            _ => false,
        };
    }

    /// <summary>The order of two numbers of any numeric types; null when either is not a number or is NaN.</summary>
    public static int? CompareNumbers(object? a, object? b) => (a, b) switch
    {
        (long x, long y) => x.CompareTo(y),
        (ulong x, ulong y) => x.CompareTo(y),
        (long x, ulong y) => x < 0 ? -1 : ((ulong)x).CompareTo(y),
        (ulong x, long y) => y < 0 ? 1 : x.CompareTo((ulong)y),
        (double x, double y) => double.IsNaN(x) || double.IsNaN(y) ? null : x.CompareTo(y),
        (double x, long y) => double.IsNaN(x) ? null : x.CompareTo((double)y),
        (long x, double y) => double.IsNaN(y) ? null : ((double)x).CompareTo(y),
        (double x, ulong y) => double.IsNaN(x) ? null : x.CompareTo((double)y),
        (ulong x, double y) => double.IsNaN(y) ? null : ((double)x).CompareTo(y),
        _ => null,
    };

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if", "import",
        "let", "loop", "package", "namespace", "return", "var", "void", "while",
    };

    /// <summary>
    /// The property a rule names with the API server's escaping of names CEL cannot spell (<c>__dash__</c> for
    /// <c>-</c>, <c>__dot__</c>, <c>__slash__</c>, <c>__underscores__</c>, <c>__namespace__</c> for keywords); null when
    /// the name has no escape.
    /// </summary>
    public static string? Unescape(string name)
    {
        if (!name.Contains("__", StringComparison.Ordinal))
        {
            return null;
        }
        if (name.Length > 4 && name.StartsWith("__", StringComparison.Ordinal) && name.EndsWith("__", StringComparison.Ordinal) && Keywords.Contains(name[2..^2]))
        {
            return name[2..^2];
        }
        var unescaped = name.Replace("__underscores__", "\0", StringComparison.Ordinal)
            .Replace("__dash__", "-", StringComparison.Ordinal)
            .Replace("__dot__", ".", StringComparison.Ordinal)
            .Replace("__slash__", "/", StringComparison.Ordinal)
            .Replace("\0", "__", StringComparison.Ordinal);
        return unescaped == name ? null : unescaped;
    }

    /// <summary>A JSON object as a map; field values are converted on each read, so a rule pays only for what it reads.</summary>
    private sealed class JsonMap(JsonObject obj, JsonObject? schema) : CelMap
    {
        public override int Count => obj.Count;

        public override IEnumerable<object?> Keys => obj.Select(kv => (object?)kv.Key);

        public override bool TryGet(object? key, out object? value)
        {
            if (key is string name && (obj.TryGetPropertyValue(name, out var node)
                || (schema?["properties"] is JsonObject && Unescape(name) is { } property && obj.TryGetPropertyValue(name = property, out node))))
            {
                value = FromJson(node, FieldSchema(name));
                return true;
            }
            value = null;
            return false;
        }

        public override bool ContainsKey(object? key) =>
            key is string name && (obj.ContainsKey(name) || (schema?["properties"] is JsonObject && Unescape(name) is { } property && obj.ContainsKey(property)));

        private JsonObject? FieldSchema(string name) =>
            schema?["properties"] is JsonObject properties && properties[name] is JsonObject property ? property
            : schema?["additionalProperties"] as JsonObject;
    }
}

/// <summary>A map literal: few entries, so keys are found by CEL equality rather than hashing.</summary>
internal sealed class LiteralMap(List<KeyValuePair<object?, object?>> entries) : CelMap
{
    public override int Count => entries.Count;

    public override IEnumerable<object?> Keys => entries.Select(e => e.Key);

    public override bool TryGet(object? key, out object? value)
    {
        foreach (var entry in entries)
        {
            if (CelValues.Equal(entry.Key, key))
            {
                value = entry.Value;
                return true;
            }
        }
        value = null;
        return false;
    }
}
