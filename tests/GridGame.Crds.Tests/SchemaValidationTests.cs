using System.Text.Json.Nodes;
using GridGame.Crds.Schema;
using GridGame.Crds.Validation;
using GridGame.LocalCluster.Schema;
using k8s;

namespace GridGame.Crds.Tests;

/// <summary>The generated schemas, run through LocalCluster's structural-schema rules as the API server would.</summary>
public sealed class SchemaValidationTests
{
    private static readonly JsonObject s_fleetSchema = CrdGenerator.OpenApiSchema(CrdGenerator.GameFleetCrd());
    private static readonly JsonObject s_sessionSchema = CrdGenerator.OpenApiSchema(CrdGenerator.GameSessionCrd());

    /// <summary>What the API server does to a create request: prune, default, validate.</summary>
    /// <summary>What LocalCluster (and an API server) does to a new object: prune, default, validate, then the CEL rules.</summary>
    private static IReadOnlyList<SchemaError> Admit(JsonObject schema, JsonNode obj)
    {
        StructuralSchema.Prune(schema, obj);
        StructuralSchema.ApplyDefaults(schema, obj);
        var errors = StructuralSchema.Validate(schema, obj);
        return StructuralSchema.BlocksRules(errors) ? errors : [.. errors, .. StructuralSchema.ValidateRules(schema, obj, oldValue: null)];
    }

    private static JsonNode SampleFleet() => Repository.ReadYaml("config/samples/gamefleet.yaml")!;

    private static JsonNode SampleSession() => Repository.ReadYaml("config/samples/gamesession.yaml")!;

    [Fact]
    public void The_sample_fleet_is_accepted_and_defaulted()
    {
        var fleet = SampleFleet();

        Admit(s_fleetSchema, fleet).Should().BeEmpty();

        fleet["spec"]!["game"]!["claimCooldownMs"]!.GetValue<int>().Should().Be(100);
        fleet["spec"]!["strategy"]!["blueGreen"]!["progressDeadlineSeconds"]!.GetValue<int>().Should().Be(600);
        fleet["spec"]!["autoscaling"]!["scaleDown"]!["stabilizationWindowSeconds"]!.GetValue<int>().Should().Be(300);
        fleet["spec"]!["deletion"]!["policy"]!.GetValue<string>().Should().Be("Drain");
    }

    [Fact]
    public void The_sample_fleet_is_valid_for_the_semantic_validator_too()
    {
        var fleet = KubernetesJson.Deserialize<GameFleet>(SampleFleet().ToJsonString());

        fleet.Metadata.Name.Should().Be("arena");
        fleet.Spec.Replicas.Should().Be(2);
        fleet.Spec.Autoscaling!.MinReplicas.Should().Be(2);
        fleet.Spec.Autoscaling.MaxReplicas.Should().Be(10);
        ((string?)fleet.Spec.Autoscaling.Buffer!.Size).Should().Be("2");
        fleet.Spec.Template.Spec.Containers.Single().Image.Should().Be("gridgame-gameserver:dev");
        GameFleetValidator.Validate(fleet).Should().BeEmpty();
    }

    [Fact]
    public void The_sample_session_is_accepted_and_valid_against_the_sample_fleet()
    {
        var json = SampleSession();

        Admit(s_sessionSchema, json).Should().BeEmpty();

        json["metadata"]!["generateName"]!.GetValue<string>().Should().Be("match-");
        json["spec"]!["allocationTimeoutSeconds"]!.GetValue<int>().Should().Be(30);
        var session = KubernetesJson.Deserialize<GameSession>(json.ToJsonString());
        var fleet = KubernetesJson.Deserialize<GameFleet>(SampleFleet().ToJsonString());
        GameSessionValidator.Validate(session, fleet).Should().BeEmpty();
    }

