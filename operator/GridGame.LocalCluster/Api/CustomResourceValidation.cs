using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using GridGame.LocalCluster.Schema;
using GridGame.LocalCluster.Storage;

namespace GridGame.LocalCluster.Api;

/// <summary>A custom resource against its CRD version's structural schema: pruning (strict field validation), defaults, validation and CEL rules.</summary>
internal static class CustomResourceValidation
{
    /// <summary>
    /// Each CRD version's schema without its metadata property, made once per schema rather than deep-copied on
    /// every write (it was the largest allocation of a custom resource write). Pruning, defaulting and validation
    /// only read it, and they run under the store's lock, so one copy is shared.
    /// </summary>
    private static readonly ConditionalWeakTable<JsonObject, JsonObject> BodySchemas = new();

    private static JsonObject BodySchema(JsonObject schema)
    {
        var copy = (JsonObject)schema.DeepClone();
        if (copy["properties"] is JsonObject props)
        {
            props.Remove("metadata");
        }
        return copy;
    }

    public static void Validate(ResourceType type, JsonObject obj, JsonObject? old, string name, string? fieldValidation)
    {
        // The schema covers the whole object; metadata is the server's, so it is kept aside from pruning.
        var metadata = obj["metadata"];
        obj.Remove("metadata");
        var body = new JsonObject();
        foreach (var key in obj.Select(kv => kv.Key).ToList())
        {
            var v = obj[key];
            obj.Remove(key);
            body[key] = v;
        }
        var schema = BodySchemas.GetValue(type.Schema!, BodySchema);
        var beforePruning = fieldValidation == "Strict" ? (JsonObject)body.DeepClone() : null;
        StructuralSchema.Prune(schema, body);
        if (beforePruning is not null)
        {
            var unknown = new List<string>();
            PrunedFields(beforePruning, body, "", unknown);
            if (unknown.Count > 0)
            {
                throw ApiException.BadRequest($"{type.Kind} in version \"{type.Version}\" cannot be handled as a {type.Kind}: strict decoding error: {string.Join(", ", unknown.Select(u => $"unknown field \"{u}\""))}");
            }
        }
        StructuralSchema.ApplyDefaults(schema, body);
        var errors = StructuralSchema.Validate(schema, body);
        if (type.Scale is { } scale)
        {
            errors = [.. errors, .. ScaleValidation.Validate(body, scale.SpecReplicasPath, scale.StatusReplicasPath, scale.LabelSelectorPath)];
        }
        if (StructuralSchema.HasRules(schema))
        {
            // As the API server's strategy: the rules run only on an object of the right shape, and see the stored
            // object as oldSelf on update.
            errors = StructuralSchema.BlocksRules(errors)
                ? [.. errors, StructuralSchema.RulesNotChecked]
                : [.. errors, .. ValidateRules(schema, body, old, metadata as JsonObject)];
        }
        obj["apiVersion"] = body["apiVersion"]?.DeepClone() ?? type.ApiVersion;
        obj["kind"] = body["kind"]?.DeepClone() ?? type.Kind;
        obj["metadata"] = metadata;
        foreach (var key in body.Select(kv => kv.Key).ToList())
        {
            // Moved, not copied: the body is thrown away.
            var v = body[key];
            body.Remove(key);
            if (key is not ("apiVersion" or "kind"))
            {
                obj[key] = v;
            }
        }
        if (errors.Count > 0)
        {
            throw ApiException.Invalid(type.Kind, type.Group, name, errors.Select(e => new FieldError(e.Field, e.Reason, e.Message)).ToList());
        }
    }

    /// <summary>The CEL rules, with the metadata a root rule may read (name and generateName, as upstream) lent to the body.</summary>
    private static IReadOnlyList<SchemaError> ValidateRules(JsonObject schema, JsonObject body, JsonObject? old, JsonObject? metadata)
    {
        var visible = new JsonObject();
        foreach (var key in (string[])["name", "generateName"])
        {
            if (metadata?[key] is { } value)
            {
                visible[key] = value.DeepClone();
            }
        }
        body["metadata"] = visible;
        try
        {
            return StructuralSchema.ValidateRules(schema, body, old);
        }
        finally
        {
            body.Remove("metadata");
        }
    }

    /// <summary>Paths present before pruning and gone after: the unknown fields strict validation reports.</summary>
    private static void PrunedFields(JsonNode? before, JsonNode? after, string path, List<string> unknown)
    {
        if (before is JsonObject b)
        {
            var a = after as JsonObject;
            foreach (var (key, value) in b)
            {
                var child = path.Length == 0 ? key : path + "." + key;
                if (a is null || !a.TryGetPropertyValue(key, out var kept))
                {
                    unknown.Add(child);
                }
                else
                {
                    PrunedFields(value, kept, child, unknown);
                }
            }
        }
        else if (before is JsonArray ba && after is JsonArray aa)
        {
            for (var i = 0; i < ba.Count && i < aa.Count; i++)
            {
                PrunedFields(ba[i], aa[i], $"{path}[{i.ToString(CultureInfo.InvariantCulture)}]", unknown);
            }
        }
    }
}
