using System.Text.Json.Nodes;
using GridGame.Crds.Schema;
using GridGame.Crds.Validation;
using k8s;

namespace GridGame.Crds.Tests;

/// <summary>
/// The semantic validators check the schema's numeric bounds too (the operator must report them even where no API server
/// checked); both read <see cref="ApiBounds"/>. For every bounded spec field, one past each bound must be refused by
/// both, on the same field, so a bound added to the schema alone fails here.
/// </summary>
public sealed class BoundsAgreementTests
{
    public static TheoryData<string, string, long> FleetBounds => Bounds(CrdGenerator.GameFleetCrd());

    public static TheoryData<string, string, long> SessionBounds => Bounds(CrdGenerator.GameSessionCrd());

    [Theory]
    [MemberData(nameof(FleetBounds))]
    public void A_fleet_field_one_past_its_schema_bound_is_refused_by_the_semantic_validator_too(string path, string bound, long value)
    {
        var json = Repository.ReadYaml("config/samples/gamefleet.yaml")!;
        Set(json, path, value);

        var errors = GameFleetValidator.Validate(KubernetesJson.Deserialize<GameFleet>(json.ToJsonString()));

        errors.Select(e => e.Field).Should().Contain(path, $"{path} = {value} is past its {bound}");
    }

    [Theory]
    [MemberData(nameof(SessionBounds))]
    public void A_session_field_one_past_its_schema_bound_is_refused_by_the_semantic_validator_too(string path, string bound, long value)
    {
        var json = Repository.ReadYaml("config/samples/gamesession.yaml")!;
        Set(json, path, value);

        var errors = GameSessionValidator.Validate(KubernetesJson.Deserialize<GameSession>(json.ToJsonString()), fleet: null);

        errors.Select(e => e.Field).Should().Contain(path, $"{path} = {value} is past its {bound}");
    }

    /// <summary>(path, "minimum"/"maximum", a value one past it) for every integer spec field with a bound.</summary>
    private static TheoryData<string, string, long> Bounds(JsonObject crd)
    {
        var data = new TheoryData<string, string, long>();
        foreach (var (path, schema) in Nodes(CrdGenerator.OpenApiSchema(crd)["properties"]!["spec"]!.AsObject(), "spec"))
        {
            if (schema["type"]?.GetValue<string>() != "integer" && schema["x-kubernetes-int-or-string"] is null)
            {
                continue;
            }

            if (schema["minimum"] is JsonValue min)
            {
                data.Add(path, "minimum", min.GetValue<long>() - 1);
            }

            if (schema["maximum"] is JsonValue max)
            {
                data.Add(path, "maximum", max.GetValue<long>() + 1);
            }
        }

        return data;
    }

    private static IEnumerable<(string Path, JsonObject Schema)> Nodes(JsonObject schema, string path)
    {
        yield return (path, schema);
        if (schema["properties"] is JsonObject properties && !path.EndsWith(".template", StringComparison.Ordinal))
        {
            foreach (var (name, child) in properties)
            {
                foreach (var node in Nodes(child!.AsObject(), path + "." + name))
                {
                    yield return node;
                }
            }
        }

        if (schema["items"] is JsonObject items)
        {
            foreach (var node in Nodes(items, path + "[0]"))
            {
                yield return node;
            }
        }
    }

    /// <summary>Sets a path like <c>spec.ports[0].hostPort</c>, creating objects (and one-item lists) on the way.</summary>
    private static void Set(JsonNode root, string path, long value)
    {
        var segments = path.Split('.');
        var node = root.AsObject();
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            var indexed = segment.EndsWith("[0]", StringComparison.Ordinal);
            var name = indexed ? segment[..^3] : segment;
            if (i == segments.Length - 1)
            {
                node[name] = value;
                return;
            }

            if (indexed)
            {
                if (node[name] is not JsonArray { Count: > 0 } array)
                {
                    array = new JsonArray(new JsonObject());
                    node[name] = array;
                }

                node = array[0]!.AsObject();
            }
            else
            {
                if (node[name] is not JsonObject next)
                {
                    next = new JsonObject();
                    node[name] = next;
                }

                node = next;
            }
        }
    }
}
