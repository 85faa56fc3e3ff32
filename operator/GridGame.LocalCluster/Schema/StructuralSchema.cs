using System.Text.Json;
using System.Text.Json.Nodes;

namespace GridGame.LocalCluster.Schema;

/// <summary>One schema violation, named by its field path the way the API server names it (spec.game.boardSize).</summary>
/// <param name="Field">Dotted path with [i] for list items, e.g. <c>spec.ports[0].hostPort</c>.</param>
/// <param name="Reason">A Kubernetes cause type: FieldValueInvalid, FieldValueRequired, FieldValueNotSupported, FieldValueTypeInvalid.</param>
/// <param name="Message">What kubectl prints after the field, e.g. <c>Invalid value: 100: spec.game.boardSize in body should be less than or equal to 64</c>.</param>
public sealed record SchemaError(string Field, string Reason, string Message)
{
    /// <summary>The line the API server prints for this error: <c>spec.game.boardSize: Invalid value: ...</c>.</summary>
    public override string ToString() => Field.Length == 0 ? Message : $"{Field}: {Message}";
}

/// <summary>
/// The apiextensions structural-schema rules that the API server applies to a custom resource:
/// defaulting, pruning of unknown fields, and validation. Pure functions over JSON, shared by LocalCluster
/// (on create, update and patch) and by the CRD tests. The API server's order is
/// <see cref="Prune"/>, then <see cref="ApplyDefaults"/>, then <see cref="Validate"/>.
/// CEL rules (<c>x-kubernetes-validations</c>) come last, through <see cref="ValidateRules"/>, unless <see cref="BlocksRules"/>;
/// they are evaluated by a CEL subset (Schema/Cel, listed in docs/contributing/localcluster.md).
/// </summary>
public static partial class StructuralSchema
{
    /// <summary>
    /// Fills in <c>default</c> values where a field is absent (or null and not nullable), recursively, parents before
    /// children, so <c>default: {}</c> on an object brings in its fields' defaults. Null fields that are not nullable
    /// and have no default are removed, as the API server does.
    /// </summary>
    public static void ApplyDefaults(JsonObject schema, JsonNode? value)
    {
        switch (value)
        {
            case JsonObject obj:
                if (schema["properties"] is JsonObject properties)
                {
                    foreach (var (name, node) in properties)
                    {
                        if (node is not JsonObject property)
                        {
                            continue;
                        }

                        var present = obj.TryGetPropertyValue(name, out var current);
                        if (property.TryGetPropertyValue("default", out var @default) && (!present || (current is null && !IsNullable(property))))
                        {
                            obj[name] = @default?.DeepClone();
                        }
                        else if (present && current is null && !IsNullable(property))
                        {
                            obj.Remove(name);
                        }
                    }
                }

                foreach (var (name, child) in obj.ToList())
                {
                    if (ChildSchema(schema, name) is { } childSchema)
                    {
                        ApplyDefaults(childSchema, child);
                    }
                }

                break;
            case JsonArray array when schema["items"] is JsonObject items:
                foreach (var item in array)
                {
                    ApplyDefaults(items, item);
                }

                break;
        }
    }

    /// <summary>
    /// Removes fields the schema does not declare, except under <c>x-kubernetes-preserve-unknown-fields</c>.
    /// At the root (and in <c>x-kubernetes-embedded-resource</c> objects) apiVersion, kind and metadata are kept.
    /// </summary>
    public static void Prune(JsonObject schema, JsonNode? value) => Prune(schema, value, isResourceRoot: true);

    private static void Prune(JsonObject schema, JsonNode? value, bool isResourceRoot)
    {
        switch (value)
        {
            case JsonObject obj:
                var preserve = IsTrue(schema, "x-kubernetes-preserve-unknown-fields");
                var embedded = isResourceRoot || IsTrue(schema, "x-kubernetes-embedded-resource");
                foreach (var (name, child) in obj.ToList())
                {
                    if (embedded && name is "apiVersion" or "kind" or "metadata")
                    {
                        continue;
                    }

                    if (ChildSchema(schema, name) is { } childSchema)
                    {
                        Prune(childSchema, child, isResourceRoot: false);
                    }
                    else if (!preserve)
                    {
                        obj.Remove(name);
                    }
                }

                break;
            case JsonArray array when schema["items"] is JsonObject items:
                foreach (var item in array)
                {
                    Prune(items, item, isResourceRoot: false);
                }

                break;
        }
    }

    /// <summary>Validates <paramref name="value"/> against an openAPIV3Schema; an empty list means valid.</summary>
    public static IReadOnlyList<SchemaError> Validate(JsonObject schema, JsonNode? value)
    {
        var errors = new List<SchemaError>();
        ValidateNode(schema, value, "", errors);
        return errors;
    }

    /// <summary>The schema of field <paramref name="name"/> of an object: a declared property, else additionalProperties.</summary>
    private static JsonObject? ChildSchema(JsonObject schema, string name) =>
        schema["properties"] is JsonObject properties && properties[name] is JsonObject property ? property
        : schema["additionalProperties"] as JsonObject;

    private static bool IsNullable(JsonObject schema) => IsTrue(schema, "nullable");

    private static bool IsTrue(JsonObject schema, string key) =>
        schema[key] is JsonValue v && v.GetValueKind() == JsonValueKind.True;
}
