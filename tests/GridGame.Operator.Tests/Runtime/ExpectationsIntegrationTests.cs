using GridGame.Operator.Hosting;
using GridGame.Operator.Runtime;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace GridGame.Operator.Tests.Runtime;

public sealed class ExpectationsIntegrationTests : IAsyncLifetime
{
    private LocalApi _api = null!;

    public async Task InitializeAsync() => _api = await LocalApi.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task Reconciles_that_run_before_the_watch_shows_the_creates_do_not_create_twice()
    {
        var owner = await _api.Client.CoreV1.CreateNamespacedConfigMapAsync(ReplicaSetMap("arena", 3), "default");
        var controller = new ReplicaController();
        var (setup, factory, events) = NewSetup();
        await using var _ = events;
        controller.Setup(setup);
        factory.Get<V1ConfigMap>().Cache.Upsert(owner);

        // The pod informer is not running yet: the cache never shows the pods these reconciles create.
        for (var i = 0; i < 5; i++)
        {
            await controller.ReconcileAsync("default/arena", CancellationToken.None);
        }

        (await _api.PodNamesAsync()).Should().HaveCount(3);
        controller.Creates.Should().Be(3);
        controller.Expectations.Pending("default/arena").Should().Be((3, 0));

        using var stop = new CancellationTokenSource();
        var watching = controller.Pods.RunAsync(stop.Token);
        await controller.Pods.WaitForSyncAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        controller.Expectations.Satisfied("default/arena").Should().BeTrue("the three creates were observed");

        await controller.ReconcileAsync("default/arena", CancellationToken.None);
        (await _api.PodNamesAsync()).Should().HaveCount(3);
        await stop.CancelAsync();
        await watching;
    }

    [Fact]
    public async Task Without_expectations_the_same_reconciles_create_duplicates()
    {
        var owner = await _api.Client.CoreV1.CreateNamespacedConfigMapAsync(ReplicaSetMap("arena", 3), "default");
        var controller = new ReplicaController(useExpectations: false);
        var (setup, factory, events) = NewSetup();
        await using var _ = events;
        controller.Setup(setup);
        factory.Get<V1ConfigMap>().Cache.Upsert(owner);

        await controller.ReconcileAsync("default/arena", CancellationToken.None);
        await controller.ReconcileAsync("default/arena", CancellationToken.None);

        (await _api.PodNamesAsync()).Should().HaveCount(6, "this is the failure the expectations exist to prevent");
    }

    [Fact]
    public async Task A_running_operator_hammered_with_changes_creates_exactly_the_desired_pods()
    {
        var controller = new ReplicaController();
        await using var host = await OperatorHost.StartAsync(OperatorHostTests.TestOptions() with { Workers = 4 }, _api.Server.ClientConfiguration(), CancellationToken.None, [controller]);
        await Eventually.UntilAsync(() => host.Ready);

        await _api.Client.CoreV1.CreateNamespacedConfigMapAsync(ReplicaSetMap("arena", 5), "default");
        for (var i = 0; i < 20; i++)
        {
            await _api.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"metadata\":{\"annotations\":{\"touch\":\"" + i + "\"}}}", V1Patch.PatchType.MergePatch), "arena", "default");
        }

        await Eventually.UntilAsync(async () => (await _api.PodNamesAsync()).Count >= 5 && host.Informers.All.All(i => i.HasSynced) && controller.Expectations.Satisfied("default/arena"));
        (await _api.PodNamesAsync()).Should().HaveCount(5);
        controller.Creates.Should().Be(5);
    }

    private static V1ConfigMap ReplicaSetMap(string name, int replicas) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Data = new Dictionary<string, string> { ["replicas"] = replicas.ToString(System.Globalization.CultureInfo.InvariantCulture) },
    };

    private (ControllerSetup Setup, InformerFactory Factory, EventRecorder Events) NewSetup()
    {
        var factory = new InformerFactory(new ResourceApi(_api.Client), [], new InformerOptions(), TimeProvider.System, NullLoggerFactory.Instance, null);
        var events = new EventRecorder(_api.Client, "test");
        var services = new ControllerServices(_api.Client, new OperatorOptions(), TimeProvider.System, events, factory, NullLoggerFactory.Instance);
        return (new ControllerSetup("replicas", services, new WorkQueue(TimeProvider.System), new Expectations(TimeProvider.System)), factory, events);
    }
}
