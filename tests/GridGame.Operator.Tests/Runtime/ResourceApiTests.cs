using GridGame.Operator.Runtime;
using k8s;
using k8s.Models;

namespace GridGame.Operator.Tests.Runtime;

public sealed class ResourceApiTests
{
    [Theory]
    [InlineData("", "v1", "pods", "default", "api/v1/namespaces/default/pods")]
    [InlineData("", "v1", "pods", null, "api/v1/pods")]
    [InlineData("gridgame.io", "v1", "gamefleets", "prod", "apis/gridgame.io/v1/namespaces/prod/gamefleets")]
    [InlineData("coordination.k8s.io", "v1", "leases", null, "apis/coordination.k8s.io/v1/leases")]
    public void Collection_paths_follow_the_api_layout(string group, string version, string plural, string? ns, string path) =>
        new ResourceType(group, version, plural, "X").CollectionPath(ns).Should().Be(path);

    [Fact]
    public void A_resource_type_is_read_from_the_model_attribute()
    {
        ResourceType.For<V1Pod>().Should().Be(new ResourceType("", "v1", "pods", "Pod"));
        ResourceType.For<V1Lease>().ApiVersion.Should().Be("coordination.k8s.io/v1");
        ResourceType.For<V1Node>().Namespaced.Should().BeFalse();
        ResourceType.For<V1Node>().CollectionPath("ignored").Should().Be("api/v1/nodes");
    }

    [Fact]
    public void A_watch_ERROR_line_becomes_an_event_carrying_its_status()
    {
        var e = ResourceApi.ParseWatchLine<V1Pod>("""{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}}""");

        e.Type.Should().Be(WatchEventType.Error);
        e.Status!.Code.Should().Be(410);
        e.Object.Should().BeNull();
    }

    [Fact]
    public void A_watch_ERROR_line_is_read_even_when_its_Status_does_not_fit_the_watched_type()
    {
        // A GameSession's status is an object; a Status's is a string: the typed read fails, the error still arrives.
        var e = ResourceApi.ParseWatchLine<GridGame.Crds.GameSession>("""{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"gone","reason":"Expired","code":410}}""");

        e.Type.Should().Be(WatchEventType.Error);
        e.Status!.Reason.Should().Be("Expired");
        e.Object.Should().BeNull();
    }

    [Fact]
    public void A_watch_line_of_an_unknown_type_is_refused()
    {
        var act = () => ResourceApi.ParseWatchLine<V1Pod>("""{"type":"SURPRISE","object":{"kind":"Pod"}}""");

        act.Should().Throw<InvalidDataException>().WithMessage("*SURPRISE*");
    }

    [Fact]
    public void A_watch_line_whose_object_does_not_fit_the_type_is_set_aside_with_what_names_it()
    {
        var e = ResourceApi.ParseWatchLine<V1Pod>("""{"type":"MODIFIED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"a","namespace":"ns","uid":"u1","resourceVersion":"7","labels":{"app":1}}}}""");

        e.Type.Should().Be(WatchEventType.Modified);
        e.Object.Should().BeNull();
        e.Undecodable.Should().BeEquivalentTo(new { Namespace = "ns", Name = "a", Uid = "u1", ResourceVersion = "7", Key = "ns/a" });
        e.Undecodable!.Error.Should().Contain("$.metadata.labels.app");
    }

    [Fact]
    public void A_list_page_with_one_unreadable_item_keeps_the_others()
    {
        var page = ResourceApi.ParseListPage<V1Pod>("""
            {"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"9","continue":"next"},"items":[
              {"metadata":{"name":"good","namespace":"ns","resourceVersion":"5"}},
              {"metadata":{"name":"bad","namespace":"ns","resourceVersion":"6"},"spec":{"containers":"not a list"}},
              {"metadata":{"name":"also-good","namespace":"ns","resourceVersion":"7"}}]}
            """);

        page.Items.Select(p => p.Metadata.Name).Should().Equal("good", "also-good");
        page.Undecodable.Should().ContainSingle().Which.Key.Should().Be("ns/bad");
        (page.ResourceVersion, page.Continue).Should().Be(("9", "next"));
    }

    [Fact]
    public void A_watch_BOOKMARK_line_carries_the_resource_version()
    {
        var e = ResourceApi.ParseWatchLine<V1Pod>("""{"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"42"}}}""");

        e.Type.Should().Be(WatchEventType.Bookmark);
        e.Object!.Metadata.ResourceVersion.Should().Be("42");
    }

    [Fact]
    public void A_watch_MODIFIED_line_deserializes_the_object()
    {
        var e = ResourceApi.ParseWatchLine<V1Pod>("""{"type":"MODIFIED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"a","namespace":"ns","resourceVersion":"7","creationTimestamp":"2026-01-02T03:04:05Z"}}}""");

        e.Type.Should().Be(WatchEventType.Modified);
        e.Object!.Metadata.Name.Should().Be("a");
        e.Object.Metadata.CreationTimestamp.Should().Be(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc));
    }

    [Theory]
    [InlineData("GET", "http://h/api/v1/pods?watch=true&resourceVersion=1", "watch")]
    [InlineData("GET", "http://h/api/v1/pods?limit=500", "get")]
    [InlineData("POST", "http://h/api/v1/namespaces/d/pods", "create")]
    [InlineData("PATCH", "http://h/api/v1/namespaces/d/pods/a", "patch")]
    [InlineData("PUT", "http://h/api/v1/namespaces/d/pods/a", "update")]
    [InlineData("DELETE", "http://h/api/v1/namespaces/d/pods/a", "delete")]
    public void Api_requests_are_labelled_by_verb(string method, string uri, string verb)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), uri);
        ApiMetricsHandler.Verb(request).Should().Be(verb);
    }
}
