using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using GridGame.LocalCluster.Schema.Cel;

namespace GridGame.LocalCluster.Schema;

// The x-kubernetes-validations rules, in the words of apiextensions-apiserver's schema/cel/validation.go.
public static partial class StructuralSchema
{
    private const int MaxMessageLength = 5 * 1024;
    private const string NilPath = "<nil>";

    private static readonly ConditionalWeakTable<JsonObject, StrongBox<bool>> RuleSchemas = new();

    /// <summary>Whether any node of the schema carries <c>x-kubernetes-validations</c> (the answer is cached per schema object).</summary>
    public static bool HasRules(JsonObject schema) => RuleSchemas.GetValue(schema, s => new StrongBox<bool>(ContainsRules(s))).Value;

    /// <summary>
    /// Evaluates every <c>x-kubernetes-validations</c> rule on the non-null values of <paramref name="value"/>, in
    /// objects, in list items and in additionalProperties maps. Transition rules (those reading <c>oldSelf</c>) run
    /// only where <paramref name="oldValue"/> has a value at the same object field, map key, or (in
    /// <c>x-kubernetes-list-type: map</c> lists) item with the same keys; other list items are not correlated. A root
    /// rule sees whatever <c>metadata</c> the caller left in <paramref name="value"/> (the API server gives it
    /// <c>name</c> and <c>generateName</c>). Call it after <see cref="Validate(JsonObject, JsonNode?)"/> found no blocking error, as the API
    /// server does.
    /// </summary>
    public static IReadOnlyList<SchemaError> ValidateRules(JsonObject schema, JsonNode? value, JsonNode? oldValue)
    {
        var errors = new List<SchemaError>();
        ValidateRules(schema, value, oldValue, "", errors);
        return errors;
    }

    /// <summary>
    /// Whether schema errors keep the API server from running the rules (strategy.go's hasBlockingErr): the object
    /// does not have the shape the rules were written for.
    /// </summary>
    public static bool BlocksRules(IEnumerable<SchemaError> errors) =>
        errors.Any(e => e.Reason is "FieldValueNotSupported" or "FieldValueRequired" or "FieldValueTooLong" or "FieldValueTooMany" or "FieldValueTypeInvalid");

    /// <summary>The error the API server adds instead of running the rules when <see cref="BlocksRules"/> holds.</summary>
    public static SchemaError RulesNotChecked { get; } = new(NilPath, "FieldValueInvalid",
        "Invalid value: \"null\": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation");

    /// <summary>
    /// The rules of a CRD schema that do not compile, as the API server refuses them when the CRD is written, each
    /// named by its path under <paramref name="path"/> (<c>...openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule</c>).
    /// </summary>
    public static IReadOnlyList<SchemaError> RuleCompileErrors(JsonObject schema, string path)
    {
        var errors = new List<SchemaError>();
        RuleCompileErrors(schema, path, errors);
        return errors;
    }

    private static void RuleCompileErrors(JsonObject schema, string path, List<SchemaError> errors)
    {
        if (schema["x-kubernetes-validations"] is JsonArray rules)
        {
            for (var i = 0; i < rules.Count; i++)
            {
                var rulePath = string.Create(CultureInfo.InvariantCulture, $"{path}.x-kubernetes-validations[{i}]");
                foreach (var key in (string[])["rule", "messageExpression"])
                {
                    if (rules[i] is JsonObject rule && Text(rule, key) is { } text && CelProgram.Compile(text).CompileError is { } error)
                    {
                        errors.Add(new SchemaError($"{rulePath}.{key}", "FieldValueInvalid", $"Invalid value: {GoValue.Quote(text)}: compilation failed: {error}"));
                    }
                }
            }
        }

        if (schema["properties"] is JsonObject properties)
        {
            foreach (var (name, property) in properties)
            {
                if (property is JsonObject child)
                {
                    RuleCompileErrors(child, $"{path}.properties[{name}]", errors);
                }
            }
        }

        foreach (var key in (string[])["items", "additionalProperties"])
        {
            if (schema[key] is JsonObject child)
            {
                RuleCompileErrors(child, $"{path}.{key}", errors);
            }
        }

        if (schema["allOf"] is JsonArray allOf)
        {
            for (var i = 0; i < allOf.Count; i++)
            {
                if (allOf[i] is JsonObject child)
                {
                    RuleCompileErrors(child, string.Create(CultureInfo.InvariantCulture, $"{path}.allOf[{i}]"), errors);
                }
            }
        }
    }

