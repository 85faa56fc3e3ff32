using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace GridGame.LocalCluster.Schema;

// Validation in the words of kube-openapi's validators and apiextensions' conversion to field errors
// (k8s.io/apiextensions-apiserver/pkg/apiserver/validation: kubeOpenAPIResultToFieldErrors).
public static partial class StructuralSchema
{
    private static readonly RegexCache s_patterns = new(TimeSpan.FromSeconds(1));

    private static void ValidateNode(JsonObject schema, JsonNode? value, string path, List<SchemaError> errors)
    {
        if (value is null)
        {
            if (!IsNullable(schema) && DeclaredTypes(schema) is { Count: > 0 } types)
            {
                TypeError(errors, path, string.Join(",", types), "null");
            }

            return;
        }

        var actual = GoValue.JsonType(value);
        var expected = DeclaredTypes(schema);
        if (expected.Count > 0 && !TypeMatches(expected, value, actual))
        {
            TypeError(errors, path, string.Join(",", expected), actual);
            return;
        }

        if (value is JsonValue && schema["format"] is JsonValue formatNode && formatNode.GetValueKind() == JsonValueKind.String
            && actual == "string" && !FormatMatches(formatNode.GetValue<string>(), value.GetValue<string>()))
        {
            TypeError(errors, path, formatNode.GetValue<string>(), value.GetValue<string>());
            return;
        }

        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, value)))
        {
            var supported = allowed.Select(a => a is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : a?.ToJsonString() ?? "null");
            errors.Add(new SchemaError(path, "FieldValueNotSupported",
                $"Unsupported value: {GoValue.Format(value)}: supported values: {string.Join(", ", supported.Select(GoValue.Quote))}"));
        }

        switch (actual)
        {
            case "integer" or "number":
                ValidateNumber(schema, GoValue.ToDouble(value), value, path, errors);
                break;
            case "string":
                ValidateString(schema, value.GetValue<string>(), path, errors);
                break;
            case "array":
                ValidateArray(schema, value.AsArray(), path, errors);
                break;
            case "object":
                ValidateObject(schema, value.AsObject(), path, errors);
                break;
        }

        ValidateCombinators(schema, value, path, errors);
    }

    private static void ValidateNumber(JsonObject schema, double number, JsonNode value, string path, List<SchemaError> errors)
    {
        if (Number(schema, "maximum") is { } maximum)
        {
            var exclusive = IsTrue(schema, "exclusiveMaximum");
            if (exclusive ? number >= maximum : number > maximum)
            {
                Invalid(errors, path, value, $"{Name(path)} in body should be less than {(exclusive ? "" : "or equal to ")}{GoValue.FormatFloat(maximum)}");
            }
        }

        if (Number(schema, "minimum") is { } minimum)
        {
            var exclusive = IsTrue(schema, "exclusiveMinimum");
            if (exclusive ? number <= minimum : number < minimum)
            {
                Invalid(errors, path, value, $"{Name(path)} in body should be greater than {(exclusive ? "" : "or equal to ")}{GoValue.FormatFloat(minimum)}");
            }
        }

        if (Number(schema, "multipleOf") is { } multipleOf && multipleOf > 0 && Math.Abs(Math.IEEERemainder(number, multipleOf)) > 1e-9)
        {
            Invalid(errors, path, value, $"{Name(path)} in body should be a multiple of {GoValue.FormatFloat(multipleOf)}");
        }
    }

    private static void ValidateString(JsonObject schema, string text, string path, List<SchemaError> errors)
    {
        var length = text.EnumerateRunes().Count();
        if (Integer(schema, "maxLength") is { } maxLength && length > maxLength)
        {
            errors.Add(new SchemaError(path, "FieldValueTooLong", $"Too long: may not be longer than {maxLength}"));
        }

        if (Integer(schema, "minLength") is { } minLength && length < minLength)
        {
            Invalid(errors, path, text, $"{Name(path)} in body should be at least {minLength} chars long");
        }

        if (schema["pattern"] is JsonValue patternNode && patternNode.GetValueKind() == JsonValueKind.String)
        {
            var pattern = patternNode.GetValue<string>();
            if (Pattern(pattern) is { } regex && !regex.IsMatch(text))
            {
                Invalid(errors, path, text, $"{Name(path)} in body should match '{pattern}'");
            }
        }
    }

    private static void ValidateArray(JsonObject schema, JsonArray array, string path, List<SchemaError> errors)
    {
        if (Integer(schema, "maxItems") is { } maxItems && array.Count > maxItems)
        {
            errors.Add(new SchemaError(path, "FieldValueTooMany", string.Create(CultureInfo.InvariantCulture, $"Too many: {array.Count}: must have at most {maxItems} items")));
        }

        if (Integer(schema, "minItems") is { } minItems && array.Count < minItems)
        {
            Invalid(errors, path, (long)array.Count, $"{Name(path)} in body should have at least {minItems} items");
        }

        if (schema["items"] is JsonObject items)
        {
            for (var i = 0; i < array.Count; i++)
            {
                ValidateNode(items, array[i], string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]"), errors);
            }
        }

        ValidateListType(schema, array, path, errors);
    }

    private static void ValidateListType(JsonObject schema, JsonArray array, string path, List<SchemaError> errors)
    {
        var listType = schema["x-kubernetes-list-type"] is JsonValue t && t.GetValueKind() == JsonValueKind.String ? t.GetValue<string>() : null;
        if (listType is not ("set" or "map"))
        {
            return;
        }

        var keys = listType == "map" && schema["x-kubernetes-list-map-keys"] is JsonArray keyNames
            ? keyNames.Select(k => k!.GetValue<string>()).ToList()
            : null;
        var seen = new List<JsonNode?>();
        for (var i = 0; i < array.Count; i++)
        {
            JsonNode? identity = array[i];
            if (keys is not null)
            {
                if (array[i] is not JsonObject item)
                {
                    continue;
                }

                var key = new JsonObject();
                foreach (var name in keys.Where(item.ContainsKey))
                {
                    key[name] = item[name]?.DeepClone();
                }

                identity = key;
            }

            if (seen.Any(s => JsonNode.DeepEquals(s, identity)))
            {
                errors.Add(new SchemaError(string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]"), "FieldValueDuplicate", $"Duplicate value: {GoValue.Format(identity)}"));
            }
            else
            {
                seen.Add(identity);
            }
        }
    }

    private static void ValidateObject(JsonObject schema, JsonObject obj, string path, List<SchemaError> errors)
    {
        if (schema["required"] is JsonArray required)
        {
            foreach (var name in required.Select(r => r!.GetValue<string>()))
            {
                if (!obj.ContainsKey(name))
                {
                    errors.Add(new SchemaError(Child(path, name), "FieldValueRequired", "Required value"));
                }
            }
        }

        if (Integer(schema, "maxProperties") is { } maxProperties && obj.Count > maxProperties)
        {
            errors.Add(new SchemaError(path, "FieldValueTooMany", string.Create(CultureInfo.InvariantCulture, $"Too many: {obj.Count}: must have at most {maxProperties} items")));
        }

        if (Integer(schema, "minProperties") is { } minProperties && obj.Count < minProperties)
        {
            Invalid(errors, path, (long)obj.Count, $"{Name(path)} in body should have at least {minProperties} properties");
        }

        foreach (var (name, child) in obj)
        {
            if (ChildSchema(schema, name) is { } childSchema)
            {
                ValidateNode(childSchema, child, Child(path, name), errors);
            }
        }
    }

    private static void ValidateCombinators(JsonObject schema, JsonNode value, string path, List<SchemaError> errors)
    {
        // x-kubernetes-int-or-string's anyOf [{type: integer}, {type: string}] is the type check already made.
        if (schema["anyOf"] is JsonArray anyOf && !IsTrue(schema, "x-kubernetes-int-or-string")
            && !anyOf.OfType<JsonObject>().Any(s => Validate(s, value, path).Count == 0))
        {
            Invalid(errors, path, value, $"{Name(path)} in body must validate at least one schema (anyOf)");
        }

        if (schema["allOf"] is JsonArray allOf)
        {
            foreach (var sub in allOf.OfType<JsonObject>())
            {
                errors.AddRange(Validate(sub, value, path));
            }
        }

        if (schema["oneOf"] is JsonArray oneOf && oneOf.OfType<JsonObject>().Count(s => Validate(s, value, path).Count == 0) != 1)
        {
            Invalid(errors, path, value, $"{Name(path)} in body must validate one and only one schema (oneOf)");
        }

        if (schema["not"] is JsonObject not && Validate(not, value, path).Count == 0)
        {
            Invalid(errors, path, value, $"{Name(path)} in body must not validate the schema (not)");
        }
    }

    private static List<SchemaError> Validate(JsonObject schema, JsonNode value, string path)
    {
        var errors = new List<SchemaError>();
        ValidateNode(schema, value, path, errors);
        return errors;
    }

    private static List<string> DeclaredTypes(JsonObject schema)
    {
        if (IsTrue(schema, "x-kubernetes-int-or-string"))
        {
            return ["integer", "string"];
        }

        return schema["type"] is JsonValue t && t.GetValueKind() == JsonValueKind.String ? [t.GetValue<string>()] : [];
    }

    private static bool TypeMatches(List<string> expected, JsonNode value, string actual) =>
        expected.Contains(actual)
        || (actual == "integer" && expected.Contains("number"))
        || (actual == "number" && expected.Contains("integer") && GoValue.IsIntegral(value));

    private static bool FormatMatches(string format, string text) => format switch
    {
        "date-time" or "datetime" => DateTimePattern().IsMatch(text),
        "date" => DatePattern().IsMatch(text),
        _ => true,
    };

    private static void TypeError(List<SchemaError> errors, string path, string expected, string actual) =>
        errors.Add(new SchemaError(path, "FieldValueTypeInvalid",
            $"Invalid value: {GoValue.Quote(actual)}: {Name(path)} in body must be of type {expected}: {GoValue.Quote(actual)}"));

    private static void Invalid(List<SchemaError> errors, string path, object value, string detail) =>
        errors.Add(new SchemaError(path, "FieldValueInvalid", $"Invalid value: {GoValue.Format(value)}: {detail}"));

    private static string Child(string path, string name) => path.Length == 0 ? name : path + "." + name;

    // kube-openapi names the root "" and apiextensions prints it as-is; "." keeps messages readable.
    private static string Name(string path) => path.Length == 0 ? "." : path;

    private static double? Number(JsonObject schema, string key) =>
        schema[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? GoValue.ToDouble(v) : null;

    private static long? Integer(JsonObject schema, string key) =>
        schema[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? (long)GoValue.ToDouble(v) : null;

    // An invalid pattern validates nothing here: the API server refuses such a CRD.
    private static Regex? Pattern(string pattern) => s_patterns.Get(pattern);

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")]
    private static partial Regex DateTimePattern();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}$")]
    private static partial Regex DatePattern();
}
