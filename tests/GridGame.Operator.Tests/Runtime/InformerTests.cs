using System.Collections.Concurrent;
using GridGame.Operator.Runtime;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;

namespace GridGame.Operator.Tests.Runtime;

public sealed class InformerTests : IAsyncLifetime
{
    private readonly RecordingObserver _observer = new();
    private readonly CancellationTokenSource _stop = new();
    private LocalApi _api = null!;
    private Task _running = Task.CompletedTask;

    public async Task InitializeAsync() => _api = await LocalApi.StartAsync();

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running.WaitAsync(TimeSpan.FromSeconds(10));
        await _api.DisposeAsync();
        _stop.Dispose();
    }

    [Fact]
    public async Task The_cache_lists_every_page_then_follows_creates_updates_and_deletes()
    {
        for (var i = 0; i < 7; i++)
        {
            await _api.CreatePodAsync($"p{i}");
        }

        await _api.CreatePodAsync("elsewhere", ns: "kube-system");
        var informer = await StartAsync(new InformerOptions { PageSize = 3 }, namespaces: ["default"]);
        informer.Cache.Keys().Should().HaveCount(7, "three pages of a list of seven, and nothing from kube-system");
        informer.Cache.List().Should().AllSatisfy(p => (p.ApiVersion, p.Kind).Should().Be(("v1", "Pod")));

        await _api.CreatePodAsync("late");
        await _api.Client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"gridgame.io/fleet":"arena"}}}""", V1Patch.PatchType.MergePatch), "p1", "default");
        await _api.Client.CoreV1.DeleteNamespacedPodAsync("p2", "default");

        await Eventually.UntilAsync(() => informer.Cache.Get("default/late") is not null
            && informer.Cache.Get("default/p2") is null
            && informer.Cache.ByIndex(CacheIndexes.Fleet, "default/arena").Count == 1);
    }

    [Fact]
    public async Task A_label_selected_informer_lists_and_watches_only_matching_objects()
    {
        await _api.CreatePodAsync("plain");
        await _api.CreatePodAsync("owned");
        await _api.Client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"gridgame.io/fleet":"arena"}}}""", V1Patch.PatchType.MergePatch), "owned", "default");
        var informer = await StartAsync(namespaces: ["default"], labelSelector: "gridgame.io/fleet");
        informer.Cache.Keys().Should().Equal(["default/owned"], "the list carried the selector");

        await _api.CreatePodAsync("late-plain");
        await _api.CreatePodAsync("late-owned");
        await _api.Client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"gridgame.io/fleet":"arena"}}}""", V1Patch.PatchType.MergePatch), "late-owned", "default");
        await _api.Client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"gridgame.io/fleet":null}}}""", V1Patch.PatchType.MergePatch), "owned", "default");
        await Eventually.UntilAsync(() => informer.Cache.Get("default/late-owned") is not null && informer.Cache.Get("default/owned") is null,
            "the watch carried the selector: a pod that gains the label arrives, one that loses it leaves");
        informer.Cache.Keys().Should().Equal(["default/late-owned"]);
        ResourceType.For<V1Pod>().Should().NotBe(ResourceType.For<V1Pod>() with { LabelSelector = "gridgame.io/fleet" }, "a selector makes a different informer");
    }

    [Fact]
    public async Task After_a_forced_410_the_informer_relists_and_deletes_what_vanished()
    {
        await _api.CreatePodAsync("a");
        var informer = await StartAsync(namespaces: ["default"]);
        informer.Cache.Upsert(PodBuilder.Pod("ghost", rv: "1")).Should().BeTrue("a pod whose delete the informer missed");

        // Writes the pod watch does not see move the global resourceVersion past it; then history is forgotten.
        await _api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "bump" } }, "kube-system");
        _api.Server.CompactHistory();
        _api.Server.DropWatches();

        await Eventually.UntilAsync(() => informer.ListCount == 2 && informer.Cache.Get("default/ghost") is null);
        informer.Cache.Keys().Should().Equal("default/a");
        _observer.Reasons.Should().Contain("expired");
        await _api.CreatePodAsync("after");
        await Eventually.UntilAsync(() => informer.Cache.Get("default/after") is not null, "the watch resumes after the relist");
    }

    [Fact]
    public async Task The_remembered_resource_version_follows_bookmarks_so_a_quiet_watch_does_not_expire()
    {
        await _api.DisposeAsync();
        _api = await LocalApi.StartAsync(bookmarkInterval: TimeSpan.FromMilliseconds(100));
        await _api.CreatePodAsync("a");
        var informer = await StartAsync(namespaces: ["default"]);

        var bump = await _api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "bump" } }, "kube-system");
        await Eventually.UntilAsync(() => informer.LastResourceVersion is { } rv && long.Parse(rv) >= long.Parse(bump.Metadata.ResourceVersion));
        _api.Server.CompactHistory();
        _api.Server.DropWatches();
        await _api.CreatePodAsync("b");

        await Eventually.UntilAsync(() => informer.Cache.Get("default/b") is not null);
        informer.ListCount.Should().Be(1, "the watch resumed from the bookmark's version, which history still covers");
        _observer.Reasons.Should().NotContain("expired");
    }

    [Fact]
    public async Task The_cache_converges_after_the_server_drops_the_watch()
    {
        var informer = await StartAsync();
        await _api.CreatePodAsync("a");
        await Eventually.UntilAsync(() => informer.Cache.Get("default/a") is not null);

        _api.Server.DropWatches();
        await _api.CreatePodAsync("b");
        await _api.Client.CoreV1.DeleteNamespacedPodAsync("a", "default");

        await Eventually.UntilAsync(() => informer.Cache.Get("default/b") is not null && informer.Cache.Get("default/a") is null);
        informer.ListCount.Should().Be(1, "the watch resumed from its version without a relist");
        _observer.Reasons.Should().Contain("timeout");
    }

    [Fact]
    public async Task The_cache_converges_after_LocalCluster_restarts()
    {
        await _api.CreatePodAsync("a");
        var informer = await StartAsync();

        await _api.RestartAsync(whileDown: () => Eventually.UntilAsync(() => _observer.Reasons.Contains("error") && informer.FailingSince is not null, "the informer notices the server is gone"));
        await _api.CreatePodAsync("b");
        await _api.Client.CoreV1.DeleteNamespacedPodAsync("a", "default");

        await Eventually.UntilAsync(() => informer.Cache.Get("default/b") is not null && informer.Cache.Get("default/a") is null);
        informer.Cache.Keys().Should().Equal("default/b");
        informer.FailingSince.Should().BeNull("the informer works again");
    }

    [Fact]
    public async Task The_idle_watchdog_restarts_a_silent_watch()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var informer = await StartAsync(new InformerOptions { IdleTimeout = TimeSpan.FromMinutes(1) }, time: time);
        await Eventually.UntilAsync(() => informer.WatchCount == 1, "the watchdog is armed on the fake clock only once the watch starts");
        time.Advance(TimeSpan.FromSeconds(59));
        _observer.Reasons.Should().BeEmpty();
        time.Advance(TimeSpan.FromSeconds(2));
        await Eventually.UntilAsync(() => _observer.Reasons.Contains("idle"));
        await _api.CreatePodAsync("a");
        await Eventually.UntilAsync(() => informer.Cache.Get("default/a") is not null, "a new watch was opened");
    }

    private async Task<Informer<V1Pod>> StartAsync(InformerOptions? options = null, IReadOnlyCollection<string>? namespaces = null, TimeProvider? time = null, string? labelSelector = null)
    {
        var informer = new Informer<V1Pod>(
            new ResourceApi(_api.Client),
            ResourceType.For<V1Pod>() with { LabelSelector = labelSelector },
            namespaces,
            (options ?? new InformerOptions()) with { InitialBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromMilliseconds(300) },
            time,
            observer: _observer);
        _running = informer.RunAsync(_stop.Token);
        await informer.WaitForSyncAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        return informer;
    }

    private sealed class RecordingObserver : IInformerObserver
    {
        public ConcurrentQueue<string> Reasons { get; } = new();

        public void WatchRestarted(ResourceType type, string reason) => Reasons.Enqueue(reason);

        public void Undecodable(ResourceType type, UndecodableObject obj) => Reasons.Enqueue("undecodable " + obj.Key);
    }
}
