using System.Text.Json.Nodes;
using GridGame.LocalCluster.Schema;
using GridGame.LocalCluster.Storage;

namespace GridGame.LocalCluster.Api;

/// <summary>The checks the API server makes on a CustomResourceDefinition itself (names, scope, versions, that its CEL rules compile).</summary>
internal static class CrdValidation
{
    public static List<FieldError> Validate(JsonObject crd)
    {
        var errors = new List<FieldError>();
        var spec = crd["spec"] as JsonObject;
        var group = (string?)spec?["group"] ?? "";
        var plural = (string?)spec?["names"]?["plural"] ?? "";
        var kind = (string?)spec?["names"]?["kind"] ?? "";
        var name = ObjectMeta.Str(crd, "name");
        if (group.Length == 0)
        {
            errors.Add(FieldError.Required("spec.group", ""));
        }
        if (plural.Length == 0)
        {
            errors.Add(FieldError.Required("spec.names.plural", ""));
        }
        if (kind.Length == 0)
        {
            errors.Add(FieldError.Required("spec.names.kind", ""));
        }
        if (group.Length > 0 && plural.Length > 0 && name != plural + "." + group)
        {
            errors.Add(FieldError.Invalid("metadata.name", $"\"{name}\"", $"must be spec.names.plural+\".\"+spec.group"));
        }
        var scope = (string?)spec?["scope"] ?? "";
        if (scope is not ("Namespaced" or "Cluster"))
        {
            errors.Add(new FieldError("spec.scope", "FieldValueNotSupported", $"Unsupported value: \"{scope}\": supported values: \"Cluster\", \"Namespaced\""));
        }
        var versions = (spec?["versions"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        if (versions.Count == 0)
        {
            errors.Add(FieldError.Invalid("spec.versions", "null", "must have exactly one version marked as storage version"));
        }
        else if (versions.Count(v => (bool?)v["storage"] == true) != 1)
        {
            errors.Add(FieldError.Invalid("spec.versions", "[]apiextensions.CustomResourceDefinitionVersion", "must have exactly one version marked as storage version"));
        }
        for (var i = 0; i < versions.Count; i++)
        {
            if (versions[i]["schema"]?["openAPIV3Schema"] is not JsonObject schema)
            {
                errors.Add(FieldError.Required($"spec.versions[{i}].schema.openAPIV3Schema", "schemas are required"));
                continue;
            }
            // A rule outside LocalCluster's CEL subset is refused here, as upstream refuses a rule that does not
            // compile, rather than refusing every write of the resource later.
            foreach (var error in StructuralSchema.RuleCompileErrors(schema, $"spec.versions[{i}].schema.openAPIV3Schema"))
            {
                errors.Add(new FieldError(error.Field, error.Reason, error.Message));
            }
        }
        return errors;
    }
}
