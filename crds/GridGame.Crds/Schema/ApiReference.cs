using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GridGame.Crds.Schema;

/// <summary>
/// Renders the field reference of docs/reference/api.md from the generated schemas, so the documented fields, defaults and
/// bounds are the ones the API server enforces. It replaces the text between <see cref="Begin"/> and <see cref="End"/>.
/// </summary>
public static class ApiReference
{
    public const string Begin = "<!-- BEGIN GENERATED REFERENCE: gridgame-operator crds -->";
    public const string End = "<!-- END GENERATED REFERENCE -->";

    /// <summary>The reference of every resource, as Markdown.</summary>
    public static string Render()
    {
        var text = new StringBuilder();
        foreach (var (_, crd) in CrdGenerator.All())
        {
            var kind = crd["spec"]!["names"]!["kind"]!.GetValue<string>();
            text.Append("### ").Append(kind).Append(" fields\n\n");
            text.Append("| field | type | default | rules | description |\n| --- | --- | --- | --- | --- |\n");
            var schema = CrdGenerator.OpenApiSchema(crd);
            foreach (var part in new[] { "spec", "status" })
            {
                if (schema["properties"]?[part] is JsonObject partSchema)
                {
                    Rows(text, part, partSchema, required: IsRequired(schema, part));
                }
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    /// <summary><paramref name="document"/> with its generated section replaced by <see cref="Render"/>.</summary>
    public static string Update(string document)
    {
        var begin = document.IndexOf(Begin, StringComparison.Ordinal);
        var end = document.IndexOf(End, StringComparison.Ordinal);
        if (begin < 0 || end < begin)
        {
            throw new InvalidOperationException($"The document has no '{Begin}' ... '{End}' section.");
        }

        return document[..(begin + Begin.Length)] + "\n\n" + Render() + document[end..];
    }

    private static void Rows(StringBuilder text, string path, JsonObject schema, bool required)
    {
        if (path is "spec" or "status")
        {
            // The two roots get no row of their own; their fields follow.
        }
        else
        {
            text.Append("| `").Append(path).Append("` | ").Append(TypeOf(schema)).Append(" | ").Append(DefaultOf(schema))
                .Append(" | ").Append(RulesOf(schema, required)).Append(" | ").Append(Cell(schema["description"]?.GetValue<string>())).Append(" |\n");
        }

        if (schema["x-kubernetes-preserve-unknown-fields"] is not null || path.EndsWith(".template", StringComparison.Ordinal))
        {
            return; // A pod template: its fields are the Pod's.
        }

        if (schema["properties"] is JsonObject properties)
        {
            foreach (var (name, child) in properties)
            {
                Rows(text, path + "." + name, child!.AsObject(), IsRequired(schema, name));
            }
        }

        if (schema["items"] is JsonObject { } items && items["properties"] is JsonObject itemProperties && path is not "status.conditions")
        {
            foreach (var (name, child) in itemProperties)
            {
                Rows(text, path + "[]." + name, child!.AsObject(), IsRequired(items, name));
            }
        }
    }

    private static bool IsRequired(JsonObject schema, string name) =>
        schema["required"] is JsonArray required && required.Any(r => r!.GetValue<string>() == name);

    private static string TypeOf(JsonObject schema)
    {
        if (schema["x-kubernetes-int-or-string"] is not null)
        {
            return "integer or string";
        }

        var type = schema["type"]?.GetValue<string>() ?? "any";
        if (schema["enum"] is JsonArray values)
        {
            return string.Join(" \\| ", values.Select(v => v!.GetValue<string>()));
        }

        if (type == "array" && schema["items"] is JsonObject items)
        {
            return "list of " + (items["type"]?.GetValue<string>() is "object" ? "objects" : items["type"]?.GetValue<string>() + "s");
        }

        return schema["format"]?.GetValue<string>() is "date-time" ? "timestamp" : type;
    }

    private static string DefaultOf(JsonObject schema) => schema["default"] switch
    {
        null => "",
        JsonObject { Count: 0 } => "`{}`",
        JsonValue value when value.GetValueKind() == JsonValueKind.String => "`" + value.GetValue<string>() + "`",
        var other => "`" + other.ToJsonString().Replace("|", "\\|", StringComparison.Ordinal) + "`",
    };

    private static string RulesOf(JsonObject schema, bool required)
    {
        var rules = new List<string>();
        if (required)
        {
            rules.Add("required");
        }

        var min = schema["minimum"]?.ToJsonString();
        var max = schema["maximum"]?.ToJsonString();
        if (min is not null && max is not null)
        {
            rules.Add($"{min}..{max}");
        }
        else if (min is not null)
        {
            rules.Add(">= " + min);
        }
        else if (max is not null)
        {
            rules.Add("<= " + max);
        }

        Add(rules, schema, "minLength", "length >= {0}");
        Add(rules, schema, "maxLength", "length <= {0}");
        Add(rules, schema, "minItems", "items >= {0}");
        Add(rules, schema, "maxItems", "items <= {0}");
        if (schema["pattern"] is JsonValue pattern)
        {
            rules.Add("pattern `" + pattern.GetValue<string>() + "`");
        }

        if (schema["items"]?["pattern"] is JsonValue itemPattern)
        {
            rules.Add("each matches `" + itemPattern.GetValue<string>() + "`");
        }

        if (schema["x-kubernetes-list-map-keys"] is JsonArray keys)
        {
            rules.Add("unique by " + string.Join(", ", keys.Select(k => k!.GetValue<string>())));
        }

        if (schema["x-kubernetes-validations"] is JsonArray validations)
        {
            rules.AddRange(validations.Select(v => v!["message"]!.GetValue<string>()));
        }

        return Cell(string.Join("; ", rules));
    }

    private static void Add(List<string> rules, JsonObject schema, string key, string format)
    {
        if (schema[key] is JsonValue value)
        {
            rules.Add(string.Format(CultureInfo.InvariantCulture, format, value.ToJsonString()));
        }
    }

    private static string Cell(string? text) => (text ?? "").Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
