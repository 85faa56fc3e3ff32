using System.Net;
using System.Text.Json.Nodes;
using k8s.Autorest;

namespace GridGame.LocalCluster.Tests.Conformance;

public sealed class ScaleTests
{
    [Fact]
    public async Task Scale_reads_the_crd_scale_paths_as_an_autoscaling_v1_Scale()
    {
        await using var api = await ApiServer.StartAsync();
        await api.InstallWidgetCrdAsync();
        var widgets = new Widgets(api.Client);
        await widgets.CreateAsync("w", replicas: 3);
        await widgets.PatchStatusAsync("w", """{"status":{"replicas":2,"selector":"app=w"}}""");
        var scale = await widgets.GetScaleAsync("w");
        scale.Str("kind").Should().Be("Scale");
        scale.Str("apiVersion").Should().Be("autoscaling/v1");
        scale.Long("spec.replicas").Should().Be(3);
        scale.Long("status.replicas").Should().Be(2);
        scale.Str("status.selector").Should().Be("app=w");
    }

    [Fact]
    public async Task Patching_scale_sets_spec_replicas_and_bumps_generation()
    {
        await using var api = await ApiServer.StartAsync();
        await api.InstallWidgetCrdAsync();
        var widgets = new Widgets(api.Client);
        await widgets.CreateAsync("w", replicas: 3);
        (await widgets.PatchScaleAsync("w", """{"spec":{"replicas":7}}""")).Long("spec.replicas").Should().Be(7);
        var w = await widgets.GetAsync("w");
        w.Long("spec.replicas").Should().Be(7);
        w.Long("metadata.generation").Should().Be(2);
    }

    [Fact]
    public async Task Scaling_to_a_negative_count_is_422()
    {
        await using var api = await ApiServer.StartAsync();
        await api.InstallWidgetCrdAsync();
        var widgets = new Widgets(api.Client);
        await widgets.CreateAsync("w");
        var act = () => widgets.PatchScaleAsync("w", """{"spec":{"replicas":-1}}""");
        (await act.Should().ThrowAsync<HttpOperationException>()).Which.Response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
    }

    [Theory]
    [InlineData("2147483648", ".status.replicas: Invalid value: 2147483648: should be less than or equal to 2147483647")]
    [InlineData("-1", ".status.replicas: Invalid value: -1: should be a non-negative integer")]
    public async Task A_write_whose_scale_replicas_do_not_fit_an_int32_is_422_in_upstreams_words(string replicas, string message)
    {
        // The schema says only `type: integer`; apiextensions checks the scale paths itself on every write.
        await using var api = await ApiServer.StartAsync();
        await api.InstallWidgetCrdAsync();
        var widgets = new Widgets(api.Client);
        await widgets.CreateAsync("w");
        var act = () => widgets.PatchStatusAsync("w", """{"status":{"replicas":""" + replicas + "}}");
        var refused = (await act.Should().ThrowAsync<HttpOperationException>()).Which.Response;
        refused.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        JsonNode.Parse(refused.Content)!.AsObject().Str("message").Should().Be($"Widget.test.gridgame.io \"w\" is invalid: {message}");
    }
}
