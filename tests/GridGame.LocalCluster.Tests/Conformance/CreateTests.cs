using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace GridGame.LocalCluster.Tests.Conformance;

public sealed class CreateTests
{
    [Fact]
    public async Task Create_sets_uid_creationTimestamp_generation_and_resourceVersion()
    {
        await using var api = await ApiServer.StartAsync();
        await api.InstallWidgetCrdAsync();
        var created = (JsonElementLike)await api.Client.CustomObjects.CreateNamespacedCustomObjectAsync<JsonObject>(ApiServer.Widget("w1"), "test.gridgame.io", "v1", "default", "widgets");
        created.Meta("uid").Should().NotBeNullOrEmpty();
        created.Meta("creationTimestamp").Should().EndWith("Z");
        created.Meta("resourceVersion").Should().MatchRegex("^[0-9]+$");
        ((long?)created.Obj["metadata"]!["generation"]).Should().Be(1);
    }

    [Fact]
    public async Task Create_with_generateName_picks_a_unique_name()
    {
        await using var api = await ApiServer.StartAsync();
        var pod = new V1Pod { Metadata = new V1ObjectMeta { GenerateName = "match-" }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "x:1" }] } };
        var a = await api.Client.CoreV1.CreateNamespacedPodAsync(pod, "default");
        var b = await api.Client.CoreV1.CreateNamespacedPodAsync(pod, "default");
        a.Metadata.Name.Should().StartWith("match-").And.HaveLength("match-".Length + 5);
        b.Metadata.Name.Should().NotBe(a.Metadata.Name);
    }

    [Fact]
    public async Task Create_of_an_existing_name_is_409_AlreadyExists()
    {
        await using var api = await ApiServer.StartAsync();
        var cm = new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } };
        await api.Client.CoreV1.CreateNamespacedConfigMapAsync(cm, "default");
        var act = () => api.Client.CoreV1.CreateNamespacedConfigMapAsync(cm, "default");
        var e = (await act.Should().ThrowAsync<HttpOperationException>()).Which;
        e.Response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        e.Response.Content.Should().Contain("\"reason\":\"AlreadyExists\"").And.Contain("configmaps \\\"c\\\" already exists");
    }

    [Fact]
    public async Task Create_carrying_a_resourceVersion_is_refused()
    {
        await using var api = await ApiServer.StartAsync();
        var cm = new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c", ResourceVersion = "5" } };
        var act = () => api.Client.CoreV1.CreateNamespacedConfigMapAsync(cm, "default");
        var e = (await act.Should().ThrowAsync<HttpOperationException>()).Which;
        e.Response.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        e.Response.Content.Should().Contain("resourceVersion should not be set on objects to be created");
    }

    [Fact]
    public async Task Create_in_a_missing_namespace_is_404()
    {
        await using var api = await ApiServer.StartAsync();
        var act = () => api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, "nope");
        (await act.Should().ThrowAsync<HttpOperationException>()).Which.Response.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }
}

/// <summary>Tiny accessor over a JSON object returned by the custom-objects API.</summary>
internal readonly record struct JsonElementLike(JsonObject Obj)
{
    public static explicit operator JsonElementLike(JsonObject o) => new(o);

    public string? Meta(string field) => (string?)Obj["metadata"]?[field];
}
