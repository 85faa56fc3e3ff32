using System.Net;
using GridGame.Operator.Runtime;
using k8s.Autorest;
using k8s.Models;

namespace GridGame.Operator.Tests.Runtime;

public sealed class ResourceApiWriteTests : IAsyncLifetime
{
    private static readonly ResourceType Pods = ResourceType.For<V1Pod>();
    private LocalApi _api = null!;
    private ResourceApi _resources = null!;

    public async Task InitializeAsync()
    {
        _api = await LocalApi.StartAsync();
        _resources = new ResourceApi(_api.Client);
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task Create_get_patch_and_delete_go_through_the_generic_api()
    {
        var created = await _resources.CreateAsync(Pods, PodBuilder.Pod("a", rv: null), CancellationToken.None);
        created.Metadata.Uid.Should().NotBeNullOrEmpty();

        var patched = await _resources.PatchAsync<V1Pod>(Pods, "default", "a", """{"metadata":{"labels":{"gridgame.io/state":"Ready"}}}""", V1Patch.PatchType.MergePatch, CancellationToken.None);
        patched.Metadata.Labels["gridgame.io/state"].Should().Be("Ready");
        ResourceCache<V1Pod>.IsNewer(patched.Metadata.ResourceVersion, created.Metadata.ResourceVersion).Should().BeTrue();

        (await _resources.GetAsync<V1Pod>(Pods, "default", "a", CancellationToken.None))!.Metadata.Labels.Should().ContainKey("gridgame.io/state");
        (await _resources.DeleteAsync(Pods, "default", "a", CancellationToken.None, uid: created.Metadata.Uid)).Should().BeTrue();
        (await _resources.DeleteAsync(Pods, "default", "a", CancellationToken.None)).Should().BeFalse();
        (await _resources.GetAsync<V1Pod>(Pods, "default", "a", CancellationToken.None)).Should().BeNull();
    }

    [Fact]
    public async Task A_json_patch_with_a_stale_resource_version_test_is_refused()
    {
        var created = await _resources.CreateAsync(Pods, PodBuilder.Pod("a", rv: null), CancellationToken.None);
        await _resources.PatchAsync<V1Pod>(Pods, "default", "a", """{"metadata":{"labels":{"x":"1"}}}""", V1Patch.PatchType.MergePatch, CancellationToken.None);

        var stale = $$"""[{"op":"test","path":"/metadata/resourceVersion","value":"{{created.Metadata.ResourceVersion}}"},{"op":"add","path":"/metadata/labels/y","value":"2"}]""";
        var act = () => _resources.PatchAsync<V1Pod>(Pods, "default", "a", stale, V1Patch.PatchType.JsonPatch, CancellationToken.None);

        var refused = await act.Should().ThrowAsync<HttpOperationException>();
        refused.Which.Response.StatusCode.Should().BeOneOf(HttpStatusCode.Conflict, HttpStatusCode.UnprocessableEntity);
    }
}
