using GridGame.LocalCluster.Kubelets;
using k8s.Models;

namespace GridGame.LocalCluster.Tests.Kubelets;

public sealed class PodLifecycleTests
{
    private static V1ContainerStatus Running() => new() { Name = "c", State = new V1ContainerState { Running = new V1ContainerStateRunning() } };

    private static V1ContainerStatus Exited(int code) => new() { Name = "c", State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = code } } };

    private static V1ContainerStatus Waiting(int? lastExit = null) => new()
    {
        Name = "c",
        State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "CrashLoopBackOff" } },
        LastState = lastExit is null ? null : new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = lastExit.Value } },
    };

    [Theory]
    [InlineData("Always", 0, true)]
    [InlineData("Always", 1, true)]
    [InlineData("OnFailure", 0, false)]
    [InlineData("OnFailure", 2, true)]
    [InlineData("Never", 1, false)]
    [InlineData(null, 0, true)]
    public void Restart_policy_decides_whether_an_exited_container_restarts(string? policy, int exit, bool restart) =>
        PodLifecycle.ShouldRestart(policy, exit).Should().Be(restart);

    [Fact]
    public void Backoff_doubles_up_to_the_maximum_and_resets_after_a_long_run()
    {
        var initial = TimeSpan.FromSeconds(10);
        var max = TimeSpan.FromSeconds(300);
        var delays = new List<TimeSpan>();
        TimeSpan? d = null;
        for (var i = 0; i < 7; i++)
        {
            d = PodLifecycle.NextBackoff(d, TimeSpan.FromSeconds(1), initial, max);
            delays.Add(d.Value);
        }
        delays.Select(x => x.TotalSeconds).Should().Equal(10, 20, 40, 80, 160, 300, 300);
        PodLifecycle.NextBackoff(max, TimeSpan.FromMinutes(10), initial, max).Should().Be(initial);
    }

    [Fact]
    public void Phase_follows_the_kubelet_rules()
    {
        PodLifecycle.Phase("Always", [Waiting()]).Should().Be("Pending");
        PodLifecycle.Phase("Always", [Running()]).Should().Be("Running");
        PodLifecycle.Phase("Always", [Waiting(lastExit: 1)]).Should().Be("Running", "a crash-looping container keeps the pod Running");
        PodLifecycle.Phase("Never", [Exited(0)]).Should().Be("Succeeded");
        PodLifecycle.Phase("Never", [Exited(1)]).Should().Be("Failed");
        PodLifecycle.Phase("OnFailure", [Exited(0)]).Should().Be("Succeeded");
        PodLifecycle.Phase("OnFailure", [Waiting(lastExit: 1)]).Should().Be("Running");
        PodLifecycle.Phase("Never", [Running(), Exited(1)]).Should().Be("Running");
    }

    [Fact]
    public void Ready_needs_a_running_pod_with_every_container_ready()
    {
        var now = DateTime.UtcNow;
        PodLifecycle.Conditions("Running", allReady: true, now, null).Single(c => c.Type == "Ready").Status.Should().Be("True");
        PodLifecycle.Conditions("Running", allReady: false, now, null).Single(c => c.Type == "Ready").Reason.Should().Be("ContainersNotReady");
        PodLifecycle.Conditions("Succeeded", allReady: true, now, null).Single(c => c.Type == "Ready").Status.Should().Be("False");
    }

    [Fact]
    public void A_condition_keeps_its_transition_time_while_its_status_holds()
    {
        var then = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var first = PodLifecycle.Conditions("Running", true, then, null);
        var again = PodLifecycle.Conditions("Running", true, then.AddMinutes(1), first);
        again.Single(c => c.Type == "Ready").LastTransitionTime.Should().Be(then);
        var flipped = PodLifecycle.Conditions("Running", false, then.AddMinutes(2), again);
        flipped.Single(c => c.Type == "Ready").LastTransitionTime.Should().Be(then.AddMinutes(2));
    }

    [Fact]
    public void A_probe_flips_only_after_its_thresholds()
    {
        var readiness = ProbeCounter.For(new V1Probe { SuccessThreshold = 2, FailureThreshold = 3 }, initial: false);
        readiness.Record(true).Should().BeFalse();
        readiness.Record(true).Should().BeTrue();
        readiness.Passing.Should().BeTrue();
        readiness.Record(false).Should().BeFalse();
        readiness.Record(false).Should().BeFalse();
        readiness.Record(true).Should().BeFalse("a success resets the failure count");
        readiness.Record(false);
        readiness.Record(false);
        readiness.Record(false).Should().BeTrue();
        readiness.Passing.Should().BeFalse();
    }
}
