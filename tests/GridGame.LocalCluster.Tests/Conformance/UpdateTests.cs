using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace GridGame.LocalCluster.Tests.Conformance;

public sealed class UpdateTests
{
    [Fact]
    public async Task Put_without_a_resourceVersion_is_422_for_a_custom_resource()
    {
        await using var api = await ApiServer.StartAsync();
        await api.InstallWidgetCrdAsync();
        var widgets = new Widgets(api.Client);
        var w = await widgets.CreateAsync("w");
        ((JsonObject)w["metadata"]!).Remove("resourceVersion");
        var act = () => widgets.ReplaceAsync(w);
        var e = (await act.Should().ThrowAsync<HttpOperationException>()).Which;
        e.Response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        e.Response.Content.Should().Contain("metadata.resourceVersion: Invalid value: 0x0: must be specified for an update");
    }

    [Fact]
    public async Task Put_with_a_stale_resourceVersion_is_409_Conflict()
    {
        await using var api = await ApiServer.StartAsync();
        await api.InstallWidgetCrdAsync();
        var widgets = new Widgets(api.Client);
        var stale = await widgets.CreateAsync("w");
        await widgets.PatchAsync("w", """{"spec":{"replicas":2}}""");
        stale["spec"]!["replicas"] = 3;
        var act = () => widgets.ReplaceAsync(stale);
        var e = (await act.Should().ThrowAsync<HttpOperationException>()).Which;
        e.Response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        e.Response.Content.Should().Contain("the object has been modified; please apply your changes to the latest version and try again");
    }

    [Fact]
    public async Task Every_write_gets_a_higher_resourceVersion()
    {
        await using var api = await ApiServer.StartAsync();
        var cm = await api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, "default");
        var first = long.Parse(cm.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture);
        cm.Data = new Dictionary<string, string> { ["a"] = "b" };
        var updated = await api.Client.CoreV1.ReplaceNamespacedConfigMapAsync(cm, "c", "default");
        long.Parse(updated.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture).Should().BeGreaterThan(first);
    }

    [Fact]
    public async Task Generation_bumps_on_spec_changes_only()
    {
        await using var api = await ApiServer.StartAsync();
        await api.InstallWidgetCrdAsync();
        var widgets = new Widgets(api.Client);
        await widgets.CreateAsync("w");
        (await widgets.PatchAsync("w", """{"metadata":{"labels":{"a":"b"}}}""")).Long("metadata.generation").Should().Be(1);
        (await widgets.PatchStatusAsync("w", """{"status":{"replicas":1}}""")).Long("metadata.generation").Should().Be(1);
        (await widgets.PatchAsync("w", """{"spec":{"replicas":5}}""")).Long("metadata.generation").Should().Be(2);
    }

    [Fact]
    public async Task An_update_that_changes_nothing_writes_nothing()
    {
        await using var api = await ApiServer.StartAsync();
        await api.InstallWidgetCrdAsync();
        var widgets = new Widgets(api.Client);
        var created = await widgets.CreateAsync("w");
        var same = await widgets.PatchAsync("w", """{"spec":{"replicas":1}}""");
        same.Str("metadata.resourceVersion").Should().Be(created.Str("metadata.resourceVersion"));
    }

    [Fact]
    public async Task The_main_endpoint_ignores_status_when_there_is_a_status_subresource()
    {
        await using var api = await ApiServer.StartAsync();
        await api.InstallWidgetCrdAsync();
        var widgets = new Widgets(api.Client);
        var w = ApiServer.Widget("w");
        w["status"] = new JsonObject { ["replicas"] = 9 };
        (await widgets.CreateAsync(w)).Node("status").Should().BeNull("create cannot set status");
        (await widgets.PatchAsync("w", """{"status":{"replicas":7}}""")).Node("status").Should().BeNull();
    }

    [Fact]
    public async Task The_status_endpoint_changes_only_status()
    {
        await using var api = await ApiServer.StartAsync();
        await api.InstallWidgetCrdAsync();
        var widgets = new Widgets(api.Client);
        var w = await widgets.CreateAsync("w");
        w["spec"]!["replicas"] = 50;
        w["metadata"]!["labels"] = new JsonObject { ["x"] = "y" };
        w["status"] = new JsonObject { ["replicas"] = 3 };
        var after = await widgets.ReplaceStatusAsync(w);
        after.Long("status.replicas").Should().Be(3);
        after.Long("spec.replicas").Should().Be(1);
        after.Node("metadata.labels").Should().BeNull();
    }

    [Fact]
    public async Task Name_and_namespace_in_the_body_must_match_the_url()
    {
        await using var api = await ApiServer.StartAsync();
        var cm = await api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, "default");
        cm.Metadata.Name = "other";
        var act = () => api.Client.CoreV1.ReplaceNamespacedConfigMapAsync(cm, "c", "default");
        var e = (await act.Should().ThrowAsync<HttpOperationException>()).Which;
        e.Response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        e.Response.Content.Should().Contain("does not match the name on the URL");
    }

    [Fact]
    public async Task Uid_is_immutable_and_creationTimestamp_is_kept()
    {
        await using var api = await ApiServer.StartAsync();
        var cm = await api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, "default");
        var created = cm.Metadata.CreationTimestamp;
        cm.Metadata.CreationTimestamp = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var kept = await api.Client.CoreV1.ReplaceNamespacedConfigMapAsync(cm, "c", "default");
        kept.Metadata.CreationTimestamp.Should().Be(created);

        kept.Metadata.Uid = Guid.NewGuid().ToString();
        var act = () => api.Client.CoreV1.ReplaceNamespacedConfigMapAsync(kept, "c", "default");
        var e = (await act.Should().ThrowAsync<HttpOperationException>()).Which;
        e.Response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        e.Response.Content.Should().Contain("metadata.uid").And.Contain("field is immutable");
    }

    [Fact]
    public async Task A_pod_spec_may_not_change_except_images()
    {
        await using var api = await ApiServer.StartAsync();
        var pod = await api.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "p" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "x:1" }] },
        }, "default");
        var image = await api.Client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"spec":{"containers":[{"name":"c","image":"x:2"}]}}""", V1Patch.PatchType.StrategicMergePatch), "p", "default");
        image.Spec.Containers[0].Image.Should().Be("x:2");
        var act = () => api.Client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"spec":{"nodeName":"n1"}}""", V1Patch.PatchType.MergePatch), "p", "default");
        (await act.Should().ThrowAsync<HttpOperationException>()).Which.Response.Content.Should().Contain("pod updates may not change fields");
        pod.Should().NotBeNull();
    }

    [Fact]
    public async Task The_binding_subresource_assigns_a_node_once()
    {
        await using var api = await ApiServer.StartAsync();
        await api.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "p" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "x:1" }] },
        }, "default");
        var binding = new V1Binding { Metadata = new V1ObjectMeta { Name = "p" }, Target = new V1ObjectReference { Kind = "Node", Name = "n1" } };
        await api.Client.CoreV1.CreateNamespacedPodBindingAsync(binding, "p", "default");
        (await api.Client.CoreV1.ReadNamespacedPodAsync("p", "default")).Spec.NodeName.Should().Be("n1");
        var again = () => api.Client.CoreV1.CreateNamespacedPodBindingAsync(binding, "p", "default");
        (await again.Should().ThrowAsync<HttpOperationException>()).Which.Response.StatusCode.Should().Be(HttpStatusCode.Conflict);
    }
}
