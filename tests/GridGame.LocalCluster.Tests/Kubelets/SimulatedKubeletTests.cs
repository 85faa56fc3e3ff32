using k8s;
using GridGame.LocalCluster.Nodes;
using GridGame.LocalCluster.Tests.Nodes;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using static GridGame.LocalCluster.Tests.Scheduling.Build;

namespace GridGame.LocalCluster.Tests.Kubelets;

public sealed class SimulatedKubeletTests
{
    [Fact]
    public async Task A_bound_pod_becomes_running_and_ready_with_addresses_and_container_statuses()
    {
        await using var cluster = await Cluster.StartAsync(c => new LocalNodesOptions { Client = c, NodeCount = 2 });
        await cluster.CreatePodAsync(Pod("p1"));

        var pod = await cluster.PodWhenAsync("p1", Cluster.IsReady);

        pod.Status.Phase.Should().Be("Running");
        pod.Spec.NodeName.Should().StartWith("local-node-");
        pod.Status.HostIP.Should().StartWith("10.0.0.");
        pod.Status.PodIP.Should().MatchRegex(@"^10\.(64|65)\.0\.1$");
        pod.Status.ContainerStatuses.Should().ContainSingle().Which.Should().Match<V1ContainerStatus>(
            s => s.Name == "main" && s.Ready && s.State.Running != null && s.RestartCount == 0);
        pod.Status.Conditions.Select(c => c.Type).Should().Contain(["PodScheduled", "Initialized", "ContainersReady", "Ready"]);
    }
}