    /// <summary>Kustomize directories whose GridGame objects must be admitted as they are (those present in this checkout).</summary>
    public static TheoryData<string> KustomizeDirectories => new(
        new[] { "config/samples", "config/default", "config/overlays/dev", "config/overlays/prod" }
            .Where(d => File.Exists(Repository.Path(Path.Combine(d, "kustomization.yaml")))));

    [Theory]
    [MemberData(nameof(KustomizeDirectories))]
    public void Every_GridGame_object_Kustomize_builds_is_accepted_and_valid(string directory)
    {
        var (exitCode, output) = Repository.Run("kubectl", "kustomize", directory);
        exitCode.Should().Be(0, output);

        var objects = Repository.YamlDocuments(output).OfType<JsonObject>().Where(o => (string?)o["apiVersion"] == GridGameApi.ApiVersion).ToList();

        objects.Should().NotBeEmpty($"{directory} should hold a GameFleet");
        foreach (var obj in objects)
        {
            var kind = (string?)obj["kind"];
            var schema = kind == GameFleet.KubeKind ? s_fleetSchema : s_sessionSchema;
            Admit(schema, obj).Should().BeEmpty($"{kind} {obj["metadata"]?["name"]} in {directory}");
            if (kind == GameFleet.KubeKind)
            {
                GameFleetValidator.Validate(KubernetesJson.Deserialize<GameFleet>(obj.ToJsonString())).Should().BeEmpty();
            }
        }
    }

