using System.Net;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;

namespace GridGame.LocalCluster.Tests.Conformance;

public sealed class WatchTests
{
    /// <summary>An open watch on configmaps in "default", its events in a channel.</summary>
    private sealed class ConfigMapWatch : IAsyncDisposable
    {
        private readonly CancellationTokenSource _cts = new(TimeSpan.FromSeconds(20));
        private readonly Task _pump;

        public ConfigMapWatch(ApiServer api, string? resourceVersion, string? labelSelector = null, bool bookmarks = false, int? timeoutSeconds = null)
        {
            var events = api.Client.CoreV1.WatchListNamespacedConfigMapAsync(
                "default", resourceVersion: resourceVersion, labelSelector: labelSelector, allowWatchBookmarks: bookmarks, timeoutSeconds: timeoutSeconds,
                onError: e => Errors.Writer.TryWrite(e), cancellationToken: _cts.Token);
            _pump = Task.Run(async () =>
            {
                try
                {
                    await foreach (var (type, item) in events)
                    {
                        await Events.Writer.WriteAsync((type, item));
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException)
                {
                }
                finally
                {
                    Events.Writer.TryComplete();
                }
            });
        }

        public Channel<(WatchEventType Type, V1ConfigMap Object)> Events { get; } = Channel.CreateUnbounded<(WatchEventType, V1ConfigMap)>();

        public Channel<Exception> Errors { get; } = Channel.CreateUnbounded<Exception>();

        public async Task<(WatchEventType Type, V1ConfigMap Object)> NextAsync()
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            return await Events.Reader.ReadAsync(cts.Token);
        }

