using System.Diagnostics;
using GridGame.Operator.Hosting;
using GridGame.Operator.Runtime;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;

namespace GridGame.Operator.Tests.Runtime;

/// <summary>
/// Operators electing a leader on LocalCluster's Lease. The lease tests share a <see cref="FakeTimeProvider"/>: it stands
/// still until a test moves it (<see cref="AdvanceUntilAsync"/>), so "before expiry" and "after expiry" are exact
/// instead of wall-clock windows.
/// </summary>
public sealed class LeaderElectionTests : IAsyncLifetime
{
    // Long enough that no lease expires by the wall clock while a test runs: only moving the fake clock expires one.
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RetryPeriod = TimeSpan.FromSeconds(1);

    /// <summary>How far the fake clock moves per poll: small against the retry period, so every retry is seen in turn.</summary>
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(200);

    private readonly List<OperatorHost> _hosts = [];
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
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
        // The clock stands still: no lease can expire, so whoever won the Lease first keeps it.
        var (a, ca) = await StartAsync("a", time: _time);
        var (b, cb) = await StartAsync("b", time: _time);
        await Eventually.UntilAsync(() => a.IsLeader || b.IsLeader);
        await _api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "work" } }, "default");

        var (leader, follower) = a.IsLeader ? (ca, cb) : (cb, ca);
        await Eventually.UntilAsync(() => leader.Keys.Contains("default/work"));
        (a.IsLeader && b.IsLeader).Should().BeFalse();
        var followerHost = a.IsLeader ? b : a;
        await Eventually.UntilAsync(() => followerHost.Informers.Get<V1ConfigMap>().Cache.Get("default/work") is not null, "the follower's watch delivers the object too");
        follower.Reconciles.Should().Be(0, "only the leader runs workers");
        (await HolderAsync()).Should().Be(a.IsLeader ? a.Identity : b.Identity);
        await Eventually.UntilAsync(() => a.Ready && b.Ready, "every replica watches and becomes ready, leader or not");
    }

    [Fact]
    public async Task When_the_leader_dies_without_releasing_the_other_leads_once_the_lease_expires()
    {
        var (a, _) = await StartAsync("a", time: _time);
        await Eventually.UntilAsync(() => a.IsLeader);
        var (b, cb) = await StartAsync("b", time: _time);
        await _api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "work" } }, "default");
        await Eventually.UntilAsync(() => b.Ready);

        await a.KillAsync();
        (await HolderAsync()).Should().Be(a.Identity, "a crash leaves the lease held");
        var failover = await AdvanceUntilAsync(() => b.IsLeader, "the standby takes the expired lease");

        // Every write of a's happened at the instant the clock stood at, so the lease expires exactly a lease duration later.
        failover.Should().BeGreaterThanOrEqualTo(LeaseDuration, "the standby must wait for the lease to expire");
        failover.Should().BeLessThan(LeaseDuration + RetryPeriod + TimeSpan.FromSeconds(2), "it takes over on its first retry after expiry (slack: the clock moves on while a request is in flight)");
        (await HolderAsync()).Should().Be(b.Identity);
        await Eventually.UntilAsync(() => cb.Keys.Contains("default/work"), "the new leader reconciles everything it has cached");
    }

    [Fact]
    public async Task When_the_leader_stops_gracefully_the_other_leads_at_once()
    {
        var (a, _) = await StartAsync("a", time: _time);
        await Eventually.UntilAsync(() => a.IsLeader);
        var (b, _) = await StartAsync("b", time: _time);
        await Eventually.UntilAsync(() => b.Ready);

        await a.StopAsync();
        var handover = await AdvanceUntilAsync(() => b.IsLeader, "the standby takes the released lease");

        handover.Should().BeLessThan(LeaseDuration / 3, "the released lease is taken on the standby's next retry, not after expiry");
        (await HolderAsync()).Should().Be(b.Identity);
    }

    [Fact]
    public async Task A_leader_that_loses_its_lease_stops_working_and_campaigns_again()
    {
        var (a, ca) = await StartAsync("a", time: _time);
        await Eventually.UntilAsync(() => a.IsLeader);

        // Another party takes the lease (as if this replica had been partitioned away). The clock stands still, so the
        // leader is not renewing meanwhile; a conflict would still mean: read again and retry.
        await Eventually.UntilAsync(async () =>
        {
            var lease = await _api.Client.CoordinationV1.ReadNamespacedLeaseAsync("gridgame-operator-test", "default");
            lease.Spec.HolderIdentity = "intruder";
            lease.Spec.RenewTime = _time.GetUtcNow().UtcDateTime;
            // As long as ours: a shorter one would expire before the renew deadline, and the leader would simply win it back.
            lease.Spec.LeaseDurationSeconds = (int)LeaseDuration.TotalSeconds;
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

        var stepDown = await AdvanceUntilAsync(() => !a.IsLeader, "the renewals see a foreign holder and the term ends at the renew deadline");
        stepDown.Should().BeGreaterThanOrEqualTo(Election("a").RenewDeadline - RetryPeriod, "a leader keeps trying to renew until its renew deadline");
        var before = ca.Reconciles;
        await _api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "while-not-leading" } }, "default");
        await AdvanceUntilAsync(() => a.IsLeader, "the intruder does not renew; its lease expires and is won back");
        await Eventually.UntilAsync(() => ca.Keys.Contains("default/while-not-leading"));
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
        await Eventually.UntilAsync(() => hanging.Entered);

        var stopping = Stopwatch.StartNew();
        await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));

        stopping.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5), "2 s of waiting, then it gives up (slack for a loaded machine)");
        stopping.Elapsed.Should().BeGreaterThan(TimeSpan.FromSeconds(1.5), "it waited for the reconcile up to the timeout");
    }

    [Fact]
    public async Task A_stop_just_after_the_lease_was_won_still_releases_it()
    {
        var (a, _) = await StartAsync("a");
        await Eventually.UntilAsync(async () => await HolderAsync() == a.Identity);

        await a.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));

        (await HolderAsync()).Should().BeEmpty("the elector may have written the Lease before telling us we lead");
    }

    [Fact]
    public async Task A_graceful_stop_releases_the_lease()
    {
        var (a, _) = await StartAsync("a");
        await Eventually.UntilAsync(() => a.IsLeader);

        await a.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));

        (await HolderAsync()).Should().BeEmpty();
    }

    private async Task<(OperatorHost Host, CountingController Controller)> StartAsync(string name, TimeSpan? leaseDuration = null, TimeProvider? time = null)
    {
        var controller = new CountingController();
        var options = OperatorHostTests.TestOptions(leaderElection: true) with { LeaderElection = Election(name, leaseDuration) };
        var host = await OperatorHost.StartAsync(options, _api.Server.ClientConfiguration(), CancellationToken.None, [controller], time: time);
        _hosts.Add(host);
        return (host, controller);
    }

    /// <summary>
    /// Moves the fake clock on a step per poll until <paramref name="condition"/> holds, as real time would pass but
    /// without waiting for it; returns how far the clock moved.
    /// </summary>
    private async Task<TimeSpan> AdvanceUntilAsync(Func<bool> condition, string because)
    {
        var start = _time.GetUtcNow();
        await Eventually.UntilAsync(
            () =>
            {
                if (condition())
                {
                    return true;
                }

                _time.Advance(Step);
                return false;
            },
            because,
            TimeSpan.FromSeconds(20));
        return _time.GetUtcNow() - start;
    }

    private static LeaderElectionOptions Election(string name, TimeSpan? leaseDuration = null) => new()
    {
        LeaseName = "gridgame-operator-test",
        LeaseNamespace = "default",
        Identity = $"{name}_{Guid.NewGuid():N}",
        LeaseDuration = leaseDuration ?? LeaseDuration,
        RenewDeadline = (leaseDuration ?? LeaseDuration) * 2 / 3,
        RetryPeriod = RetryPeriod,
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