    /// <summary>A change to the sample fleet, the field the API server names, its reason and message.</summary>
    public static TheoryData<string, string, string, string, string> InvalidFleets => new()
    {
        { "spec.game.boardSize", "100", "spec.game.boardSize", "FieldValueInvalid", "Invalid value: 100: spec.game.boardSize in body should be less than or equal to 64" },
        { "spec.game.boardSize", "2", "spec.game.boardSize", "FieldValueInvalid", "Invalid value: 2: spec.game.boardSize in body should be greater than or equal to 3" },
        { "spec.replicas", "\"three\"", "spec.replicas", "FieldValueTypeInvalid", "Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"" },
        { "spec.replicas", "1.5", "spec.replicas", "FieldValueTypeInvalid", "Invalid value: \"number\": spec.replicas in body must be of type integer: \"number\"" },
        { "spec.scheduling", "\"Sideways\"", "spec.scheduling", "FieldValueNotSupported", "Unsupported value: \"Sideways\": supported values: \"Packed\", \"Distributed\"" },
        { "spec.ports", "[{\"name\":\"Game\",\"containerPort\":7777}]", "spec.ports[0].name", "FieldValueInvalid", "Invalid value: \"Game\": spec.ports[0].name in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'" },
        { "spec.ports", "[{\"name\":\"a-very-long-port-name\",\"containerPort\":7777}]", "spec.ports[0].name", "FieldValueTooLong", "Too long: may not be longer than 15" },
        { "spec.ports", "[]", "spec.ports", "FieldValueInvalid", "Invalid value: 0: spec.ports in body should have at least 1 items" },
        { "spec.ports", "[{\"name\":\"game\"}]", "spec.ports[0].containerPort", "FieldValueRequired", "Required value" },
        { "spec.ports", "[{\"name\":\"game\",\"containerPort\":70000}]", "spec.ports[0].containerPort", "FieldValueInvalid", "Invalid value: 70000: spec.ports[0].containerPort in body should be less than or equal to 65535" },
        { "spec.ports", "[{\"name\":\"game\",\"containerPort\":7777,\"policy\":\"Random\"}]", "spec.ports[0].policy", "FieldValueNotSupported", "Unsupported value: \"Random\": supported values: \"Dynamic\", \"Static\", \"None\"" },
        { "spec.ports", Ports(9), "spec.ports", "FieldValueTooMany", "Too many: 9: must have at most 8 items" },
        { "spec.autoscaling.buffer.size", "\"120%\"", "spec.autoscaling.buffer.size", "FieldValueInvalid", "Invalid value: \"120%\": spec.autoscaling.buffer.size in body should match '^(100|[1-9]?[0-9])%$'" },
        { "spec.autoscaling.buffer.size", "\"five\"", "spec.autoscaling.buffer.size", "FieldValueInvalid", "Invalid value: \"five\": spec.autoscaling.buffer.size in body should match '^(100|[1-9]?[0-9])%$'" },
        { "spec.autoscaling.buffer.size", "-1", "spec.autoscaling.buffer.size", "FieldValueInvalid", "Invalid value: -1: spec.autoscaling.buffer.size in body should be greater than or equal to 0" },
        { "spec.autoscaling.buffer.size", "true", "spec.autoscaling.buffer.size", "FieldValueTypeInvalid", "Invalid value: \"boolean\": spec.autoscaling.buffer.size in body must be of type integer,string: \"boolean\"" },
        { "spec.autoscaling", "{\"minReplicas\":1}", "spec.autoscaling.maxReplicas", "FieldValueRequired", "Required value" },
        { "spec.autoscaling.scaleDown", "{\"maxPercentPerMinute\":0}", "spec.autoscaling.scaleDown.maxPercentPerMinute", "FieldValueInvalid", "Invalid value: 0: spec.autoscaling.scaleDown.maxPercentPerMinute in body should be greater than or equal to 1" },
        { "spec.strategy", "{\"blueGreen\":{\"autoPromote\":\"yes\"}}", "spec.strategy.blueGreen.autoPromote", "FieldValueTypeInvalid", "Invalid value: \"string\": spec.strategy.blueGreen.autoPromote in body must be of type boolean: \"string\"" },
        { "spec.template", "{\"metadata\":{}}", "spec.template.spec", "FieldValueRequired", "Required value" },
        { "spec.template.spec.containers", "[]", "spec.template.spec.containers", "FieldValueInvalid", "Invalid value: 0: spec.template.spec.containers in body should have at least 1 items" },
        { "spec.template.spec.containers", "[{\"name\":\"gameserver\"}]", "spec.template.spec.containers[0].image", "FieldValueRequired", "Required value" },
        { "spec", "{\"replicas\":1}", "spec.template", "FieldValueRequired", "Required value" },
        { "spec.game", "\"big\"", "spec.game", "FieldValueTypeInvalid", "Invalid value: \"string\": spec.game in body must be of type object: \"string\"" },
        { "spec.deletion.drainTimeoutSeconds", "-1", "spec.deletion.drainTimeoutSeconds", "FieldValueInvalid", "Invalid value: -1: spec.deletion.drainTimeoutSeconds in body should be greater than or equal to 0" },
    };

    [Theory]
    [MemberData(nameof(InvalidFleets))]
    public void An_invalid_fleet_is_rejected_with_the_API_servers_words(string path, string json, string field, string reason, string message)
    {
        var fleet = Set(SampleFleet(), path, JsonNode.Parse(json));

        var errors = Admit(s_fleetSchema, fleet);

        errors.Should().ContainSingle().Which.Should().Be(new SchemaError(field, reason, message));
    }

    public static TheoryData<string, string, string, string, string> InvalidSessions => new()
    {
        { "spec", "{\"players\":[\"alice\"]}", "spec.fleetName", "FieldValueRequired", "Required value" },
        { "spec.fleetName", "\"Arena\"", "spec.fleetName", "FieldValueInvalid", "Invalid value: \"Arena\": spec.fleetName in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'" },
        { "spec.players", "[\"alice smith\"]", "spec.players[0]", "FieldValueInvalid", "Invalid value: \"alice smith\": spec.players[0] in body should match '^[A-Za-z0-9][A-Za-z0-9._@-]*$'" },
        { "spec.allocationTimeoutSeconds", "0", "spec.allocationTimeoutSeconds", "FieldValueInvalid", "Invalid value: 0: spec.allocationTimeoutSeconds in body should be greater than or equal to 1" },
        { "spec.game", "{\"boardSize\":65}", "spec.game.boardSize", "FieldValueInvalid", "Invalid value: 65: spec.game.boardSize in body should be less than or equal to 64" },
        { "spec.selector", "{\"matchLabels\":{\"region\":5}}", "spec.selector.matchLabels.region", "FieldValueTypeInvalid", "Invalid value: \"integer\": spec.selector.matchLabels.region in body must be of type string: \"integer\"" },
        { "spec.selector", "{\"matchExpressions\":[{\"key\":\"region\"}]}", "spec.selector.matchExpressions[0].operator", "FieldValueRequired", "Required value" },
    };

    [Theory]
    [MemberData(nameof(InvalidSessions))]
    public void An_invalid_session_is_rejected_with_the_API_servers_words(string path, string json, string field, string reason, string message)
    {
        var session = Set(SampleSession(), path, JsonNode.Parse(json));

        var errors = Admit(s_sessionSchema, session);

        errors.Should().ContainSingle().Which.Should().Be(new SchemaError(field, reason, message));
    }

    [Fact]
    public void An_empty_port_name_breaks_both_its_minimum_length_and_its_pattern()
    {
        var fleet = Set(SampleFleet(), "spec.ports", JsonNode.Parse("""[{"name":"","containerPort":7777}]"""));

        var errors = Admit(s_fleetSchema, fleet);

        errors.Should().BeEquivalentTo(
        [
            new SchemaError("spec.ports[0].name", "FieldValueInvalid", "Invalid value: \"\": spec.ports[0].name in body should be at least 1 chars long"),
            new SchemaError("spec.ports[0].name", "FieldValueInvalid", "Invalid value: \"\": spec.ports[0].name in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'"),
        ]);
    }

    [Fact]
    public void Several_errors_are_all_reported()
    {
        var fleet = SampleFleet();
        Set(fleet, "spec.game.boardSize", 100);
        Set(fleet, "spec.scheduling", "Sideways");
        fleet["spec"]!.AsObject().Remove("template");

        var errors = Admit(s_fleetSchema, fleet);

        errors.Select(e => e.Field).Should().BeEquivalentTo(["spec.game.boardSize", "spec.scheduling", "spec.template"]);
    }

    [Fact]
    public void A_null_non_nullable_field_is_defaulted_and_a_null_without_default_is_dropped()
    {
        var fleet = SampleFleet();
        Set(fleet, "spec.replicas", null);
        Set(fleet, "spec.autoscaling.maxReplicas", 10);
        fleet["status"] = new JsonObject { ["selector"] = null };

        Admit(s_fleetSchema, fleet).Should().BeEmpty();

        fleet["spec"]!["replicas"]!.GetValue<int>().Should().Be(1);
        fleet["status"]!.AsObject().Should().NotContainKey("selector");
    }

    [Fact]
    public void A_null_left_in_place_is_a_type_error()
    {
        var fleet = SampleFleet();
        Set(fleet, "spec.game.boardSize", null);

        var errors = StructuralSchema.Validate(s_fleetSchema, fleet);

        errors.Should().ContainSingle().Which.Should().Be(new SchemaError("spec.game.boardSize", "FieldValueTypeInvalid", "Invalid value: \"null\": spec.game.boardSize in body must be of type integer: \"null\""));
    }

    [Theory]
    [InlineData("5")]
    [InlineData("\"20%\"")]
    [InlineData("\"0%\"")]
    [InlineData("\"100%\"")]
    [InlineData("0")]
    public void A_buffer_size_is_an_integer_or_a_percent_string(string json)
    {
        var fleet = Set(SampleFleet(), "spec.autoscaling.buffer.size", JsonNode.Parse(json));

        Admit(s_fleetSchema, fleet).Should().BeEmpty();
    }

    [Fact]
    public void Pruning_drops_unknown_fields_but_keeps_the_pod_templates_and_the_metadata()
    {
        var fleet = SampleFleet();
        fleet["extra"] = "root";
        Set(fleet, "spec.colour", "blue");
        Set(fleet, "spec.game.colour", "blue");
        Set(fleet, "spec.ports", JsonNode.Parse("""[{"name":"game","containerPort":7777,"protocol":"TCP"}]"""));
        Set(fleet, "metadata.labels", new JsonObject { ["team"] = "a" });
        Set(fleet, "spec.template.metadata.annotations", new JsonObject { ["note"] = "kept" });
        Set(fleet, "spec.template.spec.nodeSelector", new JsonObject { ["zone"] = "eu" });
        Set(fleet, "spec.template.spec.containers", JsonNode.Parse("""[{"name":"gameserver","image":"gridgame-gameserver:dev","env":[{"name":"A","value":"1"}]}]"""));
        fleet["status"] = new JsonObject { ["readyReplicas"] = 1, ["mood"] = "happy" };

        StructuralSchema.Prune(s_fleetSchema, fleet);

        fleet.AsObject().Should().NotContainKey("extra");
        fleet["spec"]!.AsObject().Should().NotContainKey("colour");
        fleet["spec"]!["game"]!.AsObject().Should().NotContainKey("colour");
        fleet["spec"]!["ports"]![0]!.AsObject().Should().NotContainKey("protocol");
        fleet["status"]!.AsObject().Should().ContainKey("readyReplicas").And.NotContainKey("mood");
        fleet["metadata"]!["labels"]!["team"]!.GetValue<string>().Should().Be("a");
        fleet["apiVersion"]!.GetValue<string>().Should().Be("gridgame.io/v1");
        fleet["spec"]!["template"]!["metadata"]!["annotations"]!["note"]!.GetValue<string>().Should().Be("kept");
        fleet["spec"]!["template"]!["spec"]!["nodeSelector"]!["zone"]!.GetValue<string>().Should().Be("eu");
        fleet["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]![0]!["value"]!.GetValue<string>().Should().Be("1");
    }

    [Fact]
    public void The_schemas_defaults_are_the_CSharp_defaults()
    {
        var json = JsonNode.Parse("""{"apiVersion":"gridgame.io/v1","kind":"GameFleet","metadata":{"name":"a"},"spec":{"autoscaling":{"maxReplicas":5},"ports":[{"name":"web","containerPort":80}],"template":{"spec":{"containers":[{"name":"c","image":"i"}]}}}}""")!;
        var typed = KubernetesJson.Deserialize<GameFleet>(json.ToJsonString());

        StructuralSchema.ApplyDefaults(s_fleetSchema, json);
        GameFleetDefaults.Apply(typed);

        JsonNode.DeepEquals(json, JsonNode.Parse(KubernetesJson.Serialize(typed))).Should().BeTrue(
            $"schema defaults gave {json.ToJsonString()} but GameFleetDefaults gave {KubernetesJson.Serialize(typed)}");
    }

    [Fact]
    public void The_schemas_session_defaults_are_the_CSharp_defaults()
    {
        var json = JsonNode.Parse("""{"apiVersion":"gridgame.io/v1","kind":"GameSession","metadata":{"name":"m"},"spec":{"fleetName":"arena"}}""")!;
        var typed = KubernetesJson.Deserialize<GameSession>(json.ToJsonString());

        StructuralSchema.ApplyDefaults(s_sessionSchema, json);
        GameSessionDefaults.Apply(typed);

        JsonNode.DeepEquals(json, JsonNode.Parse(KubernetesJson.Serialize(typed))).Should().BeTrue(json.ToJsonString());
    }

    [Fact]
    public void Duplicate_condition_types_are_rejected_as_the_list_map_key()
    {
        var fleet = SampleFleet();
        var condition = """{"type":"Ready","status":"True","reason":"AllReady","message":"","lastTransitionTime":"2026-01-01T00:00:00Z"}""";
        fleet["status"] = JsonNode.Parse($$"""{"conditions":[{{condition}},{{condition}}]}""");

        var errors = Admit(s_fleetSchema, fleet);

        errors.Should().ContainSingle().Which.Should().Be(new SchemaError("status.conditions[1]", "FieldValueDuplicate", "Duplicate value: map[string]interface {}{\"type\":\"Ready\"}"));
    }

    [Fact]
    public void A_status_written_by_the_operator_validates()
    {
        var fleet = GameFleetDefaults.Apply(Builders.Fleet());
        fleet.Status = new GameFleetStatus
        {
            ObservedGeneration = 3,
            Replicas = 2,
            ReadyReplicas = 2,
            AllocatedReplicas = 0,
            Selector = "gridgame.io/fleet=arena",
            ActiveRevision = "abc123",
            Rollout = new RolloutStatus { Phase = RolloutPhase.Idle, StartedAt = DateTime.UtcNow },
            Conditions = [new k8s.Models.V1Condition { Type = WellKnown.FleetConditions.Ready, Status = "True", Reason = WellKnown.FleetReasons.AllReady, Message = "2/2 ready", LastTransitionTime = DateTime.UtcNow }],
        };

        Admit(s_fleetSchema, JsonNode.Parse(KubernetesJson.Serialize(fleet))!).Should().BeEmpty();
    }

    [Fact]
    public void A_malformed_timestamp_is_a_type_error()
    {
        var fleet = SampleFleet();
        fleet["status"] = JsonNode.Parse("""{"rollout":{"startedAt":"yesterday"}}""");

        var errors = Admit(s_fleetSchema, fleet);

        errors.Should().ContainSingle().Which.Should().Be(new SchemaError("status.rollout.startedAt", "FieldValueTypeInvalid", "Invalid value: \"yesterday\": status.rollout.startedAt in body must be of type date-time: \"yesterday\""));
    }

    /// <summary>
    /// Rules the GameFleet CRD states in no schema keyword and no CEL rule (they need the pod template's meaning or the
    /// whole port list's host ports): only the operator's semantic validator checks them, and reports the fleet Invalid.
    /// </summary>
    private static readonly HashSet<string> s_semanticOnly = ["reserved template label", "duplicate static hostPort"];

    [Theory]
    [MemberData(nameof(ValidationTests.InvalidFleets), MemberType = typeof(ValidationTests))]
    public void The_CRD_refuses_what_the_semantic_validator_refuses_but_for_the_semantic_only_rules(string why, Action<GameFleetSpec> change, string field, string words)
    {
        _ = words;
        var json = JsonNode.Parse(KubernetesJson.Serialize(Builders.Fleet(change)))!;

        var errors = Admit(s_fleetSchema, json);

        if (s_semanticOnly.Contains(why))
        {
            errors.Should().BeEmpty(why);
        }
        else
        {
            errors.Should().Contain(e => field.StartsWith(e.Field, StringComparison.Ordinal) || e.Field.StartsWith(field, StringComparison.Ordinal), why);
        }
    }

    private static string Ports(int count) =>
        new JsonArray([.. Enumerable.Range(1, count).Select(i => (JsonNode)new JsonObject { ["name"] = $"p{i}", ["containerPort"] = 7000 + i })]).ToJsonString();

    /// <summary>Sets a dotted path (creating objects on the way) and returns the root.</summary>
    private static JsonNode Set(JsonNode root, string path, JsonNode? value)
    {
        var parts = path.Split('.');
        var node = root.AsObject();
        foreach (var part in parts[..^1])
        {
            if (node[part] is not JsonObject next)
            {
                next = new JsonObject();
                node[part] = next;
            }

            node = next;
        }

        node[parts[^1]] = value;
        return root;
    }
}
