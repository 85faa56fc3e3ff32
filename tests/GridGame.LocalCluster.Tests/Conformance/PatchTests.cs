using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace GridGame.LocalCluster.Tests.Conformance;

public sealed class PatchTests
{
    private static async Task<(ApiServer Api, Widgets Widgets)> WithWidgetAsync()
    {
        var api = await ApiServer.StartAsync();
        await api.InstallWidgetCrdAsync();
        var widgets = new Widgets(api.Client);
        await widgets.PatchAsync("w", """{"apiVersion":"test.gridgame.io/v1","kind":"Widget","metadata":{"name":"w","labels":{"state":"Ready"}},"spec":{"replicas":1}}""", "apply", fieldManager: "test");
        return (api, widgets);
    }

    [Fact]
    public async Task Merge_patch_merges_maps_and_null_deletes()
    {
        var (api, widgets) = await WithWidgetAsync();
        await using var _ = api;
        var w = await widgets.PatchAsync("w", """{"metadata":{"labels":{"state":null,"x":"y"}},"spec":{"color":"blue"}}""");
        w.Node("metadata.labels")!.AsObject().Select(kv => kv.Key).Should().Equal("x");
        w.Str("spec.color").Should().Be("blue");
        w.Long("spec.replicas").Should().Be(1);
    }

    [Fact]
    public async Task Json_patch_with_a_passing_test_applies()
    {
        var (api, widgets) = await WithWidgetAsync();
        await using var _ = api;
        var w = await widgets.PatchAsync("w", """[{"op":"test","path":"/metadata/labels/state","value":"Ready"},{"op":"replace","path":"/metadata/labels/state","value":"Allocated"}]""", "json");
        w.Str("metadata.labels.state").Should().Be("Allocated");
    }

    [Fact]
    public async Task Json_patch_with_a_failing_test_is_422_and_changes_nothing()
    {
        var (api, widgets) = await WithWidgetAsync();
        await using var _ = api;
        var act = () => widgets.PatchAsync("w", """[{"op":"test","path":"/metadata/labels/state","value":"Allocated"},{"op":"replace","path":"/metadata/labels/state","value":"Allocated"}]""", "json");
        var e = (await act.Should().ThrowAsync<HttpOperationException>()).Which;
        e.Response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        e.Response.Content.Should().Contain("testing value /metadata/labels/state failed");
        (await widgets.GetAsync("w")).Str("metadata.labels.state").Should().Be("Ready");
    }

    [Fact]
    public async Task A_patch_carrying_a_stale_resourceVersion_is_409()
    {
        var (api, widgets) = await WithWidgetAsync();
        await using var _ = api;
        var act = () => widgets.PatchAsync("w", """{"metadata":{"resourceVersion":"1"},"spec":{"replicas":2}}""");
        (await act.Should().ThrowAsync<HttpOperationException>()).Which.Response.StatusCode.Should().Be(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Strategic_merge_on_a_custom_resource_is_415()
    {
        var (api, widgets) = await WithWidgetAsync();
        await using var _ = api;
        var act = () => widgets.PatchAsync("w", """{"spec":{"replicas":2}}""", "strategic");
        (await act.Should().ThrowAsync<HttpOperationException>()).Which.Response.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task Strategic_merge_on_a_pod_merges_containers_by_name()
    {
        await using var api = await ApiServer.StartAsync();
        await api.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "p", Labels = new Dictionary<string, string> { ["a"] = "1" } },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "one", Image = "x:1" }, new V1Container { Name = "two", Image = "y:1" }] },
        }, "default");
        var patched = await api.Client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"b":"2"},"annotations":{"n":"v"}},"spec":{"containers":[{"name":"two","image":"y:2"}]}}""", V1Patch.PatchType.StrategicMergePatch), "p", "default");
        patched.Spec.Containers.Select(c => c.Name + "=" + c.Image).Should().Equal("one=x:1", "two=y:2");
        patched.Metadata.Labels.Should().Contain("a", "1").And.Contain("b", "2");
        patched.Metadata.Annotations.Should().Contain("n", "v");
    }

    [Fact]
    public async Task Apply_patch_creates_then_merges()
    {
        var (api, widgets) = await WithWidgetAsync();
        await using var _ = api;
        (await widgets.GetAsync("w")).Long("metadata.generation").Should().Be(1);
        var w = await widgets.PatchAsync("w", """{"apiVersion":"test.gridgame.io/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"replicas":4}}""", "apply", fieldManager: "test");
        w.Long("spec.replicas").Should().Be(4);
        w.Str("metadata.labels.state").Should().Be("Ready", "simplified apply does not remove fields the configuration leaves out");
    }

    [Fact]
    public async Task Apply_patch_without_a_field_manager_is_400()
    {
        var (api, widgets) = await WithWidgetAsync();
        await using var _ = api;
        var act = () => widgets.PatchAsync("w", """{"apiVersion":"test.gridgame.io/v1","kind":"Widget","metadata":{"name":"w"}}""", "apply");
        (await act.Should().ThrowAsync<HttpOperationException>()).Which.Response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_patch_of_a_missing_object_is_404()
    {
        var (api, widgets) = await WithWidgetAsync();
        await using var _ = api;
        var act = () => widgets.PatchAsync("nope", """{"spec":{"replicas":2}}""");
        (await act.Should().ThrowAsync<HttpOperationException>()).Which.Response.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }
}
