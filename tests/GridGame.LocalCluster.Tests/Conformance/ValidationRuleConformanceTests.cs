using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace GridGame.LocalCluster.Tests.Conformance;

/// <summary>
/// x-kubernetes-validations beyond the GameSession rules, through KubernetesClient: a root rule reading
/// metadata, rules in additionalProperties maps and map-list items, transition rules on patch.
/// </summary>
public sealed class ValidationRuleConformanceTests
{
    private const string GadgetCrdJson = """
        {
          "apiVersion": "apiextensions.k8s.io/v1",
          "kind": "CustomResourceDefinition",
          "metadata": { "name": "gadgets.test.gridgame.io" },
          "spec": {
            "group": "test.gridgame.io",
            "scope": "Namespaced",
            "names": { "plural": "gadgets", "singular": "gadget", "kind": "Gadget", "listKind": "GadgetList" },
            "versions": [{
              "name": "v1", "served": true, "storage": true,
              "schema": { "openAPIV3Schema": {
                "type": "object",
                "x-kubernetes-validations": [{ "rule": "self.metadata.name.startsWith('g-')", "message": "gadget names start with g-" }],
                "properties": {
                  "apiVersion": { "type": "string" }, "kind": { "type": "string" }, "metadata": { "type": "object" },
                  "spec": { "type": "object", "properties": {
                    "limits": { "type": "object", "additionalProperties": { "type": "integer",
                      "x-kubernetes-validations": [{ "rule": "self <= oldSelf", "messageExpression": "'may only shrink from ' + string(oldSelf)" }] } },
                    "slots": { "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                      "items": { "type": "object", "required": ["name"],
                        "properties": { "name": { "type": "string" }, "size": { "type": "integer" } },
                        "x-kubernetes-validations": [{ "rule": "self.size > 0", "reason": "FieldValueForbidden", "message": "empty slot" }] } }
                  } }
                }
              } }
            }]
          }
        }
        """;

    private static async Task<ApiServer> StartAsync()
    {
        var api = await ApiServer.StartAsync();
        await api.Client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(KubernetesJson.Deserialize<V1CustomResourceDefinition>(GadgetCrdJson));
        return api;
    }

    private static Task<JsonObject> CreateAsync(ApiServer api, string name, string spec) =>
        api.Client.CustomObjects.CreateNamespacedCustomObjectAsync<JsonObject>(new JsonObject
        {
            ["apiVersion"] = "test.gridgame.io/v1",
            ["kind"] = "Gadget",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = JsonNode.Parse(spec),
        }, "test.gridgame.io", "v1", "default", "gadgets");

    private static Task<JsonObject> PatchAsync(ApiServer api, string name, string patch) =>
        api.Client.CustomObjects.PatchNamespacedCustomObjectAsync<JsonObject>(new V1Patch(patch, V1Patch.PatchType.MergePatch), "test.gridgame.io", "v1", "default", "gadgets", name);

    private static async Task<string> RefusedAsync(Func<Task> write)
    {
        var e = (await write.Should().ThrowAsync<HttpOperationException>()).Which;
        e.Response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        return JsonNode.Parse(e.Response.Content)!.AsObject().Str("message")!;
    }

    [Fact]
    public async Task A_root_rule_reads_metadata_name_and_its_error_has_upstreams_nil_path()
    {
        await using var api = await StartAsync();
        (await RefusedAsync(() => CreateAsync(api, "x", "{}")))
            .Should().Be("Gadget.test.gridgame.io \"x\" is invalid: <nil>: Invalid value: \"object\": gadget names start with g-");
        (await CreateAsync(api, "g-1", "{}")).Str("metadata.name").Should().Be("g-1");
    }

    [Fact]
    public async Task A_transition_rule_in_a_map_runs_on_patch_for_the_keys_that_existed()
    {
        await using var api = await StartAsync();
        await CreateAsync(api, "g-1", """{"limits":{"cpu":4}}""");
        (await RefusedAsync(() => PatchAsync(api, "g-1", """{"spec":{"limits":{"cpu":5}}}""")))
            .Should().Be("Gadget.test.gridgame.io \"g-1\" is invalid: spec.limits[cpu]: Invalid value: \"integer\": may only shrink from 4");
        (await PatchAsync(api, "g-1", """{"spec":{"limits":{"cpu":3,"memory":64}}}""")).Long("spec.limits.memory").Should().Be(64);
    }

    [Fact]
    public async Task A_rule_on_list_items_names_the_item_and_honors_its_reason()
    {
        await using var api = await StartAsync();
        (await RefusedAsync(() => CreateAsync(api, "g-1", """{"slots":[{"name":"a","size":1},{"name":"b","size":0}]}""")))
            .Should().Be("Gadget.test.gridgame.io \"g-1\" is invalid: spec.slots[1]: Forbidden: empty slot");
    }

    [Fact]
    public async Task A_CRD_whose_rule_does_not_compile_is_refused_naming_the_rule()
    {
        await using var api = await ApiServer.StartAsync();
        var crd = JsonNode.Parse(GadgetCrdJson)!.AsObject();
        crd["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!["properties"]!["spec"]!["properties"]!["slots"]!["items"]!["x-kubernetes-validations"]![0]!["rule"] = "self.size > limit";
        var create = () => api.Client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(KubernetesJson.Deserialize<V1CustomResourceDefinition>(crd.ToJsonString()));
        var e = (await create.Should().ThrowAsync<HttpOperationException>()).Which;
        e.Response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        JsonNode.Parse(e.Response.Content)!.AsObject().Str("message").Should().Be(
            "CustomResourceDefinition.apiextensions.k8s.io \"gadgets.test.gridgame.io\" is invalid: "
            + "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[slots].items.x-kubernetes-validations[0].rule: "
            + "Invalid value: \"self.size > limit\": compilation failed: ERROR: <input>:1:13: undeclared reference to 'limit' (in container '')");
    }
}
