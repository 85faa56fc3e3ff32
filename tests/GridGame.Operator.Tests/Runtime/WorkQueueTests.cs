using GridGame.Operator.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace GridGame.Operator.Tests.Runtime;

public sealed class WorkQueueTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new();

    private WorkQueue NewQueue() => new(_time, new ExponentialRateLimiter(TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(1)));

    [Fact]
    public async Task A_key_added_twice_is_queued_once()
    {
        using var queue = NewQueue();
        queue.Add("ns/a");
        queue.Add("ns/a");
        queue.Add("ns/b");

        queue.Count.Should().Be(2);
        (await queue.GetAsync(CancellationToken.None)).Should().Be("ns/a");
        (await queue.GetAsync(CancellationToken.None)).Should().Be("ns/b");
        queue.Count.Should().Be(0);
    }

    [Fact]
    public async Task A_key_added_while_processing_is_handed_out_again_only_after_Done()
    {
        using var queue = NewQueue();
        queue.Add("ns/a");
        var key = await queue.GetAsync(CancellationToken.None);

        queue.Add("ns/a");
        queue.Count.Should().Be(0, "the key is being processed; a second worker must not get it");
        // A waiting worker is handed a key at once when one is there: still waiting, it got none. Cancelled (not timed
        // out: a slow machine must not make a wrong queue look right), it ends empty-handed.
        using var cts = new CancellationTokenSource();
        var second = queue.GetAsync(cts.Token);
        second.IsCompleted.Should().BeFalse("a second worker must not get the key being processed");
        await cts.CancelAsync();
        await second.Invoking(s => s).Should().ThrowAsync<OperationCanceledException>();

        queue.Done(key);
        queue.Count.Should().Be(1);
        (await queue.GetAsync(CancellationToken.None).WaitAsync(Bound)).Should().Be("ns/a");
    }

    [Fact]
    public async Task Done_without_a_re_add_does_not_requeue()
    {
        using var queue = NewQueue();
        queue.Add("ns/a");
        queue.Done(await queue.GetAsync(CancellationToken.None));
        queue.Count.Should().Be(0);
    }

    [Fact]
    public async Task AddAfter_hands_the_key_out_once_the_delay_has_passed()
    {
        using var queue = NewQueue();
        queue.AddAfter("ns/a", TimeSpan.FromSeconds(5));

        _time.Advance(TimeSpan.FromSeconds(4));
        queue.Count.Should().Be(0);
        queue.DelayedCount.Should().Be(1);

        _time.Advance(TimeSpan.FromSeconds(1));
        queue.Count.Should().Be(1);
        (await queue.GetAsync(CancellationToken.None).WaitAsync(Bound)).Should().Be("ns/a");
    }

    [Fact]
    public void An_earlier_AddAfter_replaces_a_later_one_and_a_later_one_is_ignored()
    {
        using var queue = NewQueue();
        queue.AddAfter("ns/a", TimeSpan.FromSeconds(10));
        queue.AddAfter("ns/a", TimeSpan.FromSeconds(2));
        queue.AddAfter("ns/a", TimeSpan.FromSeconds(30));

        _time.Advance(TimeSpan.FromSeconds(2));
        queue.Count.Should().Be(1);
        queue.DelayedCount.Should().Be(0);
    }

    [Fact]
    public async Task AddRateLimited_waits_twice_as_long_after_each_failure_up_to_the_cap()
    {
        using var queue = NewQueue();
        var waits = new List<TimeSpan>();
        for (var attempt = 0; attempt < 9; attempt++)
        {
            queue.AddRateLimited("ns/a");
            waits.Add(TimeUntilQueued(queue));
            (await queue.GetAsync(CancellationToken.None)).Should().Be("ns/a");
            queue.Done("ns/a");
        }

        waits.Select(w => w.TotalMilliseconds).Should().Equal(10, 20, 40, 80, 160, 320, 640, 1000, 1000);
        queue.Failures("ns/a").Should().Be(9);
    }

    [Fact]
    public void Forget_resets_the_back_off()
    {
        using var queue = NewQueue();
        queue.AddRateLimited("ns/a");
        _time.Advance(TimeSpan.FromMilliseconds(10));
        queue.AddRateLimited("ns/b");
        queue.Forget("ns/a");

        queue.Failures("ns/a").Should().Be(0);
        queue.Failures("ns/b").Should().Be(1);
    }

    [Fact]
    public async Task ShutDown_releases_waiting_workers()
    {
        using var queue = NewQueue();
        var waiting = queue.GetAsync(CancellationToken.None);
        queue.ShutDown();
        var act = () => waiting.WaitAsync(Bound);
        await act.Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public void The_token_bucket_allows_a_burst_then_spaces_retries_by_its_rate()
    {
        var bucket = new TokenBucketRateLimiter(perSecond: 10, burst: 3, _time);
        var delays = Enumerable.Range(0, 5).Select(i => bucket.When($"k{i}").TotalMilliseconds).ToList();
        delays.Should().Equal(0, 0, 0, 100, 200);

        _time.Advance(TimeSpan.FromSeconds(1));
        bucket.When("k").Should().Be(TimeSpan.Zero, "a second refills ten tokens, capped at the burst");
    }

    [Fact]
    public void The_default_limiter_takes_the_longer_of_back_off_and_bucket()
    {
        var limiter = new MaxOfRateLimiter(
            new ExponentialRateLimiter(TimeSpan.FromMilliseconds(5), TimeSpan.FromMinutes(5)),
            new TokenBucketRateLimiter(10, 1, _time));
        limiter.When("a").Should().Be(TimeSpan.FromMilliseconds(5));
        limiter.When("b").Should().Be(TimeSpan.FromMilliseconds(100), "the bucket is empty after one");
    }

    private TimeSpan TimeUntilQueued(WorkQueue queue)
    {
        var step = TimeSpan.FromMilliseconds(10);
        var waited = TimeSpan.Zero;
        while (queue.Count == 0)
        {
            waited.Should().BeLessThan(TimeSpan.FromMinutes(1));
            _time.Advance(step);
            waited += step;
        }

        return waited;
    }
}
