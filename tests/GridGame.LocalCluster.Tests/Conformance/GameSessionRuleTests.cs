using System.Net;
using System.Text.Json.Nodes;
using GridGame.LocalCluster.Tests.Kubectl;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace GridGame.LocalCluster.Tests.Conformance;

/// <summary>
/// The GameSession CRD's x-kubernetes-validations rules, through the real KubernetesClient: refused writes are
/// 422 Invalid, worded as a real API server words them.
/// </summary>
public sealed class GameSessionRuleTests
{
    private const string Group = "gridgame.io";
    private const string Version = "v1";
    private const string Plural = "gamesessions";

    private static async Task<ApiServer> StartAsync()
    {
        var api = await ApiServer.StartAsync();
        var yaml = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "crds", "gamesessions.gridgame.io.yaml"));
        await api.Client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(KubernetesYaml.Deserialize<V1CustomResourceDefinition>(yaml));
        return api;
    }

    private static JsonObject Session(string name, string spec) => new()
    {
        ["apiVersion"] = "gridgame.io/v1",
        ["kind"] = "GameSession",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default" },
        ["spec"] = JsonNode.Parse(spec),
    };

    private static Task<JsonObject> CreateAsync(ApiServer api, JsonObject session) =>
        api.Client.CustomObjects.CreateNamespacedCustomObjectAsync<JsonObject>(session, Group, Version, "default", Plural);

    private static Task<JsonObject> PatchAsync(ApiServer api, string name, string patch) =>
        api.Client.CustomObjects.PatchNamespacedCustomObjectAsync<JsonObject>(new V1Patch(patch, V1Patch.PatchType.MergePatch), Group, Version, "default", Plural, name);

    private static async Task<JsonObject> RefusedAsync(Func<Task> write)
    {
        var e = (await write.Should().ThrowAsync<HttpOperationException>()).Which;
        e.Response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        var status = JsonNode.Parse(e.Response.Content)!.AsObject();
        status.Str("reason").Should().Be("Invalid");
        return status;
    }

    [Fact]
    public async Task Create_with_duplicate_players_is_refused_with_the_rule_message()
    {
        await using var api = await StartAsync();
        var status = await RefusedAsync(() => CreateAsync(api, Session("s1", """{"fleetName":"arena","players":["alice","bob","alice"]}""")));
        status.Str("message").Should().Be("GameSession.gridgame.io \"s1\" is invalid: spec.players: Invalid value: \"array\": player ids must be unique");
        var cause = status.Node("details.causes")!.AsArray().Single()!.AsObject();
        cause.Str("field").Should().Be("spec.players");
        cause.Str("reason").Should().Be("FieldValueInvalid");
        cause.Str("message").Should().Be("Invalid value: \"array\": player ids must be unique");
    }

    [Fact]
    public async Task Create_with_minPlayers_above_maxPlayers_names_the_rule_fieldPath()
    {
        await using var api = await StartAsync();
        var status = await RefusedAsync(() => CreateAsync(api, Session("s1", """{"fleetName":"arena","game":{"minPlayers":5,"maxPlayers":2}}""")));
        status.Str("message").Should().Be("GameSession.gridgame.io \"s1\" is invalid: spec.game.minPlayers: Invalid value: \"object\": minPlayers must be <= maxPlayers");
    }

    [Fact]
    public async Task Every_failing_rule_is_one_cause()
    {
        await using var api = await StartAsync();
        var status = await RefusedAsync(() => CreateAsync(api, Session("s1", """{"fleetName":"arena","players":["a","a"],"game":{"minPlayers":5,"maxPlayers":2}}""")));
        status.Node("details.causes")!.AsArray().Select(c => (string?)c!["field"]).Should().BeEquivalentTo("spec.players", "spec.game.minPlayers");
    }

    [Fact]
    public async Task A_schema_error_that_changes_the_shape_stops_the_rules_as_upstream()
    {
        await using var api = await StartAsync();
        var status = await RefusedAsync(() => CreateAsync(api, Session("s1", """{"fleetName":"arena","players":"alice","game":{"minPlayers":5,"maxPlayers":2}}""")));
        status.Str("message").Should().Contain("spec.players: Invalid value: \"string\": spec.players in body must be of type array")
            .And.Contain("some validation rules were not checked because the object was invalid")
            .And.NotContain("minPlayers must be <= maxPlayers");
    }

    [Fact]
    public async Task A_valid_session_is_accepted_and_updated_with_its_fleetName_unchanged()
    {
        await using var api = await StartAsync();
        await CreateAsync(api, Session("s1", """{"fleetName":"arena","players":["alice","bob"],"game":{"minPlayers":2,"maxPlayers":2}}"""));
        var patched = await PatchAsync(api, "s1", """{"spec":{"players":["alice","bob","carol"],"game":{"maxPlayers":3}}}""");
        patched.Node("spec.players")!.AsArray().Should().HaveCount(3);
        patched["spec"]!["players"] = new JsonArray("carol");
        var replaced = await api.Client.CustomObjects.ReplaceNamespacedCustomObjectAsync<JsonObject>(patched, Group, Version, "default", Plural, "s1");
        replaced.Str("spec.fleetName").Should().Be("arena");
    }

    [Fact]
    public async Task A_patch_of_fleetName_is_refused_as_immutable()
    {
        await using var api = await StartAsync();
        await CreateAsync(api, Session("s1", """{"fleetName":"arena"}"""));
        var status = await RefusedAsync(() => PatchAsync(api, "s1", """{"spec":{"fleetName":"other"}}"""));
        status.Str("message").Should().Be("GameSession.gridgame.io \"s1\" is invalid: spec.fleetName: Invalid value: \"string\": fleetName is immutable");
        var stored = await api.Client.CustomObjects.GetNamespacedCustomObjectAsync<JsonObject>(Group, Version, "default", Plural, "s1");
        stored.Str("spec.fleetName").Should().Be("arena");
    }

    [Fact]
    public async Task A_status_write_keeps_the_spec_and_passes_the_transition_rule()
    {
        await using var api = await StartAsync();
        await CreateAsync(api, Session("s1", """{"fleetName":"arena"}"""));
        var status = await api.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync<JsonObject>(
            new V1Patch("""{"status":{"phase":"Pending"},"spec":{"fleetName":"ignored"}}""", V1Patch.PatchType.MergePatch), Group, Version, "default", Plural, "s1");
        status.Str("status.phase").Should().Be("Pending");
        status.Str("spec.fleetName").Should().Be("arena");
    }
}