        public async Task<bool> EndsAsync()
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                while (await Events.Reader.WaitToReadAsync(cts.Token))
                {
                    Events.Reader.TryRead(out _);
                }
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _cts.CancelAsync();
            await _pump;
            _cts.Dispose();
        }
    }

    private static Task<V1ConfigMap> CreateAsync(ApiServer api, string name, Dictionary<string, string>? labels = null) =>
        api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name, Labels = labels } }, "default");

    [Fact]
    public async Task A_watch_from_a_resourceVersion_replays_what_came_after_it()
    {
        await using var api = await ApiServer.StartAsync();
        var a = await CreateAsync(api, "a");
        await CreateAsync(api, "b");
        await api.Client.CoreV1.DeleteNamespacedConfigMapAsync("a", "default");
        await using var watch = new ConfigMapWatch(api, a.Metadata.ResourceVersion);
        var first = await watch.NextAsync();
        (first.Type, first.Object.Metadata.Name).Should().Be((WatchEventType.Added, "b"));
        var second = await watch.NextAsync();
        (second.Type, second.Object.Metadata.Name).Should().Be((WatchEventType.Deleted, "a"));
        long.Parse(second.Object.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture)
            .Should().BeGreaterThan(long.Parse(a.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture), "a DELETED event carries the deletion's resourceVersion");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("0")]
    public async Task A_watch_from_empty_or_0_starts_with_the_current_objects_as_ADDED(string? resourceVersion)
    {
        await using var api = await ApiServer.StartAsync();
        await CreateAsync(api, "a");
        await using var watch = new ConfigMapWatch(api, resourceVersion);
        var first = await watch.NextAsync();
        (first.Type, first.Object.Metadata.Name).Should().Be((WatchEventType.Added, "a"));
        await CreateAsync(api, "b");
        (await watch.NextAsync()).Object.Metadata.Name.Should().Be("b");
    }

    [Fact]
    public async Task A_watch_from_a_compacted_resourceVersion_gets_410_Expired()
    {
        await using var api = await ApiServer.StartAsync();
        var a = await CreateAsync(api, "a");
        await CreateAsync(api, "b");
        api.Server.CompactHistory();
        await using var watch = new ConfigMapWatch(api, a.Metadata.ResourceVersion);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var error = await watch.Errors.Reader.ReadAsync(cts.Token);
        error.Should().BeOfType<KubernetesException>().Which.Status.Code.Should().Be(410);
    }

    [Fact]
    public async Task History_beyond_WatchHistory_is_forgotten()
    {
        await using var api = await ApiServer.StartAsync(new LocalApiServerOptions { WatchHistory = 3 });
        var a = await CreateAsync(api, "a");
        for (var i = 0; i < 5; i++)
        {
            await CreateAsync(api, "x" + i);
        }
        await using var watch = new ConfigMapWatch(api, a.Metadata.ResourceVersion);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        (await watch.Errors.Reader.ReadAsync(cts.Token)).Should().BeOfType<KubernetesException>().Which.Status.Reason.Should().Be("Expired");
    }

    [Fact]
    public async Task An_object_that_stops_matching_the_selector_is_sent_as_DELETED_and_one_that_starts_as_ADDED()
    {
        await using var api = await ApiServer.StartAsync();
        await CreateAsync(api, "a", new Dictionary<string, string> { ["state"] = "Ready" });
        await using var watch = new ConfigMapWatch(api, "0", labelSelector: "state=Ready");
        (await watch.NextAsync()).Type.Should().Be(WatchEventType.Added);
        await api.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"labels":{"state":"Allocated"}}}""", V1Patch.PatchType.MergePatch), "a", "default");
        var left = await watch.NextAsync();
        (left.Type, left.Object.Metadata.Labels["state"]).Should().Be((WatchEventType.Deleted, "Allocated"));
        await api.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"labels":{"state":"Ready"}}}""", V1Patch.PatchType.MergePatch), "a", "default");
        (await watch.NextAsync()).Type.Should().Be(WatchEventType.Added);
    }

    [Fact]
    public async Task Bookmarks_carry_the_current_resourceVersion_when_asked_for()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var api = await ApiServer.StartAsync(new LocalApiServerOptions { TimeProvider = time, BookmarkInterval = TimeSpan.FromSeconds(5) });
        var a = await CreateAsync(api, "a");
        await using var watch = new ConfigMapWatch(api, a.Metadata.ResourceVersion, bookmarks: true);
        await api.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "other" } });
        var bookmark = await Eventually.ValueAsync<(WatchEventType, V1ConfigMap)?>(async () =>
        {
            time.Advance(TimeSpan.FromSeconds(5));
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            try
            {
                return await watch.Events.Reader.ReadAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        });
        bookmark!.Value.Item1.Should().Be(WatchEventType.Bookmark);
        bookmark.Value.Item2.Metadata.ResourceVersion.Should().Be(api.Server.Store.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_watch_ends_after_timeoutSeconds()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var api = await ApiServer.StartAsync(new LocalApiServerOptions { TimeProvider = time });
        await using var watch = new ConfigMapWatch(api, "0", timeoutSeconds: 60);
        await Eventually.ValueAsync<object>(async () => { await Task.Yield(); return api.Server.Store.WatcherCount > 0 ? new object() : null; });
        time.Advance(TimeSpan.FromSeconds(61));
        (await watch.EndsAsync()).Should().BeTrue();
    }

    [Fact]
    public async Task DropWatches_ends_every_open_watch()
    {
        await using var api = await ApiServer.StartAsync();
        await using var watch = new ConfigMapWatch(api, "0");
        await Eventually.ValueAsync<object>(async () => { await Task.Yield(); return api.Server.Store.WatcherCount > 0 ? new object() : null; });
        api.Server.DropWatches();
        (await watch.EndsAsync()).Should().BeTrue();
    }

    [Fact]
    public async Task SendInitialEvents_is_refused_as_invalid_as_the_real_server_refuses_it()
    {
        await using var api = await ApiServer.StartAsync();
        var act = () => api.Client.CoreV1.ListNamespacedConfigMapWithHttpMessagesAsync("default", watch: true, sendInitialEvents: true, resourceVersionMatch: "NotOlderThan");
        var e = (await act.Should().ThrowAsync<HttpOperationException>()).Which;
        e.Response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task A_slow_watcher_is_dropped_and_never_blocks_writers()
    {
        await using var api = await ApiServer.StartAsync(new LocalApiServerOptions { WatcherBuffer = 10 });
        var store = api.Server.Store;
        var type = store.FindType("", "v1", "configmaps")!;
        var watcher = store.Subscribe(type.StorageKey, null, store.ResourceVersion, 10);
        for (var i = 0; i < 50; i++)
        {
            await CreateAsync(api, "c" + i);
        }
        watcher.Overflowed.Should().BeTrue();
        store.WatcherCount.Should().Be(0);
    }
}