    private static void ValidateRules(JsonObject schema, JsonNode? value, JsonNode? oldValue, string path, List<SchemaError> errors)
    {
        if (value is null)
        {
            return; // upstream validates only non-null values
        }

        if (schema["x-kubernetes-validations"] is JsonArray rules)
        {
            foreach (var rule in rules.OfType<JsonObject>())
            {
                if (EvaluateRule(schema, rule, value, oldValue, path) is { } error)
                {
                    errors.Add(error);
                }
            }
        }

        if (schema["allOf"] is JsonArray allOf)
        {
            foreach (var sub in allOf.OfType<JsonObject>())
            {
                ValidateRules(sub, value, oldValue, path, errors);
            }
        }

        switch (value)
        {
            case JsonObject obj:
                var properties = schema["properties"] as JsonObject;
                var oldObj = oldValue as JsonObject;
                foreach (var (name, child) in obj)
                {
                    var declared = properties?[name] as JsonObject;
                    if ((declared ?? schema["additionalProperties"] as JsonObject) is not { } childSchema || !HasRules(childSchema))
                    {
                        continue; // most of an object (status, templates) has no rules: not walked
                    }

                    JsonNode? oldChild = null;
                    oldObj?.TryGetPropertyValue(name, out oldChild);
                    ValidateRules(childSchema, child, oldChild, declared is not null ? Child(path, name) : $"{path}[{name}]", errors);
                }

                break;
            case JsonArray array when schema["items"] is JsonObject items && HasRules(items):
                var keys = MapListKeys(schema);
                for (var i = 0; i < array.Count; i++)
                {
                    var oldItem = keys is not null ? OldItem(keys, array[i], oldValue as JsonArray) : null;
                    ValidateRules(items, array[i], oldItem, string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]"), errors);
                }

                break;
        }
    }

    private static SchemaError? EvaluateRule(JsonObject schema, JsonObject rule, JsonNode value, JsonNode? oldValue, string path)
    {
        // apimachinery prints a nil field.Path (the root) as "<nil>": upstream's "<nil>: Invalid value: \"object\": ...".
        path = path.Length == 0 ? NilPath : path;
        var text = Text(rule, "rule") ?? "";
        var type = Text(schema, "type") ?? "";
        var program = CelProgram.Compile(text);
        if (program.CompileError is not null)
        {
            return new SchemaError(path, "FieldValueInvalid", $"Invalid value: {GoValue.Quote(type)}: rule compile error: compilation failed: {program.CompileError}");
        }

        if (program.UsesOldSelf && oldValue is null)
        {
            return null; // a transition rule needs a value to compare with
        }

        var self = CelValues.FromJson(value, schema);
        var oldSelf = program.UsesOldSelf ? CelValues.FromJson(oldValue, schema) : null;
        var result = program.Evaluate(self, oldSelf);
        switch (result)
        {
            case true:
                return null;
            case CelError error when error.Message.StartsWith("no such overload", StringComparison.Ordinal):
                return new SchemaError(path, "FieldValueInvalid",
                    $"Invalid value: {GoValue.Quote(type)}: '{error.Message}': call arguments did not match a supported operator, function or macro signature for rule: {RuleErrorString(rule)}");
            case CelError error:
                return new SchemaError(path, "FieldValueInvalid", $"Invalid value: {GoValue.Quote(type)}: {error.Message} evaluating rule: {RuleErrorString(rule)}");
            case not false:
                return new SchemaError(path, "FieldValueInvalid",
                    $"Invalid value: {GoValue.Quote(type)}: rule compile error: compilation failed: ERROR: <input>:1:1: expected type 'bool' but found '{CelValues.TypeName(result)}'");
        }

        var fieldPath = Text(rule, "fieldPath") is { Length: > 0 } f ? FieldPath(path == NilPath ? "" : path, f) : path;
        var message = MessageExpression(rule, self, oldSelf)
            ?? (Text(rule, "message") is { } m && m.Trim().Length > 0 ? m.Trim() : "failed rule: " + RuleErrorString(rule));
        return Text(rule, "reason") switch
        {
            "FieldValueForbidden" => new SchemaError(fieldPath, "FieldValueForbidden", "Forbidden: " + message),
            "FieldValueRequired" => new SchemaError(fieldPath, "FieldValueRequired", "Required value: " + message),
            "FieldValueDuplicate" => new SchemaError(fieldPath, "FieldValueDuplicate", "Duplicate value: " + GoValue.Quote(type)),
            _ => new SchemaError(fieldPath, "FieldValueInvalid", $"Invalid value: {GoValue.Quote(type)}: {message}"),
        };
    }

