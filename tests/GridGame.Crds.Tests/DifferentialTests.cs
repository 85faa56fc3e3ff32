using System.Text.Json.Nodes;
using GridGame.Crds.Schema;
using GridGame.LocalCluster.Schema;
using Json.Schema;

namespace GridGame.Crds.Tests;

/// <summary>
/// LocalCluster's StructuralSchema against an independent JSON Schema validator (JsonSchema.Net) on the generated
/// schemas: on the samples and on many seeded random mutations of them, both must reach the same verdict.
/// </summary>
public sealed class DifferentialTests
{
    private static readonly EvaluationOptions s_options = new() { OutputFormat = OutputFormat.List, RequireFormatValidation = true };

    public static TheoryData<string, string> Cases => new()
    {
        { "gamefleets.gridgame.io.yaml", "config/samples/gamefleet.yaml" },
        { "gamesessions.gridgame.io.yaml", "config/samples/gamesession.yaml" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Both_validators_agree_on_random_mutations_of_the_sample(string crdFile, string sample)
    {
        var schema = CrdGenerator.OpenApiSchema(CrdGenerator.All().Single(c => c.FileName == crdFile).Crd);
        var jsonSchema = JsonSchema.FromText(ToJsonSchema(schema).ToJsonString());
        var paths = Paths(schema, "").Where(p => p.Length > 0 && !p.StartsWith("metadata", StringComparison.Ordinal)).ToList();
        var random = new Random(20261129);
        var rejected = 0;

        for (var run = 0; run < 400; run++)
        {
            var obj = Repository.ReadYaml(sample)!;
            var changes = new List<string>();
            for (var i = random.Next(1, 4); i > 0; i--)
            {
                var path = paths[random.Next(paths.Count)];
                var value = s_values[random.Next(s_values.Length)];
                Set(obj, path, JsonNode.Parse(value));
                changes.Add($"{path}={value}");
            }

            StructuralSchema.Prune(schema, obj);
            StructuralSchema.ApplyDefaults(schema, obj);
            var ours = StructuralSchema.Validate(schema, obj);
            var theirs = jsonSchema.Evaluate(obj, s_options);
            rejected += ours.Count > 0 ? 1 : 0;

            (ours.Count == 0).Should().Be(theirs.IsValid,
                $"after {string.Join(", ", changes)} the object is {obj.ToJsonString()}; StructuralSchema said [{string.Join("; ", ours)}], JsonSchema.Net said [{string.Join("; ", theirs.Details.Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")))}]");
        }

        rejected.Should().BeInRange(100, 399, "the mutations should produce both valid and invalid objects");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void JsonSchema_Net_accepts_the_sample(string crdFile, string sample)
    {
        var schema = CrdGenerator.OpenApiSchema(CrdGenerator.All().Single(c => c.FileName == crdFile).Crd);

        JsonSchema.FromText(ToJsonSchema(schema).ToJsonString()).Evaluate(Repository.ReadYaml(sample), s_options).IsValid.Should().BeTrue();
    }

    private static readonly string[] s_values =
    [
        "-1", "0", "1", "3", "8", "65", "101", "3601", "70000", "1.5", "2.0",
        "\"x\"", "\"game\"", "\"Game\"", "\"\"", "\"20%\"", "\"120%\"", "\"Packed\"", "\"Static\"", "\"a-very-long-port-name-indeed\"",
        "\"2026-01-02T03:04:05Z\"", "\"yesterday\"", "true", "null", "{}", "[]", "[{}]", "[\"alice\"]", "[1]", "{\"name\":\"p\",\"containerPort\":80}",
    ];

    /// <summary>Every property path of a schema; list items as <c>[]</c>, map values as <c>{}</c>.</summary>
    private static IEnumerable<string> Paths(JsonObject schema, string path)
    {
        yield return path;
        var children = new List<(string, JsonObject)>();
        if (schema["properties"] is JsonObject properties)
        {
            children.AddRange(properties.Select(p => (path.Length == 0 ? p.Key : path + "." + p.Key, p.Value!.AsObject())));
        }

        if (schema["items"] is JsonObject items)
        {
            children.Add((path + "[]", items));
        }

        if (schema["additionalProperties"] is JsonObject values)
        {
            children.Add((path + ".key", values));
        }

        foreach (var (childPath, child) in children)
        {
            foreach (var p in Paths(child, childPath))
            {
                yield return p;
            }
        }
    }

    /// <summary>Sets a path of <see cref="Paths"/> form, creating objects and one-item lists on the way.</summary>
    private static void Set(JsonNode root, string path, JsonNode? value)
    {
        var segments = path.Replace("[]", ".[]", StringComparison.Ordinal).Split('.');
        JsonNode node = root;
        for (var i = 0; i < segments.Length; i++)
        {
            var last = i == segments.Length - 1;
            if (segments[i] == "[]")
            {
                if (node is not JsonArray array || array.Count == 0)
                {
                    return; // The parent was just replaced by a non-list; nothing to descend into.
                }

                if (last)
                {
                    array[0] = value;
                    return;
                }

                if (array[0] is not JsonObject and not JsonArray)
                {
                    array[0] = segments[i + 1] == "[]" ? new JsonArray(new JsonObject()) : new JsonObject();
                }

                node = array[0]!;
                continue;
            }

            if (node is not JsonObject obj)
            {
                return;
            }

            if (last)
            {
                obj[segments[i]] = value;
                return;
            }

            if (obj[segments[i]] is not (JsonObject or JsonArray))
            {
                obj[segments[i]] = segments[i + 1] == "[]" ? new JsonArray(new JsonObject()) : new JsonObject();
            }

            node = obj[segments[i]]!;
        }
    }

    /// <summary>An OpenAPI v3 structural schema as JSON Schema 2020-12 (defaults and x-kubernetes-* left out).</summary>
    private static JsonObject ToJsonSchema(JsonObject schema)
    {
        var result = new JsonObject();
        foreach (var (key, value) in schema)
        {
            switch (key)
            {
                case "type":
                    result["type"] = schema["nullable"]?.GetValue<bool>() == true ? new JsonArray(value!.DeepClone(), "null") : value!.DeepClone();
                    break;
                case "x-kubernetes-int-or-string":
                    result["type"] = new JsonArray("integer", "string");
                    break;
                case "properties":
                    result[key] = new JsonObject(value!.AsObject().Select(p => KeyValuePair.Create(p.Key, (JsonNode?)ToJsonSchema(p.Value!.AsObject()))));
                    break;
                case "items" or "additionalProperties" or "not":
                    result[key] = ToJsonSchema(value!.AsObject());
                    break;
                case "anyOf" or "allOf" or "oneOf":
                    result[key] = new JsonArray([.. value!.AsArray().Select(s => (JsonNode)ToJsonSchema(s!.AsObject()))]);
                    break;
                case "format" when value!.GetValue<string>() == "date-time":
                    result[key] = value.DeepClone();
                    break;
                case "minimum" or "maximum" or "minLength" or "maxLength" or "pattern" or "minItems" or "maxItems" or "enum"
                    or "required" or "multipleOf" or "minProperties" or "maxProperties":
                    result[key] = value!.DeepClone();
                    break;
            }
        }

        return result;
    }
}
