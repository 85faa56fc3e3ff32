namespace GridGame.Operator.Tests.Fleets;

public sealed class ShiftedTimeProviderTests
{
    [Fact]
    public async Task Advancing_moves_the_clock_and_fires_a_timer_that_falls_due()
    {
        var clock = new ShiftedTimeProvider();
        var before = clock.GetUtcNow();
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var timer = clock.CreateTimer(_ => fired.TrySetResult(), null, TimeSpan.FromMinutes(10), Timeout.InfiniteTimeSpan);

        clock.Advance(TimeSpan.FromMinutes(10));

        (clock.GetUtcNow() - before).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMinutes(10));
        await fired.Task.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_timer_not_yet_due_after_an_advance_waits_only_for_what_is_left()
    {
        var clock = new ShiftedTimeProvider();
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var timer = clock.CreateTimer(_ => fired.TrySetResult(), null, TimeSpan.FromSeconds(602), Timeout.InfiniteTimeSpan);

        clock.Advance(TimeSpan.FromSeconds(600));
        fired.Task.IsCompleted.Should().BeFalse("2 s are left");

        await fired.Task.WaitAsync(TimeSpan.FromSeconds(15));
    }
}
