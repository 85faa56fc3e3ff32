using GridGame.Operator.Autoscaling;

namespace GridGame.Operator.Tests.Autoscaling;

public sealed class BufferAutoscalerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly BufferPolicy Count5 = new(MinReplicas: 2, MaxReplicas: 100, BufferSize: 5,
        StabilizationWindow: TimeSpan.FromSeconds(300), MaxPercentPerMinute: 10);

    [Theory]
    [InlineData(0, 0, 5)]
    [InlineData(8, 0, 13)]
    [InlineData(8, 3, 16)]
    public void A_count_buffer_adds_to_allocated_and_pending(int allocated, int pending, int expected) =>
        BufferAutoscaler.Raw(Count5, allocated, pending).Should().Be(expected);

    [Theory]
    [InlineData(8, 20, 10)]
    [InlineData(9, 20, 12)]
    [InlineData(0, 20, 0)]
    [InlineData(1, 50, 2)]
    [InlineData(99, 1, 100)]
    public void A_percent_buffer_keeps_that_share_of_the_total_free(int allocated, int percent, int expected) =>
        BufferAutoscaler.Raw(new BufferPolicy(0, 1000, BufferPercent: percent), allocated, 0).Should().Be(expected);

    [Theory]
    [InlineData(0, 8, true)]
    [InlineData(200, 100, true)]
    [InlineData(10, 15, false)]
    public void The_result_is_clamped_to_min_and_max(int allocated, int expected, bool limited)
    {
        var decision = BufferAutoscaler.Decide(Count5 with { MinReplicas = 8 }, new(CurrentReplicas: 0, allocated, 0, T0), AutoscalerState.Empty);
        decision.Replicas.Should().Be(expected);
        decision.Limited.Should().Be(limited);
    }

    [Fact]
    public void Scale_up_is_immediate()
    {
        var decision = BufferAutoscaler.Decide(Count5, new(5, 10, 2, T0), AutoscalerState.Empty);
        decision.Replicas.Should().Be(17);
        decision.Reason.Should().Be("ScaledUp");
        decision.Message.Should().Contain("allocated 10 + pending 2");
    }

    [Fact]
    public void Scale_down_waits_for_the_stabilization_window()
    {
        var state = AutoscalerState.Empty;
        var current = 50;
        var now = T0;
        AutoscalerDecision decision;
        // Demand drops to nothing; for 299 seconds nothing changes.
        for (var t = 0; t < 300; t += 30)
        {
            now = T0.AddSeconds(t);
            decision = BufferAutoscaler.Decide(Count5, new(current, 0, 0, now), state);
            decision.Replicas.Should().Be(current, $"at {t}s the window has not passed");
            decision.Reason.Should().Be("ScaleDownStabilizing");
            state = decision.State;
        }
        decision = BufferAutoscaler.Decide(Count5, new(current, 0, 0, T0.AddSeconds(300)), state);
        decision.Reason.Should().Be("ScaledDown");
        decision.Replicas.Should().Be(45, "10% of 50 per minute");
    }

    [Fact]
    public void A_burst_inside_the_window_holds_the_higher_figure()
    {
        var state = BufferAutoscaler.Decide(Count5, new(30, 0, 0, T0), AutoscalerState.Empty).State;          // wants 5
        state = BufferAutoscaler.Decide(Count5, new(30, 25, 0, T0.AddSeconds(200)), state).State;            // burst: wants 30
        var decision = BufferAutoscaler.Decide(Count5, new(30, 0, 0, T0.AddSeconds(310)), state);           // wants 5 again
        decision.Replicas.Should().Be(30, "the burst at 200s is still inside the 300s window");
        decision.RecheckAt.Should().Be(T0.AddSeconds(500));
        BufferAutoscaler.Decide(Count5, new(30, 0, 0, T0.AddSeconds(500)), decision.State).Replicas.Should().Be(27);
    }

    [Fact]
    public void Scale_down_moves_at_most_maxPercentPerMinute_per_minute()
    {
        var policy = Count5 with { StabilizationWindow = TimeSpan.Zero };
        var first = BufferAutoscaler.Decide(policy, new(100, 0, 0, T0), AutoscalerState.Empty);
        first.Replicas.Should().Be(90);
        var tooSoon = BufferAutoscaler.Decide(policy, new(90, 0, 0, T0.AddSeconds(30)), first.State);
        tooSoon.Replicas.Should().Be(90);
        tooSoon.Reason.Should().Be("ScaleDownRateLimited");
        tooSoon.RecheckAt.Should().Be(T0.AddSeconds(60));
        BufferAutoscaler.Decide(policy, new(90, 0, 0, T0.AddSeconds(60)), tooSoon.State).Replicas.Should().Be(81);
    }

    [Fact]
    public void Several_steps_within_a_minute_share_its_budget()
    {
        var policy = Count5 with { StabilizationWindow = TimeSpan.Zero, MaxPercentPerMinute = 50 };
        var first = BufferAutoscaler.Decide(policy, new(10, 3, 0, T0), AutoscalerState.Empty);   // wants 8: 10 → 8
        first.Replicas.Should().Be(8);
        var second = BufferAutoscaler.Decide(policy, new(8, 0, 0, T0.AddSeconds(10)), first.State); // wants 5: 3 more of the 5 allowed
        second.Replicas.Should().Be(5);
    }

    [Fact]
    public void At_least_one_server_goes_per_step()
    {
        var policy = Count5 with { StabilizationWindow = TimeSpan.Zero, MaxPercentPerMinute = 1 };
        BufferAutoscaler.Decide(policy, new(7, 0, 0, T0), AutoscalerState.Empty).Replicas.Should().Be(6);
    }

    [Fact]
    public void Scale_down_never_goes_below_the_target()
    {
        var policy = Count5 with { StabilizationWindow = TimeSpan.Zero, MaxPercentPerMinute = 100 };
        BufferAutoscaler.Decide(policy, new(50, 10, 0, T0), AutoscalerState.Empty).Replicas.Should().Be(15);
    }

    [Fact]
    public void A_steady_fleet_stays_steady() =>
        BufferAutoscaler.Decide(Count5, new(15, 10, 0, T0), AutoscalerState.Empty).Reason.Should().Be("Steady");
}
