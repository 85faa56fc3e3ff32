using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GridGame.LocalCluster.Schema;

/// <summary>
/// The checks apiextensions makes on every write of a custom resource with a scale subresource, after its schema
/// (k8s.io/apiextensions-apiserver/pkg/registry/customresource/validator.go, ValidateScaleSpec and
/// ValidateScaleStatus): the replica paths hold a non-negative int64 no larger than int32's maximum, and the label
/// selector path a string. The schema alone does not bound an integer: kube-openapi lets any integer through
/// <c>format: int32</c>, so this is what refuses <c>replicas: 2147483648</c>. Fields are named by the paths as
/// the CRD spells them (<c>.spec.replicas</c>, leading dot included), as upstream prints them.
/// </summary>
internal static class ScaleValidation
{
    public static IReadOnlyList<SchemaError> Validate(JsonObject obj, string specReplicasPath, string statusReplicasPath, string? labelSelectorPath)
    {
        var errors = new List<SchemaError>();
        Replicas(obj, specReplicasPath, errors);
        Replicas(obj, statusReplicasPath, errors);
        if (labelSelectorPath is not null)
        {
            // unstructured.NestedString; the value reported is the zero string.
            var accessError = Nested(obj, labelSelectorPath, out var selector);
            if (accessError is null && selector is not null && !(selector is JsonValue v && v.GetValueKind() == JsonValueKind.String))
            {
                accessError = AccessorError(labelSelectorPath, selector, "string");
            }
            if (accessError is not null)
            {
                errors.Add(Invalid(labelSelectorPath, "\"\"", accessError));
            }
        }
        return errors;
    }

    /// <summary>unstructured.NestedInt64 and the range checks on what it read.</summary>
    private static void Replicas(JsonObject obj, string path, List<SchemaError> errors)
    {
        if (Nested(obj, path, out var value) is { } accessError)
        {
            errors.Add(Invalid(path, "0", accessError));
            return;
        }
        if (value is null)
        {
            return;
        }
        if (!IsInt64(value, out var replicas))
        {
            errors.Add(Invalid(path, "0", AccessorError(path, value, "int64")));
        }
        else if (replicas < 0)
        {
            errors.Add(Invalid(path, Number(replicas), "should be a non-negative integer"));
        }
        else if (replicas > int.MaxValue)
        {
            errors.Add(Invalid(path, Number(replicas), $"should be less than or equal to {int.MaxValue}"));
        }
    }

    /// <summary>
    /// The value at a dotted path, null when a field on the way is absent; an error (unstructured's wording) when a
    /// field on the way is not an object.
    /// </summary>
    private static string? Nested(JsonObject obj, string path, out JsonNode? value)
    {
        value = null;
        var fields = path.TrimStart('.').Split('.');
        JsonNode? current = obj;
        for (var i = 0; i < fields.Length; i++)
        {
            if (current is not JsonObject map)
            {
                return AccessorError("." + string.Join('.', fields[..(i + 1)]), current, "map[string]interface{}");
            }
            if (!map.TryGetPropertyValue(fields[i], out current) || current is null)
            {
                return null;
            }
        }
        value = current;
        return null;
    }

    /// <summary>An integer literal that fits int64: what the API server's JSON decoder makes an int64 (anything else is a float64).</summary>
    private static bool IsInt64(JsonNode node, out long number)
    {
        number = 0;
        return node is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            && v.ToJsonString() is var text && text.IndexOfAny(['.', 'e', 'E']) < 0
            && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number);
    }

    private static string AccessorError(string path, JsonNode? value, string expected) =>
        $"{path} accessor error: {GoPrint(value)} is of the type {GoType(value)}, expected {expected}";

    /// <summary>Go's <c>%T</c> of a decoded JSON value.</summary>
    private static string GoType(JsonNode? value) => value switch
    {
        JsonObject => "map[string]interface {}",
        JsonArray => "[]interface {}",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.True or JsonValueKind.False => "bool",
            JsonValueKind.Number => IsInt64(v, out _) ? "int64" : "float64",
            _ => "<nil>",
        },
        _ => "<nil>",
    };

    /// <summary>Go's <c>%v</c> of a decoded scalar (composite values, never seen at these paths in practice, as JSON).</summary>
    private static string GoPrint(JsonNode? value) => value switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && !IsInt64(v, out _) => GoValue.FormatFloat(GoValue.ToDouble(v)),
        null => "<nil>",
        _ => value.ToJsonString(),
    };

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static SchemaError Invalid(string path, string value, string detail) => new(path, "FieldValueInvalid", $"Invalid value: {value}: {detail}");
}
