using System.Net;
using GridGame.Operator.Hosting;
using GridGame.Operator.Runtime;
using k8s;
using k8s.Models;

namespace GridGame.Operator.Tests.Runtime;

public sealed class OperatorHostClusterTests : IAsyncLifetime
{
    private LocalApi _api = null!;

    public async Task InitializeAsync() => _api = await LocalApi.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task Readyz_fails_while_a_cache_cannot_sync_and_healthz_stays_up()
    {
        var missing = new WatchingController(new ResourceType("example.com", "v1", "nothings", "Nothing"));
        await using var host = await OperatorHost.StartAsync(OperatorHostTests.TestOptions(), _api.Server.ClientConfiguration(), CancellationToken.None, [missing]);
        using var http = new HttpClient { BaseAddress = host.HttpUri, Timeout = TimeSpan.FromSeconds(5) };

        var ready = await http.GetAsync("readyz");
        ready.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await ready.Content.ReadAsStringAsync()).Should().Contain("not synced");
        (await http.GetAsync("healthz")).StatusCode.Should().Be(HttpStatusCode.OK);
        host.Ready.Should().BeFalse();
    }

    [Fact]
    public async Task Healthz_fails_naming_the_informer_once_its_lists_and_watches_have_failed_past_the_bound()
    {
        var missing = new WatchingController(new ResourceType("example.com", "v1", "nothings", "Nothing"));
        var options = OperatorHostTests.TestOptions() with
        {
            Informers = new InformerOptions { UnhealthyAfter = TimeSpan.FromSeconds(1), InitialBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromMilliseconds(200) },
        };
        await using var host = await OperatorHost.StartAsync(options, _api.Server.ClientConfiguration(), CancellationToken.None, [missing]);
        using var http = new HttpClient { BaseAddress = host.HttpUri, Timeout = TimeSpan.FromSeconds(5) };

        HttpResponseMessage health = null!;
        await Eventually.UntilAsync(async () => (health = await http.GetAsync("healthz")).StatusCode == HttpStatusCode.InternalServerError, "the informer keeps failing");
        (await health.Content.ReadAsStringAsync()).Should().Contain("informer nothings.example.com failing for");
    }

    [Fact]
    public async Task Readyz_turns_true_once_the_caches_have_synced()
    {
        await using var host = await OperatorHost.StartAsync(OperatorHostTests.TestOptions(), _api.Server.ClientConfiguration(), CancellationToken.None, [new CountingController()]);
        using var http = new HttpClient { BaseAddress = host.HttpUri, Timeout = TimeSpan.FromSeconds(5) };

        await Eventually.UntilAsync(async () => (await http.GetAsync("readyz")).StatusCode == HttpStatusCode.OK);
        host.Ready.Should().BeTrue();
    }

    [Fact]
    public async Task Metrics_report_reconciles_queues_watch_restarts_and_api_requests()
    {
        var controller = new CountingController();
        await using var host = await OperatorHost.StartAsync(OperatorHostTests.TestOptions(), _api.Server.ClientConfiguration(), CancellationToken.None, [controller]);
        using var http = new HttpClient { BaseAddress = host.HttpUri, Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.UntilAsync(() => host.Ready);
        await _api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "m" } }, "default");
        await Eventually.UntilAsync(() => controller.Keys.Contains("default/m"));
        _api.Server.DropWatches();

        string metrics = string.Empty;
        await Eventually.UntilAsync(async () => (metrics = await http.GetStringAsync("metrics")).Contains("gridgame_operator_watch_restarts_total{resource=\"configmaps\",reason=\"timeout\"}", StringComparison.Ordinal));

        metrics.Should().Contain("gridgame_operator_reconcile_duration_seconds_count{controller=\"counting\",result=\"done\"}")
            .And.Contain("gridgame_operator_workqueue_depth{controller=\"counting\"}")
            .And.Contain("gridgame_operator_workqueue_latency_seconds_count{controller=\"counting\"}")
            .And.Contain("gridgame_operator_api_request_duration_seconds_count{verb=\"get\",code=\"200\"}")
            .And.Contain("gridgame_operator_api_request_duration_seconds_count{verb=\"watch\",code=\"200\"}");
    }

    [Fact]
    public async Task Only_the_configured_namespaces_are_watched()
    {
        var controller = new CountingController();
        var options = OperatorHostTests.TestOptions() with { Namespaces = ["default", "kube-public"] };
        await using var host = await OperatorHost.StartAsync(options, _api.Server.ClientConfiguration(), CancellationToken.None, [controller]);
        await Eventually.UntilAsync(() => host.Ready);

        // The unwatched namespace's object comes first: a watch of every namespace would deliver it before the others.
        foreach (var ns in new[] { "kube-system", "default", "kube-public" })
        {
            await _api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "n" } }, ns);
        }

        await Eventually.UntilAsync(() => controller.Keys.Contains("default/n") && controller.Keys.Contains("kube-public/n"));
        var informer = host.Informers.Get<V1ConfigMap>();
        informer.Cache.Get("kube-system/n").Should().BeNull();
        controller.Keys.Should().NotContain("kube-system/n");
    }

    private sealed class WatchingController(ResourceType type) : IController
    {
        public string Name => "watching";

        public void Setup(ControllerSetup setup) => setup.For<V1ConfigMap>(type);

        public Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken) => Task.FromResult(ReconcileResult.Done);
    }
}