public sealed class SimulatedKubeletHookTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_start_delay_holds_the_pod_until_time_passes()
    {
        var time = new FakeTimeProvider(Start);
        await using var cluster = await Cluster.StartAsync(c => new LocalNodesOptions { Client = c, StartDelay = TimeSpan.FromSeconds(5), TimeProvider = time });
        await cluster.CreatePodAsync(Pod("slow"));
        await cluster.PodWhenAsync("slow", p => p.Spec.NodeName is not null);
        time.Advance(TimeSpan.FromSeconds(4));
        (await cluster.Client.CoreV1.ReadNamespacedPodAsync("slow", "default")).Status.Phase.Should().Be("Pending");

        time.Advance(TimeSpan.FromSeconds(1));

        await cluster.PodWhenAsync("slow", Cluster.IsReady);
    }

    [Fact]
    public async Task A_failed_pod_reports_phase_failed_with_a_terminated_container()
    {
        await using var cluster = await Cluster.StartAsync(c => new LocalNodesOptions { Client = c });
        await cluster.CreatePodAsync(Pod("f"));
        await cluster.PodWhenAsync("f", Cluster.IsReady);

        cluster.Nodes.FailPod("default", "f", "boom");

        var pod = await cluster.PodWhenAsync("f", p => p.Status.Phase == "Failed");
        pod.Status.ContainerStatuses[0].State.Terminated.ExitCode.Should().Be(1);
        Cluster.IsReady(pod).Should().BeFalse();
        pod.Status.Message.Should().Be("boom");
    }

    [Fact]
    public async Task A_crash_looping_pod_restarts_on_the_back_off_schedule()
    {
        var time = new FakeTimeProvider(Start);
        await using var cluster = await Cluster.StartAsync(c => new LocalNodesOptions { Client = c, TimeProvider = time });
        await cluster.CreatePodAsync(Pod("c"));
        await cluster.PodWhenAsync("c", Cluster.IsReady);

        cluster.Nodes.CrashLoopPod("default", "c");
        var first = await cluster.PodWhenAsync("c", p => p.Status.ContainerStatuses[0].RestartCount == 1);
        first.Status.ContainerStatuses[0].State.Waiting.Reason.Should().Be("CrashLoopBackOff");
        Cluster.IsReady(first).Should().BeFalse();

        time.Advance(TimeSpan.FromSeconds(10));
        await cluster.PodWhenAsync("c", p => p.Status.ContainerStatuses[0].RestartCount == 2);
        time.Advance(TimeSpan.FromSeconds(19));
        (await cluster.Client.CoreV1.ReadNamespacedPodAsync("c", "default")).Status.ContainerStatuses[0].RestartCount.Should().Be(2, "the second back-off is 20s");
        time.Advance(TimeSpan.FromSeconds(1));
        await cluster.PodWhenAsync("c", p => p.Status.ContainerStatuses[0].RestartCount == 3);
    }

    [Fact]
    public async Task A_pod_can_be_made_unready_and_ready_again()
    {
        await using var cluster = await Cluster.StartAsync(c => new LocalNodesOptions { Client = c });
        await cluster.CreatePodAsync(Pod("r"));
        await cluster.PodWhenAsync("r", Cluster.IsReady);

        cluster.Nodes.SetPodReady("default", "r", false);
        var unready = await cluster.PodWhenAsync("r", p => !Cluster.IsReady(p));
        unready.Status.Phase.Should().Be("Running");

        cluster.Nodes.SetPodReady("default", "r", true);
        await cluster.PodWhenAsync("r", Cluster.IsReady);
    }

    [Fact]
    public async Task Pods_of_a_never_ready_image_run_but_stay_unready_while_other_images_turn_Ready()
    {
        await using var cluster = await Cluster.StartAsync(c => new LocalNodesOptions
        {
            Client = c,
            SimulatedImages = new Dictionary<string, SimulatedImageBehavior> { ["*:broken"] = SimulatedImageBehavior.NeverReady },
        });
        var broken = Pod("broken");
        broken.Spec.Containers[0].Image = "ghcr.io/owner/gridgame-gameserver:broken";
        await cluster.CreatePodAsync(broken);
        await cluster.CreatePodAsync(Pod("fine"));

        await cluster.PodWhenAsync("fine", Cluster.IsReady);
        var pod = await cluster.PodWhenAsync("broken", p => p.Status?.Phase == "Running");
        Cluster.IsReady(pod).Should().BeFalse();
        pod.Status.ContainerStatuses[0].Should().Match<V1ContainerStatus>(s => s.State.Running != null && !s.Ready && s.RestartCount == 0);

        cluster.Nodes.SetPodReady("default", "broken", true);
        await cluster.PodWhenAsync("broken", Cluster.IsReady);
    }

    [Fact]
    public async Task Pods_of_a_crash_loop_image_crash_from_the_start_on_the_back_off_schedule()
    {
        var time = new FakeTimeProvider(Start);
        await using var cluster = await Cluster.StartAsync(c => new LocalNodesOptions
        {
            Client = c,
            TimeProvider = time,
            SimulatedImages = new Dictionary<string, SimulatedImageBehavior> { ["*gridgame-gameserver*"] = SimulatedImageBehavior.CrashLoop },
        });
        await cluster.CreatePodAsync(Pod("c"));

        var first = await cluster.PodWhenAsync("c", p => p.Status?.ContainerStatuses?.FirstOrDefault()?.RestartCount == 1);
        first.Status.ContainerStatuses[0].State.Waiting.Reason.Should().Be("CrashLoopBackOff");
        Cluster.IsReady(first).Should().BeFalse();
        time.Advance(TimeSpan.FromSeconds(10));
        await cluster.PodWhenAsync("c", p => p.Status.ContainerStatuses[0].RestartCount == 2);
    }

    [Fact]
    public async Task A_deleted_pod_is_removed_promptly_despite_its_grace_period()
    {
        await using var cluster = await Cluster.StartAsync(c => new LocalNodesOptions { Client = c });
        await cluster.CreatePodAsync(Pod("d"));
        await cluster.PodWhenAsync("d", Cluster.IsReady);

        await cluster.Client.CoreV1.DeleteNamespacedPodAsync("d", "default");

        await cluster.PodGoneAsync("d", TimeSpan.FromSeconds(5));
    }
}

public sealed class SimulatedNodeDownTests
{
    [Fact]
    public async Task A_node_taken_down_turns_its_pods_unready_and_gets_no_new_pods_until_it_returns()
    {
        await using var cluster = await Cluster.StartAsync(c => new LocalNodesOptions { Client = c, NodeCount = 2 });
        await cluster.CreatePodAsync(Pod("on-0").WithNodeSelector("kubernetes.io/hostname", "local-node-0"));
        await cluster.PodWhenAsync("on-0", Cluster.IsReady);

        await cluster.Nodes.SetNodeReadyAsync("local-node-0", false);

        await cluster.PodWhenAsync("on-0", p => !Cluster.IsReady(p));
        (await cluster.Client.CoreV1.ReadNodeAsync("local-node-0")).Status.Conditions.Single(c => c.Type == "Ready").Status.Should().Be("Unknown");
        await cluster.CreatePodAsync(Pod("new"));
        (await cluster.PodWhenAsync("new", p => p.Spec.NodeName is not null)).Spec.NodeName.Should().Be("local-node-1");

        await cluster.Nodes.SetNodeReadyAsync("local-node-0", true);

        await cluster.PodWhenAsync("on-0", Cluster.IsReady);
    }
}
