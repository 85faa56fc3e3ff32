using System.Diagnostics;
using GridGame.Operator.Hosting;
using GridGame.Operator.Runtime;
using k8s;
using k8s.Models;

namespace GridGame.Operator.Tests.Runtime;

public sealed class LeaderElectionTests : IAsyncLifetime
{
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(3);
    private readonly List<OperatorHost> _hosts = [];
    private LocalApi _api = null!;

    public async Task InitializeAsync() => _api = await LocalApi.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        await _api.DisposeAsync();
    }

    [Fact]
    public async Task Of_two_operators_exactly_one_leads_and_only_it_reconciles()
    {
        var (a, ca) = await StartAsync("a");
        var (b, cb) = await StartAsync("b");
        await Poll.UntilAsync(() => a.IsLeader || b.IsLeader);
        await _api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "work" } }, "default");

        var (leader, follower) = a.IsLeader ? (ca, cb) : (cb, ca);
        await Poll.UntilAsync(() => leader.Keys.Contains("default/work"));
        (a.IsLeader && b.IsLeader).Should().BeFalse();
        follower.Reconciles.Should().Be(0, "only the leader runs workers");
        (await HolderAsync()).Should().Be(a.IsLeader ? a.Identity : b.Identity);
        await Poll.UntilAsync(() => a.Ready && b.Ready, "every replica watches and becomes ready, leader or not");
    }

    [Fact]
    public async Task When_the_leader_dies_without_releasing_the_other_leads_once_the_lease_expires()
    {
        var (a, _) = await StartAsync("a");
        await Poll.UntilAsync(() => a.IsLeader);
        var (b, cb) = await StartAsync("b");
        await _api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "work" } }, "default");

        var killed = Stopwatch.StartNew();
        await a.KillAsync();
        (await HolderAsync()).Should().Be(a.Identity, "a crash leaves the lease held");
        await Poll.UntilAsync(() => b.IsLeader, timeout: LeaseDuration * 3);
        var failover = killed.Elapsed;

        failover.Should().BeGreaterThan(LeaseDuration * 0.5, "the standby must wait for the lease to expire");
        failover.Should().BeLessThan(LeaseDuration * 2, "it takes over once the lease has expired (a lease duration after the last renewal, plus a retry; slack for a loaded machine)");
        await Poll.UntilAsync(() => cb.Keys.Contains("default/work"), "the new leader reconciles everything it has cached");
    }

    [Fact]
    public async Task When_the_leader_stops_gracefully_the_other_leads_at_once()
    {
        // A long lease, so that taking over "at once" and "after expiry" are far apart even on a loaded machine.
        var longLease = TimeSpan.FromSeconds(15);
        var (a, _) = await StartAsync("a", longLease);
        await Poll.UntilAsync(() => a.IsLeader);
        var (b, _) = await StartAsync("b", longLease);
        await Poll.UntilAsync(() => b.Ready);

        var stopped = Stopwatch.StartNew();
        await a.StopAsync();
        await Poll.UntilAsync(() => b.IsLeader, timeout: longLease);

        stopped.Elapsed.Should().BeLessThan(longLease / 3, "the released lease is taken on the standby's next retry, not after expiry");
        (await HolderAsync()).Should().Be(b.Identity);
    }

    [Fact]
    public async Task A_leader_that_loses_its_lease_stops_working_and_campaigns_again()
    {
        var (a, ca) = await StartAsync("a");
        await Poll.UntilAsync(() => a.IsLeader);

        // Another party takes the lease (as if this replica had been partitioned away); the leader renews
        // concurrently, so a conflict means: read again and retry.
        await Poll.UntilAsync(async () =>
        {
            var lease = await _api.Client.CoordinationV1.ReadNamespacedLeaseAsync("gridgame-operator-test", "default");
            lease.Spec.HolderIdentity = "intruder";
            lease.Spec.RenewTime = DateTime.UtcNow;
            lease.Spec.LeaseDurationSeconds = 2;
            try
            {
                await _api.Client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, "gridgame-operator-test", "default");
                return true;
            }
            catch (k8s.Autorest.HttpOperationException ex) when (ex.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
            {
                return false;
            }
        });

        await Poll.UntilAsync(() => !a.IsLeader, "the renewal sees a foreign holder and the term ends");
        var before = ca.Reconciles;
        await _api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "while-not-leading" } }, "default");
        await Poll.UntilAsync(() => a.IsLeader, "the intruder does not renew; the lease expires and is won back", TimeSpan.FromSeconds(15));
        await Poll.UntilAsync(() => ca.Keys.Contains("default/while-not-leading"));
        ca.Reconciles.Should().BeGreaterThan(before);
    }

    [Fact]
    public async Task Shutdown_completes_within_its_timeout_even_when_a_reconcile_hangs()
    {
        var hanging = new HangingController();
        var options = OperatorHostTests.TestOptions(leaderElection: true) with
        {
            ShutdownTimeout = TimeSpan.FromSeconds(2),
            LeaderElection = Election("hang"),
        };
        var host = await OperatorHost.StartAsync(options, _api.Server.ClientConfiguration(), CancellationToken.None, [hanging]);
        await _api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "stuck" } }, "default");
        await Poll.UntilAsync(() => hanging.Entered);

        var stopping = Stopwatch.StartNew();
        await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));

        stopping.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5), "2 s of waiting, then it gives up (slack for a loaded machine)");
        stopping.Elapsed.Should().BeGreaterThan(TimeSpan.FromSeconds(1.5), "it waited for the reconcile up to the timeout");
    }

    [Fact]
    public async Task A_stop_just_after_the_lease_was_won_still_releases_it()
    {
        var (a, _) = await StartAsync("a");
        await Poll.UntilAsync(async () => await HolderAsync() == a.Identity);

        await a.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));

        (await HolderAsync()).Should().BeEmpty("the elector may have written the Lease before telling us we lead");
    }

    [Fact]
    public async Task A_graceful_stop_releases_the_lease()
    {
        var (a, _) = await StartAsync("a");
        await Poll.UntilAsync(() => a.IsLeader);

        await a.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));

        (await HolderAsync()).Should().BeEmpty();
    }

    private async Task<(OperatorHost Host, CountingController Controller)> StartAsync(string name, TimeSpan? leaseDuration = null)
    {
        var controller = new CountingController();
        var options = OperatorHostTests.TestOptions(leaderElection: true) with { LeaderElection = Election(name, leaseDuration) };
        var host = await OperatorHost.StartAsync(options, _api.Server.ClientConfiguration(), CancellationToken.None, [controller]);
        _hosts.Add(host);
        return (host, controller);
    }

    private static LeaderElectionOptions Election(string name, TimeSpan? leaseDuration = null) => new()
    {
        LeaseName = "gridgame-operator-test",
        LeaseNamespace = "default",
        Identity = $"{name}_{Guid.NewGuid():N}",
        LeaseDuration = leaseDuration ?? LeaseDuration,
        RenewDeadline = (leaseDuration ?? LeaseDuration) * 2 / 3,
        RetryPeriod = TimeSpan.FromMilliseconds(250),
    };

    private async Task<string?> HolderAsync()
    {
        try
        {
            return (await _api.Client.CoordinationV1.ReadNamespacedLeaseAsync("gridgame-operator-test", "default")).Spec.HolderIdentity;
        }
        catch (k8s.Autorest.HttpOperationException ex) when (ex.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private sealed class HangingController : IController
    {
        private volatile bool _entered;

        public string Name => "hanging";

        public bool Entered => _entered;

        public void Setup(ControllerSetup setup) => setup.For<V1ConfigMap>();

        public async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken)
        {
            _entered = true;
            await Task.Delay(Timeout.Infinite, CancellationToken.None);
            return ReconcileResult.Done;
        }
    }
}
