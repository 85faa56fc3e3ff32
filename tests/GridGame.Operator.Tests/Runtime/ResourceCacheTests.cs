using GridGame.Operator.Runtime;
using k8s;
using k8s.Models;

namespace GridGame.Operator.Tests.Runtime;

public sealed class ResourceCacheTests
{
    private readonly ResourceCache<V1Pod> _cache = new();

    [Theory]
    [InlineData("5", "4", true)]
    [InlineData("4", "5", false)]
    [InlineData("5", "5", false)]
    [InlineData("10", "9", true)]
    [InlineData("abc", "5", true)]
    [InlineData("5", null, true)]
    [InlineData("x", "x", false)]
    public void IsNewer_compares_resource_versions_as_integers_when_both_parse(string candidate, string? current, bool newer) =>
        ResourceCache<V1Pod>.IsNewer(candidate, current).Should().Be(newer);

    [Fact]
    public void Upsert_only_moves_forward_in_resource_version()
    {
        _cache.Upsert(PodBuilder.Pod("a", rv: "10")).Should().BeTrue();
        _cache.Upsert(PodBuilder.Pod("a", rv: "9")).Should().BeFalse();
        _cache.Upsert(PodBuilder.Pod("a", rv: "10")).Should().BeFalse();
        _cache.Upsert(PodBuilder.Pod("a", rv: "11")).Should().BeTrue();

        _cache.Get("default/a")!.Metadata.ResourceVersion.Should().Be("11");
    }

    [Fact]
    public void A_late_answer_to_an_own_write_cannot_bring_back_a_deleted_object()
    {
        _cache.Upsert(PodBuilder.Pod("a", rv: "8"));
        _cache.Remove("default/a", resourceVersion: "10");

        _cache.Upsert(PodBuilder.Pod("a", rv: "9")).Should().BeFalse("the patch answered before the delete");
        _cache.Get("default/a").Should().BeNull();
        _cache.Upsert(PodBuilder.Pod("a", rv: "11")).Should().BeTrue("a new object of the same name");
    }

    [Fact]
    public void Removing_without_a_version_remembers_the_cached_one()
    {
        _cache.Upsert(PodBuilder.Pod("a", rv: "8"));
        _cache.Remove("default/a");

        _cache.Upsert(PodBuilder.Pod("a", rv: "8")).Should().BeFalse();
        _cache.Upsert(PodBuilder.Pod("a", rv: "12")).Should().BeTrue("still there with finalizers, say");
    }

    [Fact]
    public void Indexes_follow_label_and_owner_changes()
    {
        _cache.Upsert(PodBuilder.Pod("a", rv: "1", fleet: "arena", ownerUid: "u1"));
        _cache.Upsert(PodBuilder.Pod("b", rv: "2", fleet: "arena", ownerUid: "u1"));
        _cache.Upsert(PodBuilder.Pod("c", rv: "3", ns: "other", fleet: "arena", ownerUid: "u2"));

        _cache.ByIndex(CacheIndexes.Fleet, "default/arena").Select(p => p.Metadata.Name).Should().BeEquivalentTo("a", "b");
        _cache.ByIndex(CacheIndexes.Owner, "u2").Select(p => p.Metadata.Name).Should().Equal("c");
        _cache.ByIndex(CacheIndexes.Namespace, "other").Should().HaveCount(1);

        _cache.Upsert(PodBuilder.Pod("b", rv: "4", fleet: "lobby", ownerUid: "u1"));
        _cache.Remove("default/a");

        _cache.ByIndex(CacheIndexes.Fleet, "default/arena").Should().BeEmpty();
        _cache.ByIndex(CacheIndexes.Fleet, "default/lobby").Select(p => p.Metadata.Name).Should().Equal("b");
        _cache.ByIndex(CacheIndexes.Owner, "u1").Select(p => p.Metadata.Name).Should().Equal("b");
    }

    [Fact]
    public void A_custom_index_covers_objects_already_cached()
    {
        _cache.Upsert(PodBuilder.Pod("a", rv: "1"));
        _cache.AddIndex("image", p => [p.Spec.Containers[0].Image]);

        _cache.ByIndex("image", "busybox").Should().HaveCount(1);
        var act = () => _cache.ByIndex("nope", "x");
        act.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Replace_keeps_the_last_readable_version_of_an_object_listed_but_unreadable()
    {
        _cache.Upsert(PodBuilder.Pod("unreadable-now", rv: "3"));
        _cache.Upsert(PodBuilder.Pod("gone", rv: "4"));

        var deleted = _cache.Replace("default", [], listResourceVersion: "10", unreadable: new HashSet<string> { "default/unreadable-now" });

        deleted.Should().Be(1);
        _cache.Get("default/unreadable-now")!.Metadata.ResourceVersion.Should().Be("3", "it is still there; only this version of it cannot be read");
    }

    [Fact]
    public void Replace_deletes_what_vanished_in_its_namespace_only_and_keeps_newer_own_writes()
    {
        _cache.Upsert(PodBuilder.Pod("gone", rv: "3"));
        _cache.Upsert(PodBuilder.Pod("kept", rv: "4"));
        _cache.Upsert(PodBuilder.Pod("mine", rv: "12"));
        _cache.Upsert(PodBuilder.Pod("elsewhere", rv: "5", ns: "other"));
        var events = new List<CacheEvent<V1Pod>>();
        _cache.AddHandler(events.Add);

        var deleted = _cache.Replace("default", [PodBuilder.Pod("kept", rv: "8"), PodBuilder.Pod("new", rv: "9")], listResourceVersion: "10");

        deleted.Should().Be(1);
        _cache.Keys().Should().BeEquivalentTo("default/kept", "default/new", "default/mine", "other/elsewhere");
        events.Select(e => (e.Type, e.Object.Metadata.Name)).Should().BeEquivalentTo(new[]
        {
            (WatchEventType.Modified, "kept"),
            (WatchEventType.Added, "new"),
            (WatchEventType.Deleted, "gone"),
        });
    }

    [Fact]
    public void Handlers_see_adds_updates_and_deletes_with_old_and_new()
    {
        var events = new List<CacheEvent<V1Pod>>();
        _cache.AddHandler(events.Add);

        _cache.Upsert(PodBuilder.Pod("a", rv: "1"));
        _cache.Upsert(PodBuilder.Pod("a", rv: "2"));
        _cache.Upsert(PodBuilder.Pod("a", rv: "2"));
        _cache.Remove("default/a");
        _cache.Remove("default/a");

        events.Select(e => e.Type).Should().Equal(WatchEventType.Added, WatchEventType.Modified, WatchEventType.Deleted);
        events[1].Old!.Metadata.ResourceVersion.Should().Be("1");
        events[1].New!.Metadata.ResourceVersion.Should().Be("2");
        events[2].New.Should().BeNull();
    }

    [Theory]
    [InlineData("ns/name", "ns", "name")]
    [InlineData("cluster-scoped", null, "cluster-scoped")]
    public void ObjectKey_splits_namespace_and_name(string key, string? ns, string name) =>
        ObjectKey.Split(key).Should().Be((ns, name));
}
