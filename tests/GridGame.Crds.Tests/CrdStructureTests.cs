using System.Text.Json.Nodes;
using GridGame.Crds.Schema;
using GridGame.LocalCluster.Schema;

namespace GridGame.Crds.Tests;

/// <summary>The rules a real API server applies to the CRDs themselves, and the shape the brief asks for.</summary>
public sealed class CrdStructureTests
{
    public static TheoryData<string> Crds => new(CrdGenerator.All().Select(c => c.FileName));

    private static JsonObject Crd(string fileName) => CrdGenerator.All().Single(c => c.FileName == fileName).Crd;

    /// <summary>Every schema node with its dotted path (properties by name, list items as [], map values as {}).</summary>
    private static IEnumerable<(string Path, JsonObject Schema)> Nodes(JsonObject schema, string path = "")
    {
        yield return (path, schema);
        if (schema["properties"] is JsonObject properties)
        {
            foreach (var (name, child) in properties)
            {
                foreach (var node in Nodes(child!.AsObject(), path.Length == 0 ? name : path + "." + name))
                {
                    yield return node;
                }
            }
        }

        if (schema["items"] is JsonObject items)
        {
            foreach (var node in Nodes(items, path + "[]"))
            {
                yield return node;
            }
        }

        if (schema["additionalProperties"] is JsonObject values)
        {
            foreach (var node in Nodes(values, path + "{}"))
            {
                yield return node;
            }
        }
    }