    /// <summary>
    /// The message a rule's <c>messageExpression</c> gives, or null to fall back on <c>message</c>: when it does not
    /// compile, fails, or is not a non-empty single-line string of at most 5 KiB (upstream's limits).
    /// </summary>
    private static string? MessageExpression(JsonObject rule, object? self, object? oldSelf)
    {
        if (Text(rule, "messageExpression") is not { Length: > 0 } expression)
        {
            return null;
        }

        var program = CelProgram.Compile(expression);
        if (program.CompileError is not null || (program.UsesOldSelf && oldSelf is null))
        {
            return null;
        }

        return program.Evaluate(self, oldSelf) is string message && message.Trim() is { Length: > 0 and <= MaxMessageLength } trimmed && !trimmed.Contains('\n', StringComparison.Ordinal)
            ? trimmed
            : null;
    }

    /// <summary>The key fields of an <c>x-kubernetes-list-type: map</c> list, the only lists whose items are correlated with the old ones.</summary>
    private static List<string>? MapListKeys(JsonObject schema) =>
        Text(schema, "x-kubernetes-list-type") == "map" && schema["x-kubernetes-list-map-keys"] is JsonArray keys
            ? keys.OfType<JsonValue>().Where(k => k.GetValueKind() == JsonValueKind.String).Select(k => k.GetValue<string>()).ToList()
            : null;

    private static JsonNode? OldItem(List<string> keys, JsonNode? item, JsonArray? oldItems)
    {
        if (item is not JsonObject itemObj || oldItems is null)
        {
            return null;
        }

        return oldItems.FirstOrDefault(old => old is JsonObject oldObj
            && keys.All(k => JsonNode.DeepEquals(itemObj[k], oldObj[k]) && itemObj.ContainsKey(k) == oldObj.ContainsKey(k)));
    }

    /// <summary>The node's path followed by a rule's <c>fieldPath</c> (<c>.minPlayers</c>, <c>.labels['a.b']</c>).</summary>
    private static string FieldPath(string path, string fieldPath)
    {
        var relative = fieldPath.StartsWith('.') ? fieldPath[1..] : fieldPath;
        relative = relative.Replace("['", "[", StringComparison.Ordinal).Replace("']", "]", StringComparison.Ordinal);
        return path.Length == 0 ? relative : relative.StartsWith('[') ? path + relative : path + "." + relative;
    }

    private static string RuleErrorString(JsonObject rule) =>
        Text(rule, "message") is { } m && m.Trim().Length > 0 ? m.Trim() : (Text(rule, "rule") ?? "").Trim();

    private static string? Text(JsonObject node, string key) =>
        node[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static bool ContainsRules(JsonNode? node) => node switch
    {
        JsonObject obj => obj.ContainsKey("x-kubernetes-validations") || obj.Any(kv => kv.Key is not ("default" or "enum" or "example") && ContainsRules(kv.Value)),
        JsonArray array => array.Any(ContainsRules),
        _ => false,
    };
}
