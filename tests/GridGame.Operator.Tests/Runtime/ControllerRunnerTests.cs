using System.Collections.Concurrent;
using GridGame.Operator.Hosting;
using GridGame.Operator.Runtime;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GridGame.Operator.Tests.Runtime;

public sealed class ControllerRunnerTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new();
    private readonly Kubernetes _client = new(new KubernetesClientConfiguration { Host = "http://127.0.0.1:9" });
    private EventRecorder _events = null!;

    public Task InitializeAsync()
    {
        _events = new EventRecorder(_client, "test", _time);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _events.DisposeAsync();
        _client.Dispose();
    }

    [Fact]
    public async Task One_key_is_never_reconciled_by_two_workers_at_once_and_a_re_add_runs_after()
    {
        var reconciler = new GatedReconciler();
        var (runner, queue) = NewRunner(reconciler);
        using var stop = new CancellationTokenSource();
        var running = runner.RunAsync(workers: 4, stop.Token);

        queue.Add("ns/a");
        await reconciler.Entered.Reader.ReadAsync().AsTask().WaitAsync(Bound);
        queue.Add("ns/a");
        queue.Add("ns/a");
        queue.Add("ns/b");
        (await reconciler.Entered.Reader.ReadAsync().AsTask().WaitAsync(Bound)).Should().Be("ns/b", "ns/a is still in flight");

        reconciler.Release();
        reconciler.Release();
        (await reconciler.Entered.Reader.ReadAsync().AsTask().WaitAsync(Bound)).Should().Be("ns/a");
        reconciler.Release();
        await Eventually.UntilAsync(() => reconciler.Calls.Count == 3 && queue.Count == 0 && !queue.IsProcessing("ns/a"));

        reconciler.MaxConcurrentPerKey.Should().Be(1);
        reconciler.Calls.Count(k => k == "ns/a").Should().Be(2, "the two adds during the first reconcile collapse into one more run");
        await stop.CancelAsync();
        await running.WaitAsync(Bound);
    }

    [Fact]
    public async Task A_failing_reconcile_is_retried_with_back_off_and_a_success_resets_it()
    {
        var attempts = 0;
        var reconciler = new DelegateReconciler(_ =>
        {
            if (Interlocked.Increment(ref attempts) <= 3)
            {
                throw new InvalidOperationException("boom");
            }

            return ReconcileResult.Done;
        });
        var (runner, queue) = NewRunner(reconciler);
        using var stop = new CancellationTokenSource();
        var running = runner.RunAsync(workers: 1, stop.Token);

        queue.Add("ns/a");
        await Eventually.UntilAsync(() => Volatile.Read(ref attempts) == 1 && queue.DelayedCount == 1);
        queue.Failures("ns/a").Should().Be(1);

        _time.Advance(TimeSpan.FromMilliseconds(10));
        await Eventually.UntilAsync(() => Volatile.Read(ref attempts) == 2 && queue.DelayedCount == 1);
        _time.Advance(TimeSpan.FromMilliseconds(10));
        queue.DelayedCount.Should().Be(1, "the second retry waits 20 ms, not 10");
        queue.Count.Should().Be(0);
        _time.Advance(TimeSpan.FromMilliseconds(10));
        await Eventually.UntilAsync(() => Volatile.Read(ref attempts) == 3 && queue.DelayedCount == 1);
        _time.Advance(TimeSpan.FromMilliseconds(40));
        await Eventually.UntilAsync(() => Volatile.Read(ref attempts) == 4 && queue.Failures("ns/a") == 0);

        await stop.CancelAsync();
        await running.WaitAsync(Bound);
    }

    [Fact]
    public async Task RequeueAfter_brings_the_key_back_after_the_delay()
    {
        var calls = 0;
        var reconciler = new DelegateReconciler(_ => Interlocked.Increment(ref calls) == 1 ? ReconcileResult.RequeueAfter(TimeSpan.FromSeconds(30)) : ReconcileResult.Done);
        var (runner, queue) = NewRunner(reconciler);
        using var stop = new CancellationTokenSource();
        var running = runner.RunAsync(workers: 2, stop.Token);

        queue.Add("ns/a");
        await Eventually.UntilAsync(() => Volatile.Read(ref calls) == 1 && queue.DelayedCount == 1);
        _time.Advance(TimeSpan.FromSeconds(29));
        queue.Count.Should().Be(0);
        _time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.UntilAsync(() => Volatile.Read(ref calls) == 2);

        await stop.CancelAsync();
        await running.WaitAsync(Bound);
    }

    [Fact]
    public void ReconcileResult_Min_keeps_the_earlier_requeue()
    {
        ReconcileResult.Done.Min(ReconcileResult.RequeueAfter(TimeSpan.FromSeconds(5))).RequeueAfterDelay.Should().Be(TimeSpan.FromSeconds(5));
        ReconcileResult.RequeueAfter(TimeSpan.FromSeconds(2)).Min(ReconcileResult.RequeueAfter(TimeSpan.FromSeconds(5))).RequeueAfterDelay.Should().Be(TimeSpan.FromSeconds(2));
        ReconcileResult.Done.Min(ReconcileResult.Done).Should().Be(ReconcileResult.Done);
    }

    [Fact]
    public void Owned_objects_map_to_their_controller_owner_of_the_given_kind()
    {
        ControllerSetup.OwnerKey(PodBuilder.Pod("p", ownerUid: "u", fleet: "arena"), "GameFleet").Should().Be("default/arena");
        ControllerSetup.OwnerKey(PodBuilder.Pod("p", ownerUid: "u", fleet: "arena"), "ReplicaSet").Should().BeNull();
        ControllerSetup.OwnerKey(PodBuilder.Pod("p"), "GameFleet").Should().BeNull();
    }

    [Fact]
    public void An_owned_object_event_enqueues_its_owner_and_feeds_expectations()
    {
        var (setup, queue) = NewSetup();
        var informer = setup.Owns<V1Pod>("GameFleet");
        setup.Expectations.ExpectCreations("default/arena", 1);
        setup.Expectations.ExpectDeletions("default/arena", 1);

        informer.Cache.Upsert(PodBuilder.Pod("p1", rv: "1", fleet: "arena", ownerUid: "u"));
        setup.Expectations.Pending("default/arena").Should().Be((0, 1));
        informer.Cache.Remove("default/p1");
        setup.Expectations.Satisfied("default/arena").Should().BeTrue();
        queue.Count.Should().Be(1);
    }

    private (ControllerRunner Runner, WorkQueue Queue) NewRunner(IController controller)
    {
        var (setup, queue) = NewSetup();
        controller.Setup(setup);
        return (new ControllerRunner(controller, setup, TimeSpan.FromHours(1), NullLogger.Instance, null), queue);
    }

    private (ControllerSetup Setup, WorkQueue Queue) NewSetup()
    {
        var factory = new InformerFactory(new ResourceApi(_client), [], new InformerOptions(), _time, NullLoggerFactory.Instance, null);
        var services = new ControllerServices(_client, new OperatorOptions(), _time, _events, factory, NullLoggerFactory.Instance);
        var queue = new WorkQueue(_time, new ExponentialRateLimiter(TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(10)));
        return (new ControllerSetup("test", services, queue, new Expectations(_time)), queue);
    }

    private sealed class DelegateReconciler(Func<string, ReconcileResult> reconcile) : IController
    {
        public string Name => "delegate";

        public void Setup(ControllerSetup setup)
        {
        }

        public Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken) => Task.FromResult(reconcile(key));
    }

    private sealed class GatedReconciler : IController
    {
        private readonly ConcurrentDictionary<string, int> _inFlight = new();
        private readonly SemaphoreSlim _gate = new(0);
        private int _max;

        public string Name => "gated";

        public System.Threading.Channels.Channel<string> Entered { get; } = System.Threading.Channels.Channel.CreateUnbounded<string>();

        public ConcurrentQueue<string> Calls { get; } = new();

        public int MaxConcurrentPerKey => _max;

        public void Release() => _gate.Release();

        public void Setup(ControllerSetup setup)
        {
        }

        public async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken)
        {
            var now = _inFlight.AddOrUpdate(key, 1, (_, n) => n + 1);
            InterlockedMax(ref _max, now);
            Calls.Enqueue(key);
            Entered.Writer.TryWrite(key);
            await _gate.WaitAsync(cancellationToken);
            _inFlight.AddOrUpdate(key, 0, (_, n) => n - 1);
            return ReconcileResult.Done;
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int current;
            while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
            {
            }
        }
    }
}
