using GridGame.Operator.Fleets;

namespace GridGame.Operator.Tests.Fleets;

public sealed class CrashLoopBackoffTests
{
    [Fact]
    public void Each_round_of_failures_doubles_the_wait_before_new_pods()
    {
        CrashLoopState? state = null;
        var waits = new List<TimeSpan>();
        for (var i = 0; i < 4; i++)
        {
            state = CrashLoopBackoff.Record(state, "r1", 1, Pod.T0);
            waits.Add(CrashLoopBackoff.NextCreateAt(state, "r1") - Pod.T0);
        }
        waits.Should().Equal(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8));
        CrashLoopBackoff.IsCrashLooping(state, "r1").Should().BeTrue();
    }

    [Fact]
    public void The_wait_is_capped()
    {
        CrashLoopState? state = null;
        for (var i = 0; i < 40; i++)
        {
            state = CrashLoopBackoff.Record(state, "r1", 1, Pod.T0);
        }
        (CrashLoopBackoff.NextCreateAt(state, "r1") - Pod.T0).Should().Be(CrashLoopBackoff.MaxDelay);
    }

    [Fact]
    public void A_new_revision_starts_without_back_off()
    {
        var state = CrashLoopBackoff.Record(null, "r1", 1, Pod.T0);
        CrashLoopBackoff.NextCreateAt(state, "r2").Should().Be(DateTimeOffset.MinValue);
        CrashLoopBackoff.Record(state, "r2", 1, Pod.T0)!.Failures.Should().Be(1);
    }

    [Fact]
    public void Failures_are_forgotten_after_a_quiet_period()
    {
        var state = CrashLoopBackoff.Record(CrashLoopBackoff.Record(null, "r1", 1, Pod.T0), "r1", 1, Pod.T0);
        CrashLoopBackoff.Record(state, "r1", 0, Pod.T0 + CrashLoopBackoff.ForgetAfter).Should().BeNull();
    }
}