    [Theory]
    [MemberData(nameof(Crds))]
    public void Every_schema_node_has_a_type_as_a_structural_schema_requires(string fileName)
    {
        var untyped = Nodes(CrdGenerator.OpenApiSchema(Crd(fileName)))
            .Where(n => n.Schema["type"] is null && n.Schema["x-kubernetes-int-or-string"] is null)
            .Select(n => n.Path);

        untyped.Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(Crds))]
    public void Every_default_is_valid_and_already_pruned_for_its_own_schema(string fileName)
    {
        foreach (var (path, schema) in Nodes(CrdGenerator.OpenApiSchema(Crd(fileName))).Where(n => n.Schema.ContainsKey("default")))
        {
            var value = schema["default"]!.DeepClone();
            var wrapper = new JsonObject { ["type"] = "object", ["properties"] = new JsonObject { ["v"] = schema.DeepClone() } };
            var holder = new JsonObject { ["v"] = value };

            StructuralSchema.ApplyDefaults(wrapper, holder);
            var defaulted = holder.ToJsonString();
            StructuralSchema.Prune(wrapper, holder);

            holder.ToJsonString().Should().Be(defaulted, $"the default of {path} must not hold unknown fields");
            StructuralSchema.Validate(wrapper, holder).Should().BeEmpty($"the default of {path} must be valid");
        }
    }

    [Theory]
    [MemberData(nameof(Crds))]
    public void List_map_keys_are_required_in_their_items(string fileName)
    {
        foreach (var (path, schema) in Nodes(CrdGenerator.OpenApiSchema(Crd(fileName))).Where(n => n.Schema.ContainsKey("x-kubernetes-list-map-keys")))
        {
            var required = schema["items"]!["required"]!.AsArray().Select(r => r!.GetValue<string>());
            var keys = schema["x-kubernetes-list-map-keys"]!.AsArray().Select(k => k!.GetValue<string>());

            required.Should().Contain(keys, path);
        }
    }

    [Theory]
    [MemberData(nameof(Crds))]
    public void Unknown_fields_are_preserved_only_inside_the_pod_template(string fileName)
    {
        var preserving = Nodes(CrdGenerator.OpenApiSchema(Crd(fileName)))
            .Where(n => n.Schema["x-kubernetes-preserve-unknown-fields"] is not null)
            .Select(n => n.Path)
            .Where(p => !p.StartsWith("spec.template.", StringComparison.Ordinal));

        preserving.Should().BeEmpty();
    }

    [Fact]
    public void The_fleet_template_keeps_its_metadata_and_spec_and_the_buffer_is_int_or_string()
    {
        var nodes = Nodes(CrdGenerator.OpenApiSchema(CrdGenerator.GameFleetCrd())).ToDictionary(n => n.Path, n => n.Schema);

        nodes.Keys.Where(k => nodes[k]["x-kubernetes-preserve-unknown-fields"] is not null)
            .Should().BeEquivalentTo(["spec.template.metadata", "spec.template.spec", "spec.template.spec.containers[]"]);
        nodes["spec.template"]["type"]!.GetValue<string>().Should().Be("object");
        nodes["spec.autoscaling.buffer.size"]["x-kubernetes-int-or-string"]!.GetValue<bool>().Should().BeTrue();
    }

    [Fact]
    public void The_cross_field_checks_are_CEL_rules()
    {
        var rules = Nodes(CrdGenerator.OpenApiSchema(CrdGenerator.GameFleetCrd()))
            .Where(n => n.Schema["x-kubernetes-validations"] is JsonArray)
            .SelectMany(n => n.Schema["x-kubernetes-validations"]!.AsArray().Select(r => (n.Path, Rule: r!["rule"]!.GetValue<string>())))
            .ToList();

        rules.Should().Contain(("spec.autoscaling", "self.minReplicas <= self.maxReplicas"));
        rules.Should().Contain(("spec.game", "self.minPlayers <= self.maxPlayers"));
        rules.Should().Contain(r => r.Path == "spec.ports[]" && r.Rule.Contains("hostPort", StringComparison.Ordinal));
        rules.Should().Contain(r => r.Path == "spec.ports" && r.Rule.Contains("q.name == p.name", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Crds))]
    public void Printer_columns_and_scale_paths_point_at_declared_fields(string fileName)
    {
        var crd = Crd(fileName);
        var nodes = Nodes(CrdGenerator.OpenApiSchema(crd)).ToDictionary(n => n.Path, n => n.Schema);
        var version = crd["spec"]!["versions"]![0]!;

        foreach (var column in version["additionalPrinterColumns"]!.AsArray())
        {
            var path = column!["jsonPath"]!.GetValue<string>().TrimStart('.');
            if (path == "metadata.creationTimestamp")
            {
                continue;
            }

            nodes.Should().ContainKey(path);
            var type = column["type"]!.GetValue<string>();
            nodes[path]["type"]!.GetValue<string>().Should().Be(type, $"column {column["name"]} shows {path}");
        }

        if (version["subresources"]!["scale"] is JsonObject scale)
        {
            nodes[scale["specReplicasPath"]!.GetValue<string>().TrimStart('.')]["type"]!.GetValue<string>().Should().Be("integer");
            nodes[scale["statusReplicasPath"]!.GetValue<string>().TrimStart('.')]["type"]!.GetValue<string>().Should().Be("integer");
            nodes[scale["labelSelectorPath"]!.GetValue<string>().TrimStart('.')]["type"]!.GetValue<string>().Should().Be("string");
        }
    }

    [Fact]
    public void The_fleet_CRD_has_the_names_subresources_and_columns_of_the_design()
    {
        var crd = CrdGenerator.GameFleetCrd();
        var spec = crd["spec"]!;

        crd["metadata"]!["name"]!.GetValue<string>().Should().Be("gamefleets.gridgame.io");
        spec["group"]!.GetValue<string>().Should().Be("gridgame.io");
        spec["scope"]!.GetValue<string>().Should().Be("Namespaced");
        spec["names"]!.ToJsonString().Should().Be("""{"categories":["gridgame"],"kind":"GameFleet","listKind":"GameFleetList","plural":"gamefleets","shortNames":["gf"],"singular":"gamefleet"}""");
        var version = spec["versions"]![0]!;
        version["name"]!.GetValue<string>().Should().Be("v1");
        version["subresources"]!.ToJsonString().Should().Be("""{"scale":{"labelSelectorPath":".status.selector","specReplicasPath":".spec.replicas","statusReplicasPath":".status.replicas"},"status":{}}""");
        version["additionalPrinterColumns"]!.AsArray().Where(c => c!["priority"] is null).Select(c => c!["name"]!.GetValue<string>())
            .Should().Equal("Desired", "Ready", "Allocated", "Draining", "Active", "Rollout", "Age");
    }

    [Fact]
    public void The_session_CRD_has_the_names_subresources_and_columns_of_the_design()
    {
        var crd = CrdGenerator.GameSessionCrd();
        var spec = crd["spec"]!;

        crd["metadata"]!["name"]!.GetValue<string>().Should().Be("gamesessions.gridgame.io");
        spec["names"]!.ToJsonString().Should().Be("""{"categories":["gridgame"],"kind":"GameSession","listKind":"GameSessionList","plural":"gamesessions","shortNames":["gsess"],"singular":"gamesession"}""");
        var version = spec["versions"]![0]!;
        version["subresources"]!.ToJsonString().Should().Be("""{"status":{}}""");
        version["additionalPrinterColumns"]!.AsArray().Where(c => c!["priority"] is null).Select(c => c!["name"]!.GetValue<string>())
            .Should().Equal("Phase", "Fleet", "Address", "Port", "Winner", "Age");
    }
}
