using GridGame.Operator.Fleets;

namespace GridGame.Operator.Tests.Fleets;

public sealed class PodHealthTests
{
    private static readonly HealthSettings Health = new(TimeSpan.FromSeconds(30), 3);

    [Fact]
    public void A_failed_pod_is_unhealthy() =>
        PodHealth.Judge(Pod.Ready("a") with { Failed = true }, Health, Pod.T0).Unhealthy.Should().BeTrue();

    [Theory]
    [InlineData(3, false)]
    [InlineData(4, true)]
    public void Restarts_beyond_maxRestarts_make_a_pod_unhealthy(int restarts, bool unhealthy) =>
        PodHealth.Judge(Pod.Ready("a") with { Restarts = restarts }, Health, Pod.T0).Unhealthy.Should().Be(unhealthy);

    [Theory]
    [InlineData(29, false)]
    [InlineData(30, true)]
    public void A_pod_that_was_Ready_is_unhealthy_after_unhealthyAfterSeconds_not_Ready(int seconds, bool unhealthy)
    {
        var pod = Pod.Ready("a") with { IsReady = false, NotReadySince = Pod.T0 };
        PodHealth.Judge(pod, Health, Pod.T0.AddSeconds(seconds)).Unhealthy.Should().Be(unhealthy);
    }

    [Fact]
    public void A_pod_not_Ready_for_a_while_is_rechecked_at_its_deadline()
    {
        var pod = Pod.Allocated("a") with { IsReady = false, NotReadySince = Pod.T0 };
        PodHealth.Judge(pod, Health, Pod.T0.AddSeconds(10)).RecheckAt.Should().Be(Pod.T0.AddSeconds(30));
    }

    [Fact]
    public void A_pod_still_starting_is_never_unhealthy_for_being_slow()
    {
        var pod = Pod.Starting("a") with { NotReadySince = Pod.T0 };
        PodHealth.Judge(pod, Health, Pod.T0.AddHours(1)).Unhealthy.Should().BeFalse();
    }
}
