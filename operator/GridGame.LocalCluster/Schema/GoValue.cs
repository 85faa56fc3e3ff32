using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GridGame.LocalCluster.Schema;

/// <summary>
/// Prints JSON values the way the API server's Go code does in error messages: <c>%q</c> for strings,
/// <c>%v</c> for numbers (1e+06 for large floats) and <c>%#v</c> for maps and lists.
/// </summary>
internal static class GoValue
{
    /// <summary>The JSON type of a value as kube-openapi infers it from the decoded Go value.</summary>
    public static string JsonType(JsonNode node) => node switch
    {
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            JsonValueKind.Number => IsIntegerLiteral(v) ? "integer" : "number",
            _ => "null",
        },
        _ => "null",
    };

    public static double ToDouble(JsonNode node) => double.Parse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>Whether a number has no fractional part (1.0 counts, as Go's isFloatInt does).</summary>
    public static bool IsIntegral(JsonNode node)
    {
        var d = ToDouble(node);
        return !double.IsInfinity(d) && Math.Floor(d) == d;
    }

    /// <summary>The value as <c>field.Error.ErrorBody</c> prints it.</summary>
    public static string Format(object? value) => value switch
    {
        null => Quote("null"),
        string s => Quote(s),
        long l => l.ToString(CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        double d => FormatFloat(d),
        bool b => b ? "true" : "false",
        JsonNode node => FormatNode(node, top: true),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    /// <summary>Go's <c>%q</c>.</summary>
    public static string Quote(string text)
    {
        var builder = new StringBuilder(text.Length + 2).Append('"');
        foreach (var rune in text.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case < 0x20 or 0x7f: builder.Append(CultureInfo.InvariantCulture, $"\\x{rune.Value:x2}"); break;
                default: builder.Append(rune.ToString()); break;
            }
        }

        return builder.Append('"').ToString();
    }

    /// <summary>Go's <c>%v</c> of a float64: the shortest digits, in exponent form below 1e-4 and from 1e+06 (1e+06, 1.5e+07).</summary>
    public static string FormatFloat(double value)
    {
        var scientific = value.ToString("E16", CultureInfo.InvariantCulture);
        var split = scientific.IndexOf('E', StringComparison.Ordinal);
        var exponent = int.Parse(scientific[(split + 1)..], CultureInfo.InvariantCulture);
        if (value == 0 || (exponent >= -4 && exponent < 6))
        {
            return value.ToString("R", CultureInfo.InvariantCulture);
        }

        var mantissa = double.Parse(scientific[..split], CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture, $"{mantissa}e{(exponent < 0 ? '-' : '+')}{Math.Abs(exponent):00}");
    }

    private static string FormatNode(JsonNode node, bool top) => node switch
    {
        JsonObject obj => "map[string]interface {}{" + string.Join(", ", obj.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => Quote(p.Key) + ":" + (p.Value is null ? "interface {}(nil)" : FormatNode(p.Value, top: false)))) + "}",
        JsonArray array => "[]interface {}{" + string.Join(", ", array.Select(i => i is null ? "interface {}(nil)" : FormatNode(i, top: false))) + "}",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => Quote(v.GetValue<string>()),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Number when IsIntegerLiteral(v) => v.ToJsonString(),
            JsonValueKind.Number => FormatFloat(ToDouble(v)),
            _ => top ? Quote("null") : "interface {}(nil)",
        },
        _ => Quote("null"),
    };

    private static bool IsIntegerLiteral(JsonValue value)
    {
        var text = value.ToJsonString();
        return text.IndexOfAny(['.', 'e', 'E']) < 0 && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);
    }
}
