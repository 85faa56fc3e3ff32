using System.Net;
using System.Text.Json.Nodes;
using k8s.Autorest;

namespace GridGame.LocalCluster.Tests.Conformance;

public sealed class SchemaTests
{
    private static async Task<(ApiServer, Widgets)> StartAsync()
    {
        var api = await ApiServer.StartAsync();
        await api.InstallWidgetCrdAsync();
        return (api, new Widgets(api.Client));
    }

    [Fact]
    public async Task Defaults_are_applied_on_create()
    {
        var (api, widgets) = await StartAsync();
        await using var _ = api;
        var w = ApiServer.Widget("w");
        ((JsonObject)w["spec"]!).Remove("color");
        (await widgets.CreateAsync(w)).Str("spec.color").Should().Be("red");
    }

    [Fact]
    public async Task Unknown_fields_are_pruned()
    {
        var (api, widgets) = await StartAsync();
        await using var _ = api;
        var w = ApiServer.Widget("w");
        w["spec"]!["bogus"] = 1;
        w["toplevel"] = "x";
        var created = await widgets.CreateAsync(w);
        created.Node("spec.bogus").Should().BeNull();
        created.Node("toplevel").Should().BeNull();
    }

    [Fact]
    public async Task Unknown_fields_are_refused_under_strict_field_validation()
    {
        var (api, widgets) = await StartAsync();
        await using var _ = api;
        var w = ApiServer.Widget("w");
        w["spec"]!["bogus"] = 1;
        var act = () => widgets.CreateAsync(w, fieldValidation: "Strict");
        var e = (await act.Should().ThrowAsync<HttpOperationException>()).Which;
        e.Response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        e.Response.Content.Should().Contain("strict decoding error: unknown field \\\"spec.bogus\\\"");
    }

    [Theory]
    [InlineData("""{"replicas":101}""", "spec.replicas")]
    [InlineData("""{"replicas":"three"}""", "spec.replicas")]
    [InlineData("""{"replicas":1,"color":"purple"}""", "spec.color")]
    [InlineData("""{"color":"red"}""", "spec.replicas")]
    public async Task An_invalid_object_is_422_Invalid_with_the_field_named(string spec, string field)
    {
        var (api, widgets) = await StartAsync();
        await using var _ = api;
        var w = ApiServer.Widget("w");
        w["spec"] = JsonNode.Parse(spec);
        var act = () => widgets.CreateAsync(w);
        var e = (await act.Should().ThrowAsync<HttpOperationException>()).Which;
        e.Response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        var status = JsonNode.Parse(e.Response.Content)!.AsObject();
        status.Str("reason").Should().Be("Invalid");
        status.Str("message").Should().StartWith("Widget.test.gridgame.io \"w\" is invalid: ");
        status.Node("details.causes")!.AsArray().Select(c => (string?)c!["field"]).Should().Contain(field);
    }

    [Fact]
    public async Task The_schema_is_enforced_on_update_and_patch_too()
    {
        var (api, widgets) = await StartAsync();
        await using var _ = api;
        var w = await widgets.CreateAsync("w");
        w["spec"]!["replicas"] = -1;
        var put = () => widgets.ReplaceAsync(w);
        (await put.Should().ThrowAsync<HttpOperationException>()).Which.Response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        var patch = () => widgets.PatchAsync("w", """{"spec":{"replicas":1000}}""");
        (await patch.Should().ThrowAsync<HttpOperationException>()).Which.Response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task Int_or_string_and_preserved_unknown_fields_are_accepted()
    {
        var (api, widgets) = await StartAsync();
        await using var _ = api;
        await widgets.CreateAsync("w");
        (await widgets.PatchAsync("w", """{"spec":{"size":"20%"}}""")).Str("spec.size").Should().Be("20%");
        (await widgets.PatchAsync("w", """{"spec":{"size":3}}""")).Long("spec.size").Should().Be(3);
        var status = await widgets.PatchStatusAsync("w", """{"status":{"conditions":[{"type":"Ready","anything":{"goes":true}}]}}""");
        status.Node("status.conditions")!.AsArray()[0]!["anything"]!["goes"]!.GetValue<bool>().Should().BeTrue();
    }
}
