using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace GridGame.LocalCluster.Tests.Conformance;

public sealed class DeletionTests
{
    private static V1ConfigMap ConfigMap(string name, V1ObjectMeta? owner = null, bool blockOwnerDeletion = false)
    {
        var meta = new V1ObjectMeta { Name = name };
        if (owner is not null)
        {
            meta.OwnerReferences = [new V1OwnerReference { ApiVersion = "test.gridgame.io/v1", Kind = "Widget", Name = owner.Name, Uid = owner.Uid, Controller = true, BlockOwnerDeletion = blockOwnerDeletion }];
        }
        return new V1ConfigMap { Metadata = meta };
    }

    private static async Task<V1ObjectMeta> WidgetMetaAsync(Widgets widgets, string name)
    {
        var w = await widgets.GetAsync(name);
        return new V1ObjectMeta { Name = name, Uid = w.Str("metadata.uid") };
    }

    private static async Task<bool> ConfigMapExistsAsync(ApiServer api, string name)
    {
        var list = await api.Client.CoreV1.ListNamespacedConfigMapAsync("default", fieldSelector: "metadata.name=" + name);
        return list.Items.Count > 0;
    }

    [Fact]
    public async Task Delete_of_an_object_with_a_finalizer_sets_deletionTimestamp_and_returns_it()
    {
        await using var api = await ApiServer.StartAsync();
        await api.InstallWidgetCrdAsync();
        var widgets = new Widgets(api.Client);
        var w = ApiServer.Widget("w");
        w["metadata"]!["finalizers"] = new JsonArray("test/hold");
        await widgets.CreateAsync(w);
        var deleted = await widgets.DeleteAsync("w");
        deleted.Str("metadata.deletionTimestamp").Should().NotBeNullOrEmpty();
        (await widgets.ExistsAsync("w")).Should().BeTrue();
    }

    [Fact]
    public async Task Removing_the_last_finalizer_deletes_the_object()
    {
        await using var api = await ApiServer.StartAsync();
        await api.InstallWidgetCrdAsync();
        var widgets = new Widgets(api.Client);
        var w = ApiServer.Widget("w");
        w["metadata"]!["finalizers"] = new JsonArray("test/hold");
        await widgets.CreateAsync(w);
        await widgets.DeleteAsync("w");
        await widgets.PatchAsync("w", """[{"op":"remove","path":"/metadata/finalizers"}]""", "json");
        (await widgets.ExistsAsync("w")).Should().BeFalse();
    }

    [Fact]
    public async Task No_new_finalizer_can_be_added_once_deleting()
    {
        await using var api = await ApiServer.StartAsync();
        await api.InstallWidgetCrdAsync();
        var widgets = new Widgets(api.Client);
        var w = ApiServer.Widget("w");
        w["metadata"]!["finalizers"] = new JsonArray("test/hold");
        await widgets.CreateAsync(w);
        await widgets.DeleteAsync("w");
        var act = () => widgets.PatchAsync("w", """{"metadata":{"finalizers":["test/hold","test/more"]}}""");
        var e = (await act.Should().ThrowAsync<HttpOperationException>()).Which;
        e.Response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        e.Response.Content.Should().Contain("no new finalizers can be added if the object is being deleted");
    }

