using Microsoft.Extensions.Time.Testing;

namespace GridGame.Kube.Tests;

public sealed class BackoffTests
{
    private static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(0, 0.5, 0.5, 0)]
    [InlineData(1, 0, 0.9, 200)]
    [InlineData(2, 0, 0.9, 400)]
    [InlineData(3, 0, 0.9, 800)]
    [InlineData(8, 0, 0.9, 25_600)]
    [InlineData(9, 0, 0.9, 30_000)]
    [InlineData(int.MaxValue, 0, 0.9, 30_000)]
    [InlineData(1, 0.5, 0.0, 100)]
    [InlineData(1, 0.5, 0.5, 200)]
    [InlineData(1, 0.5, 0.999, 299.8)]
    [InlineData(9, 0.5, 0.0, 15_000)]
    [InlineData(9, 0.5, 0.999, 44_970)]
    [InlineData(3, 1.0, 0.0, 0)]
    [InlineData(3, 1.0, 0.75, 1_200)]
    public void The_delay_doubles_per_failure_up_to_the_cap_and_jitter_spreads_it_either_side(int failures, double jitter, double sample, double expectedMs) =>
        Backoff.Delay(failures, Initial, Max, jitter, sample).TotalMilliseconds.Should().BeApproximately(expectedMs, 0.001);

    [Fact]
    public void Each_failure_counts_and_a_reset_starts_again_from_the_initial_delay()
    {
        var backoff = new Backoff(Initial, Max, jitter: 0);
        backoff.Next().Should().Be(Initial);
        backoff.Next().Should().Be(Initial * 2);
        backoff.Next().Should().Be(Initial * 4);
        backoff.Failures.Should().Be(3);

        backoff.Reset();

        backoff.Failures.Should().Be(0);
        backoff.Next().Should().Be(Initial);
    }

    [Fact]
    public void Jittered_delays_stay_within_their_bounds()
    {
        var backoff = new Backoff(Initial, Max);
        for (var i = 1; i <= 20; i++)
        {
            var exact = Backoff.Delay(i, Initial, Max, 0, 0);
            backoff.Next().Should().BeGreaterThanOrEqualTo(exact * 0.5).And.BeLessThan(exact * 1.5);
        }
    }

    [Fact]
    public async Task The_wait_runs_on_the_given_clock()
    {
        var time = new FakeTimeProvider();
        var backoff = new Backoff(Initial, Max, time, jitter: 0);

        var wait = backoff.WaitAsync(backoff.Next(), CancellationToken.None);
        time.Advance(Initial - TimeSpan.FromMilliseconds(1));
        wait.IsCompleted.Should().BeFalse();
        time.Advance(TimeSpan.FromMilliseconds(1));

        await wait.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_cancelled_wait_throws()
    {
        using var cts = new CancellationTokenSource();
        var backoff = new Backoff(Initial, Max, new FakeTimeProvider());
        var wait = backoff.WaitAsync(TimeSpan.FromHours(1), cts.Token);

        await cts.CancelAsync();

        await wait.Invoking(w => w).Should().ThrowAsync<OperationCanceledException>();
    }

    [Theory]
    [InlineData(0, 1000, 0.5)]
    [InlineData(-1, 1000, 0.5)]
    [InlineData(200, 100, 0.5)]
    [InlineData(200, 1000, -0.1)]
    [InlineData(200, 1000, 1.1)]
    public void Nonsense_settings_are_refused(int initialMs, int maxMs, double jitter)
    {
        var act = () => new Backoff(TimeSpan.FromMilliseconds(initialMs), TimeSpan.FromMilliseconds(maxMs), jitter: jitter);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }
}
