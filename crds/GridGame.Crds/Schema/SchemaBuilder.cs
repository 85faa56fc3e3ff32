using System.ComponentModel;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s.Models;

namespace GridGame.Crds.Schema;

/// <summary>
/// Builds a structural OpenAPI v3 schema from a C# type by reflection: JSON names from
/// <see cref="JsonPropertyNameAttribute"/>, types from the CLR types, constraints from the attributes in this
/// namespace. Keys of every schema object are sorted, so the output is deterministic.
/// </summary>
internal static class SchemaBuilder
{
    /// <summary>The schema of a top-level resource type: apiVersion, kind, metadata, spec, status.</summary>
    public static JsonObject ForResource(Type type) => ForObject(type, root: true);

    private static JsonObject ForObject(Type type, bool root = false)
    {
        var properties = new SortedDictionary<string, JsonNode>(StringComparer.Ordinal);
        var required = new List<string>();
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.MetadataToken))
        {
            var name = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name
                ?? throw new InvalidOperationException($"{type.Name}.{property.Name} has no [JsonPropertyName]");
            properties[name] = root && name == "metadata" ? new JsonObject { ["type"] = "object" } : ForProperty(property);
            if (property.GetCustomAttribute<RequiredAttribute>() is not null)
            {
                required.Add(name);
            }
        }

        var schema = Sorted(new Dictionary<string, JsonNode?>
        {
            ["type"] = "object",
            ["description"] = type.GetCustomAttribute<DescriptionAttribute>()?.Description,
            ["properties"] = new JsonObject(properties.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
            ["required"] = required.Count > 0 ? new JsonArray([.. required.Order(StringComparer.Ordinal).Select(r => (JsonNode)r)]) : null,
            ["x-kubernetes-validations"] = CelRules(type.GetCustomAttributes<CelRuleAttribute>()),
        });
        return schema;
    }

    private static JsonObject ForProperty(PropertyInfo property)
    {
        var schema = ForType(property.PropertyType, property);
        Set(schema, "description", property.GetCustomAttribute<DescriptionAttribute>()?.Description);
        if (property.GetCustomAttribute<DefaultAttribute>() is { } @default)
        {
            Set(schema, "default", DefaultValue(@default));
        }

        if (property.GetCustomAttribute<MinimumAttribute>() is { } minimum)
        {
            Set(schema, "minimum", Number(minimum.Value));
        }

        if (property.GetCustomAttribute<MaximumAttribute>() is { } maximum)
        {
            Set(schema, "maximum", Number(maximum.Value));
        }

        Set(schema, "pattern", property.GetCustomAttribute<PatternAttribute>()?.Pattern);
        Set(schema, "minLength", property.GetCustomAttribute<MinLengthAttribute>()?.Value);
        Set(schema, "maxLength", property.GetCustomAttribute<MaxLengthAttribute>()?.Value);
        Set(schema, "minItems", property.GetCustomAttribute<MinItemsAttribute>()?.Value);
        Set(schema, "maxItems", property.GetCustomAttribute<MaxItemsAttribute>()?.Value);
        if (property.GetCustomAttribute<ItemPatternAttribute>() is { } itemPattern && schema["items"] is JsonObject items)
        {
            Set(items, "pattern", itemPattern.Pattern);
            Set(items, "maxLength", itemPattern.MaxLength > 0 ? itemPattern.MaxLength : null);
        }

        if (property.GetCustomAttribute<ListMapAttribute>() is { } listMap)
        {
            Set(schema, "x-kubernetes-list-type", "map");
            Set(schema, "x-kubernetes-list-map-keys", new JsonArray([.. listMap.Keys.Select(k => (JsonNode)k)]));
        }

        var propertyRules = property.GetCustomAttributes<CelRuleAttribute>().ToList();
        if (propertyRules.Count > 0)
        {
            // A property's own rules follow those of its type.
            var typeRules = (schema["x-kubernetes-validations"] as JsonArray)?.Select(n => n!.DeepClone()) ?? [];
            schema["x-kubernetes-validations"] = new JsonArray([.. typeRules, .. CelRules(propertyRules)!.Select(n => n!.DeepClone())]);
        }

        return Sorted(schema);
    }

    private static JsonObject ForType(Type type, PropertyInfo? property)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying == typeof(int))
        {
            return new JsonObject { ["type"] = "integer", ["format"] = "int32" };
        }

        if (underlying == typeof(long))
        {
            return new JsonObject { ["type"] = "integer", ["format"] = "int64" };
        }

        if (underlying == typeof(bool))
        {
            return new JsonObject { ["type"] = "boolean" };
        }

        if (underlying == typeof(string))
        {
            return new JsonObject { ["type"] = "string" };
        }

        if (underlying == typeof(DateTime) || underlying == typeof(DateTimeOffset))
        {
            return new JsonObject { ["type"] = "string", ["format"] = "date-time" };
        }

        if (underlying.IsEnum)
        {
            return new JsonObject { ["type"] = "string", ["enum"] = new JsonArray([.. Enum.GetNames(underlying).Select(n => (JsonNode)n)]) };
        }

        if (underlying == typeof(IntOrString))
        {
            return new JsonObject
            {
                ["anyOf"] = new JsonArray(new JsonObject { ["type"] = "integer" }, new JsonObject { ["type"] = "string" }),
                ["x-kubernetes-int-or-string"] = true,
            };
        }

        if (underlying == typeof(V1PodTemplateSpec))
        {
            return KubernetesSchemas.PodTemplate(preserveUnknownFields: property?.GetCustomAttribute<PreserveUnknownFieldsAttribute>() is not null);
        }

        if (underlying == typeof(V1LabelSelector))
        {
            return KubernetesSchemas.LabelSelector();
        }

        if (underlying == typeof(V1Condition))
        {
            return KubernetesSchemas.Condition();
        }

        if (underlying.IsGenericType && underlying.GetGenericTypeDefinition() is var generic
            && (generic == typeof(IList<>) || generic == typeof(List<>) || generic == typeof(IReadOnlyList<>)))
        {
            return new JsonObject { ["type"] = "array", ["items"] = ForType(underlying.GetGenericArguments()[0], property: null) };
        }

        if (underlying.IsGenericType && underlying.GetGenericTypeDefinition() is var dictionary
            && (dictionary == typeof(IDictionary<,>) || dictionary == typeof(Dictionary<,>)))
        {
            return new JsonObject { ["type"] = "object", ["additionalProperties"] = ForType(underlying.GetGenericArguments()[1], property: null) };
        }

        if (underlying.IsClass && underlying.Namespace?.StartsWith("GridGame.Crds", StringComparison.Ordinal) == true)
        {
            return ForObject(underlying);
        }

        throw new NotSupportedException($"No schema mapping for {underlying.FullName}; add one to {nameof(SchemaBuilder)}.");
    }

    private static JsonNode? DefaultValue(DefaultAttribute attribute) => attribute switch
    {
        { IsJson: true, Value: string json } => JsonNode.Parse(json),
        { Value: Enum value } => JsonValue.Create(value.ToString()),
        { Value: int value } => JsonValue.Create(value),
        { Value: long value } => JsonValue.Create(value),
        { Value: bool value } => JsonValue.Create(value),
        { Value: string value } => JsonValue.Create(value),
        _ => throw new NotSupportedException($"Unsupported default {attribute.Value}"),
    };

    private static JsonArray? CelRules(IEnumerable<CelRuleAttribute> attributes)
    {
        var rules = attributes.Select(a =>
        {
            var rule = new JsonObject { ["rule"] = a.Rule, ["message"] = a.Message };
            if (a.FieldPath is not null)
            {
                rule["fieldPath"] = a.FieldPath;
            }

            return (JsonNode)Sorted(rule);
        }).ToArray();
        return rules.Length == 0 ? null : new JsonArray(rules);
    }

    private static JsonNode Number(double value) =>
        value == Math.Floor(value) ? JsonValue.Create((long)value) : JsonValue.Create(value);

    private static void Set(JsonObject schema, string key, JsonNode? value)
    {
        if (value is not null)
        {
            schema[key] = value;
        }
    }

    private static void Set(JsonObject schema, string key, string? value) => Set(schema, key, value is null ? null : JsonValue.Create(value));

    private static void Set(JsonObject schema, string key, int? value) => Set(schema, key, value is null ? null : JsonValue.Create(value.Value));

    /// <summary>A copy of <paramref name="schema"/> with its keys in ordinal order and null values dropped.</summary>
    internal static JsonObject Sorted(IEnumerable<KeyValuePair<string, JsonNode?>> schema)
    {
        var pairs = schema.Where(p => p.Value is not null).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        var sorted = new JsonObject();
        foreach (var (key, value) in pairs)
        {
            sorted[key] = value!.Parent is null ? value : value.DeepClone();
        }

        return sorted;
    }
}