    [Fact]
    public async Task Background_deletion_removes_dependents()
    {
        await using var api = await ApiServer.StartAsync();
        await api.InstallWidgetCrdAsync();
        var widgets = new Widgets(api.Client);
        await widgets.CreateAsync("owner");
        await api.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("child", await WidgetMetaAsync(widgets, "owner")), "default");
        await widgets.DeleteAsync("owner", "Background");
        (await widgets.ExistsAsync("owner")).Should().BeFalse();
        (await ConfigMapExistsAsync(api, "child")).Should().BeFalse();
    }

    [Fact]
    public async Task Foreground_deletion_keeps_the_owner_until_its_dependents_are_gone()
    {
        await using var api = await ApiServer.StartAsync();
        await api.InstallWidgetCrdAsync();
        var widgets = new Widgets(api.Client);
        await widgets.CreateAsync("owner");
        var child = ConfigMap("child", await WidgetMetaAsync(widgets, "owner"), blockOwnerDeletion: true);
        child.Metadata.Finalizers = ["test/hold"];
        await api.Client.CoreV1.CreateNamespacedConfigMapAsync(child, "default");

        var owner = await widgets.DeleteAsync("owner", "Foreground");
        owner.Node("metadata.finalizers")!.AsArray().Select(f => (string?)f).Should().Contain("foregroundDeletion");
        (await widgets.ExistsAsync("owner")).Should().BeTrue("a dependent with a finalizer still exists");

        await api.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), "child", "default");
        (await ConfigMapExistsAsync(api, "child")).Should().BeFalse();
        (await widgets.ExistsAsync("owner")).Should().BeFalse();
    }

    [Fact]
    public async Task Orphan_deletion_keeps_dependents_and_drops_their_owner_reference()
    {
        await using var api = await ApiServer.StartAsync();
        await api.InstallWidgetCrdAsync();
        var widgets = new Widgets(api.Client);
        await widgets.CreateAsync("owner");
        await api.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("child", await WidgetMetaAsync(widgets, "owner")), "default");
        await widgets.DeleteAsync("owner", "Orphan");
        (await widgets.ExistsAsync("owner")).Should().BeFalse();
        var child = await api.Client.CoreV1.ReadNamespacedConfigMapAsync("child", "default");
        child.Metadata.OwnerReferences.Should().BeNullOrEmpty();
    }

    [Fact]
    public async Task Deleting_a_namespace_deletes_its_contents()
    {
        await using var api = await ApiServer.StartAsync();
        await api.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "doomed" } });
        await api.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("c"), "doomed");
        await api.Client.CoreV1.DeleteNamespaceAsync("doomed");
        (await api.Client.CoreV1.ListNamespacedConfigMapAsync("doomed")).Items.Should().BeEmpty();
        var act = () => api.Client.CoreV1.ReadNamespaceAsync("doomed");
        (await act.Should().ThrowAsync<HttpOperationException>()).Which.Response.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_terminating_namespace_refuses_new_content()
    {
        await using var api = await ApiServer.StartAsync();
        await api.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "doomed" } });
        var held = ConfigMap("held");
        held.Metadata.Finalizers = ["test/hold"];
        await api.Client.CoreV1.CreateNamespacedConfigMapAsync(held, "doomed");
        await api.Client.CoreV1.DeleteNamespaceAsync("doomed");
        (await api.Client.CoreV1.ReadNamespaceAsync("doomed")).Status.Phase.Should().Be("Terminating");
        var act = () => api.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("new"), "doomed");
        var e = (await act.Should().ThrowAsync<HttpOperationException>()).Which;
        e.Response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        e.Response.Content.Should().Contain("because it is being terminated");
    }

    [Fact]
    public async Task A_bound_pod_is_deleted_gracefully_and_goes_with_a_zero_grace_delete()
    {
        await using var api = await ApiServer.StartAsync();
        await api.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "p" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "x:1" }] },
        }, "default");
        await api.Client.CoreV1.CreateNamespacedPodBindingAsync(new V1Binding { Metadata = new V1ObjectMeta { Name = "p" }, Target = new V1ObjectReference { Name = "n1" } }, "p", "default");
        var pending = await api.Client.CoreV1.DeleteNamespacedPodAsync("p", "default");
        pending.Metadata.DeletionGracePeriodSeconds.Should().Be(30);
        (await api.Client.CoreV1.ReadNamespacedPodAsync("p", "default")).Metadata.DeletionTimestamp.Should().NotBeNull();
        await api.Client.CoreV1.DeleteNamespacedPodAsync("p", "default", new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = pending.Metadata.Uid } });
        (await api.Client.CoreV1.ListNamespacedPodAsync("default")).Items.Should().BeEmpty();
    }

    [Fact]
    public async Task A_delete_with_a_wrong_uid_precondition_is_409()
    {
        await using var api = await ApiServer.StartAsync();
        await api.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("c"), "default");
        var act = () => api.Client.CoreV1.DeleteNamespacedConfigMapAsync("c", "default", new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = "nope" } });
        (await act.Should().ThrowAsync<HttpOperationException>()).Which.Response.StatusCode.Should().Be(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Deleting_a_crd_deletes_its_custom_resources_and_stops_serving_them()
    {
        await using var api = await ApiServer.StartAsync();
        await api.InstallWidgetCrdAsync();
        var widgets = new Widgets(api.Client);
        await widgets.CreateAsync("w");
        await api.Client.ApiextensionsV1.DeleteCustomResourceDefinitionAsync("widgets.test.gridgame.io");
        var act = () => widgets.GetAsync("w");
        (await act.Should().ThrowAsync<HttpOperationException>()).Which.Response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        await api.InstallWidgetCrdAsync();
        (await widgets.ExistsAsync("w")).Should().BeFalse("the custom resources went with their CRD");
    }

    [Fact]
    public async Task Deleting_a_crd_ends_the_watches_on_its_resources()
    {
        await using var api = await ApiServer.StartAsync();
        await api.InstallWidgetCrdAsync();
        using var http = new HttpClient { BaseAddress = api.Server.BaseAddress };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var response = await http.GetAsync("/apis/test.gridgame.io/v1/namespaces/default/widgets?watch=true", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        var body = response.Content.ReadAsStringAsync(cts.Token);
        await Eventually.ValueAsync<object>(async () => { await Task.Yield(); return api.Server.Store.WatcherCount > 0 ? new object() : null; });
        await api.Client.ApiextensionsV1.DeleteCustomResourceDefinitionAsync("widgets.test.gridgame.io");
        (await body).Should().BeEmpty("the watch ended without events once its resource was gone");
    }
}
