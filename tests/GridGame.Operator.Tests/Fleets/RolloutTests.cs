using GridGame.Crds;
using GridGame.LocalCluster.Nodes;
using GridGame.Operator.Tests.Sessions;
using k8s;
using k8s.Models;

namespace GridGame.Operator.Tests.Fleets;

/// <summary>Blue-green rollouts end to end: LocalCluster, simulated kubelets, the operator's fleet and session controllers.</summary>
public sealed class RolloutTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(20);
    private const string BlueImage = "ghcr.io/owner/gridgame-gameserver:1.0.0";
    private const string GreenImage = "ghcr.io/owner/gridgame-gameserver:2.0.0";
    private const string NeverReadyImage = "ghcr.io/owner/gridgame-gameserver:never-ready";
    private const string OtherNeverReadyImage = "ghcr.io/owner/gridgame-gameserver:never-ready-again";
    private const string CrashingImage = "ghcr.io/owner/gridgame-gameserver:crashing";

    private static readonly Dictionary<string, SimulatedImageBehavior> BrokenImages = new()
    {
        ["*:never-ready*"] = SimulatedImageBehavior.NeverReady,
        ["*:crashing"] = SimulatedImageBehavior.CrashLoop,
    };

    private static string Revision(V1Pod pod) => pod.Metadata.Labels[WellKnown.RevisionLabel];

    private static string Image(V1Pod pod) => pod.Spec.Containers[0].Image;

    private static Task SetImageAsync(OperatorCluster cluster, string image) =>
        cluster.PatchFleetAsync("arena", new { spec = new { template = new { spec = new { containers = new[] { new { name = "gameserver", image } } } } } });

    private static Task<GameFleet> WaitForPhaseAsync(OperatorCluster cluster, RolloutPhase phase, Func<GameFleet, bool>? and = null) =>
        Eventually.ValueAsync(() => cluster.GetFleetAsync("arena"), f => f.Status?.Rollout?.Phase == phase && (and?.Invoke(f) ?? true), Within, $"rollout phase {phase}");

    private static async Task<string> StartBlueAsync(OperatorCluster cluster, int replicas = 2, Action<GameFleet>? configure = null)
    {
        var fleet = FleetBuilder.Fleet("arena", replicas);
        configure?.Invoke(fleet);
        await cluster.CreateFleetAsync(fleet);
        var ready = await Eventually.ValueAsync(() => cluster.ReadyPodsAsync("arena"), p => p.Count == replicas, Within, $"{replicas} blue servers");
        var blue = Revision(ready[0]);
        await Eventually.ValueAsync(() => cluster.GetFleetAsync("arena"), f => f.Status?.ActiveRevision == blue, Within, "blue is active");
        return blue;
    }

    [Fact]
    public async Task A_template_change_rolls_out_blue_to_green_without_deleting_an_allocated_server_and_sessions_then_go_to_green()
    {
        await using var cluster = await OperatorCluster.StartAsync();
        var blue = await StartBlueAsync(cluster);
        await cluster.CreateSessionAsync(SessionClient.Session("before"));
        var playing = (await cluster.WaitForPhaseAsync("before", SessionPhase.Allocated))!.Status!.ServerName;

        await SetImageAsync(cluster, GreenImage);

        var draining = await WaitForPhaseAsync(cluster, RolloutPhase.Draining);
        var green = draining.Status!.ActiveRevision!;
        green.Should().NotBe(blue);
        draining.Status.TargetRevision.Should().Be(green);
        draining.Status.Rollout!.StartedAt.Should().NotBeNull();
        draining.Status.Conditions.Should().Contain(c => c.Type == "Progressing" && c.Status == "True" && c.Reason == "Promoted");
        var pods = await Eventually.ValueAsync(() => cluster.PodsAsync("arena"), p => p.Count == 3, Within, "2 green + the playing blue server");
        pods.Where(p => Revision(p) == green).Should().HaveCount(2).And.OnlyContain(p => Image(p) == GreenImage);
        var stillPlaying = pods.Single(p => Revision(p) == blue);
        stillPlaying.Metadata.Name.Should().Be(playing);
        await Eventually.ValueAsync(() => cluster.PodsAsync("arena"),
            p => p.Any(x => x.Metadata.Name == playing && x.Metadata.Labels[WellKnown.StateLabel] == WellKnown.States.Draining), Within, "the playing blue server drains");

        await cluster.CreateSessionAsync(SessionClient.Session("after"));
        var server = (await cluster.WaitForPhaseAsync("after", SessionPhase.Allocated))!.Status!.ServerName;
        Revision((await cluster.PodsAsync("arena")).Single(p => p.Metadata.Name == server)).Should().Be(green);

        await cluster.FinishAsync("before");
        var complete = await WaitForPhaseAsync(cluster, RolloutPhase.Complete);
        complete.Status!.Conditions.Should().Contain(c => c.Type == "Progressing" && c.Status == "False" && c.Reason == "RolloutComplete");
        complete.Status.Conditions.Should().Contain(c => c.Type == "RolloutFailed" && c.Status == "False");
        (await cluster.PodsAsync("arena")).Should().OnlyContain(p => Revision(p) == green);
        var reasons = (await Eventually.ValueAsync(() => cluster.EventsAsync("arena"), e => e.Any(x => x.Reason == "RolloutComplete"), Within, "events")).Select(e => e.Reason);
        reasons.Should().Contain(["RolloutStarted", "Promoted", "RolloutComplete"]);
        // Blue's template is dropped once nothing can need it.
        await Eventually.ValueAsync(async () => (await cluster.Client.AppsV1.ListNamespacedControllerRevisionAsync(OperatorCluster.Namespace)).Items
            .Select(r => r.Metadata.Labels[WellKnown.RevisionLabel]).ToList(), r => r.SequenceEqual([green]), Within, "only green's ControllerRevision is left");
    }

    [Fact]
    public async Task Without_autoPromote_green_waits_for_kubectl_annotate_promote()
    {
        await using var cluster = await OperatorCluster.StartAsync(sessions: true);
        var blue = await StartBlueAsync(cluster, configure: f => f.Spec.Strategy = new FleetStrategy { BlueGreen = new BlueGreenStrategy { AutoPromote = false } });

        await SetImageAsync(cluster, GreenImage);
        var waiting = await WaitForPhaseAsync(cluster, RolloutPhase.AwaitingPromotion);
        var green = waiting.Status!.TargetRevision!;
        waiting.Status.ActiveRevision.Should().Be(blue);
        waiting.Status.Rollout!.Message.Should().Contain($"gridgame.io/promote={green}");
        await Eventually.ValueAsync(() => cluster.ReadyPodsAsync("arena"), p => p.Count(x => Revision(x) == green) == 2 && p.Count(x => Revision(x) == blue) == 2, Within, "blue and green side by side");

        await cluster.CreateSessionAsync(SessionClient.Session("while-waiting"));
        var server = (await cluster.WaitForPhaseAsync("while-waiting", SessionPhase.Allocated))!.Status!.ServerName;
        Revision((await cluster.PodsAsync("arena")).Single(p => p.Metadata.Name == server)).Should().Be(blue, "blue serves until promotion");

        // Scaling during the rollout: the desired count applies to green, and blue keeps serving beside it.
        await cluster.PatchFleetAsync("arena", new { spec = new { replicas = 3 } });
        await Eventually.ValueAsync(() => cluster.ReadyPodsAsync("arena"), p => p.Count(x => Revision(x) == green) == 3, Within, "green follows the new desired count");

        await Kubectl(cluster, $"annotate gamefleet arena {WellKnown.PromoteAnnotation}={green}");

        var promoted = await WaitForPhaseAsync(cluster, RolloutPhase.Draining);
        promoted.Status!.ActiveRevision.Should().Be(green);
        await Eventually.ValueAsync(() => cluster.PodsAsync("arena"),
            p => p.Count(x => Revision(x) == blue) == 1 && p.Single(x => Revision(x) == blue).Metadata.Name == server, Within, "blue's free servers go, its playing one stays");
        var columns = await Kubectl(cluster, "get gamefleet arena --no-headers");
        columns.Should().Contain(green).And.Contain("Draining");
    }

    [Fact]
    public async Task Green_never_Ready_fails_at_the_progress_deadline_and_blue_stays_intact_and_serving()
    {
        var clock = new ShiftedTimeProvider();
        await using var cluster = await OperatorCluster.StartAsync(simulatedImages: BrokenImages, operatorTime: clock);
        var blue = await StartBlueAsync(cluster, configure: f => f.Spec.Strategy = new FleetStrategy { BlueGreen = new BlueGreenStrategy { ProgressDeadlineSeconds = 600 } });
        var bluePods = (await cluster.PodsAsync("arena")).Select(p => p.Metadata.Name).ToList();

        await SetImageAsync(cluster, NeverReadyImage);
        var progressing = await WaitForPhaseAsync(cluster, RolloutPhase.Progressing, f => f.Status?.TargetRevision != blue);
        var green = progressing.Status!.TargetRevision!;
        await Eventually.ValueAsync(() => cluster.PodsAsync("arena"), p => p.Count(x => Revision(x) == green && x.Status?.Phase == "Running") == 2, Within, "2 green servers running, not Ready");
        (await cluster.GetFleetAsync("arena")).Status!.Rollout!.Phase.Should().Be(RolloutPhase.Progressing, "the deadline has not passed");

        clock.Advance(TimeSpan.FromSeconds(601));

        var failed = await WaitForPhaseAsync(cluster, RolloutPhase.Failed);
        failed.Status!.ActiveRevision.Should().Be(blue);
        failed.Status.TargetRevision.Should().Be(green);
        failed.Status.Rollout!.Message.Should().Contain("0 of 2 green servers Ready").And.Contain("600s");
        failed.Status.Conditions.Should().Contain(c => c.Type == "RolloutFailed" && c.Status == "True" && c.Reason == "ProgressDeadlineExceeded");
        var warning = await Eventually.ValueAsync(() => cluster.EventsAsync("arena", "RolloutFailed"), e => e.Count > 0, Within, "a RolloutFailed event");
        warning[0].Type.Should().Be("Warning");
        warning[0].Message.Should().Contain("progress deadline");
        var left = await Eventually.ValueAsync(() => cluster.PodsAsync("arena"), p => p.All(x => Revision(x) == blue), Within, "green is removed");
        left.Select(p => p.Metadata.Name).Should().BeEquivalentTo(bluePods, "blue is untouched");

        // The operator's clock is 10 minutes ahead of the session's creationTimestamp: give it room.
        await cluster.CreateSessionAsync(SessionClient.Session("after-failure", timeoutSeconds: 3600));
        var server = (await cluster.WaitForPhaseAsync("after-failure", SessionPhase.Allocated))!.Status!.ServerName;
        bluePods.Should().Contain(server);

        // A blue server lost after the failure comes back as blue, from the recorded revision, not from the spec.
        var lost = bluePods.First(p => p != server);
        await cluster.Client.CoreV1.DeleteNamespacedPodAsync(lost, OperatorCluster.Namespace);
        var replaced = await Eventually.ValueAsync(() => cluster.ReadyPodsAsync("arena"), p => p.Count == 1 && p[0].Metadata.Name != lost, Within, "the lost blue server is replaced");
        Revision(replaced[0]).Should().Be(blue);
        Image(replaced[0]).Should().Be(BlueImage);
        var still = await cluster.GetFleetAsync("arena");
        still.Status!.Rollout!.Phase.Should().Be(RolloutPhase.Failed, "no retry until the spec changes");
        (await cluster.PodsAsync("arena")).Should().OnlyContain(p => Revision(p) == blue);
    }

    [Fact]
    public async Task Green_crash_looping_past_maxRestarts_fails_the_rollout()
    {
        await using var cluster = await OperatorCluster.StartAsync(sessions: false, simulatedImages: BrokenImages);
        var blue = await StartBlueAsync(cluster, configure: f => f.Spec.Health!.MaxRestarts = 0);
        var bluePods = (await cluster.PodsAsync("arena")).Select(p => p.Metadata.Name).ToList();

        await SetImageAsync(cluster, CrashingImage);

        var failed = await WaitForPhaseAsync(cluster, RolloutPhase.Failed);
        failed.Status!.ActiveRevision.Should().Be(blue);
        failed.Status.Conditions.Should().Contain(c => c.Type == "RolloutFailed" && c.Status == "True" && c.Reason == "CrashLooping");
        failed.Status.Rollout!.Message.Should().Contain("maxRestarts 0");
        var left = await Eventually.ValueAsync(() => cluster.PodsAsync("arena"), p => p.All(x => Revision(x) == blue), Within, "green is removed");
        left.Select(p => p.Metadata.Name).Should().BeEquivalentTo(bluePods);
    }

    [Fact]
    public async Task A_blue_server_lost_during_a_rollout_is_replaced_by_a_blue_one()
    {
        await using var cluster = await OperatorCluster.StartAsync(sessions: false, simulatedImages: BrokenImages);
        var blue = await StartBlueAsync(cluster);
        await SetImageAsync(cluster, NeverReadyImage);
        var progressing = await WaitForPhaseAsync(cluster, RolloutPhase.Progressing, f => f.Status?.TargetRevision != blue);
        var green = progressing.Status!.TargetRevision!;
        await Eventually.ValueAsync(() => cluster.PodsAsync("arena"), p => p.Count(x => Revision(x) == green) == 2, Within, "green servers created");

        var lost = (await cluster.ReadyPodsAsync("arena")).First(p => Revision(p) == blue);
        cluster.Nodes.FailPod(OperatorCluster.Namespace, lost.Metadata.Name);

        var ready = await Eventually.ValueAsync(() => cluster.ReadyPodsAsync("arena"),
            p => p.Count(x => Revision(x) == blue) == 2 && p.All(x => x.Metadata.Name != lost.Metadata.Name), Within, "a blue replacement");
        ready.Should().OnlyContain(p => Image(p) == BlueImage);
        (await cluster.PodsAsync("arena")).Count(p => Revision(p) == green).Should().Be(2, "green is kept at the desired count too");
    }

    [Fact]
    public async Task Spec_back_to_active_ends_the_rollout_and_a_third_revision_supersedes_one_under_way()
    {
        await using var cluster = await OperatorCluster.StartAsync(sessions: false, simulatedImages: BrokenImages);
        var blue = await StartBlueAsync(cluster);

        await SetImageAsync(cluster, NeverReadyImage);
        var first = (await WaitForPhaseAsync(cluster, RolloutPhase.Progressing, f => f.Status?.TargetRevision != blue)).Status!.TargetRevision!;
        await Eventually.ValueAsync(() => cluster.PodsAsync("arena"), p => p.Any(x => Revision(x) == first), Within, "green servers");

        await SetImageAsync(cluster, BlueImage);
        var idle = await WaitForPhaseAsync(cluster, RolloutPhase.Idle, f => f.Status?.TargetRevision == blue);
        idle.Status!.ActiveRevision.Should().Be(blue);
        idle.Status.Conditions.Should().Contain(c => c.Type == "Progressing" && c.Reason == "RolloutAbandoned");
        await Eventually.ValueAsync(() => cluster.PodsAsync("arena"), p => p.Count == 2 && p.All(x => Revision(x) == blue), Within, "green removed, blue intact");

        await SetImageAsync(cluster, OtherNeverReadyImage);
        var second = (await WaitForPhaseAsync(cluster, RolloutPhase.Progressing, f => f.Status?.TargetRevision is { } t && t != blue && t != first)).Status!.TargetRevision!;
        await Eventually.ValueAsync(() => cluster.PodsAsync("arena"), p => p.Any(x => Revision(x) == second), Within, "green servers");
        await SetImageAsync(cluster, GreenImage);

        var complete = await WaitForPhaseAsync(cluster, RolloutPhase.Complete);
        complete.Status!.ActiveRevision.Should().NotBe(blue).And.NotBe(first).And.NotBe(second);
        var pods = await Eventually.ValueAsync(() => cluster.PodsAsync("arena"), p => p.Count == 2 && p.All(x => Image(x) == GreenImage), Within, "only the third revision is left");
        pods.Should().OnlyContain(p => Revision(p) == complete.Status.ActiveRevision);
        await Eventually.ValueAsync(() => cluster.EventsAsync("arena", "RolloutSuperseded"), e => e.Count > 0, Within, "event RolloutSuperseded");
        await Eventually.ValueAsync(() => cluster.EventsAsync("arena", "RolloutAbandoned"), e => e.Count > 0, Within, "event RolloutAbandoned");
    }

    [Fact]
    public async Task Deleting_a_fleet_mid_rollout_removes_free_servers_of_both_colours_and_drains_allocated_ones()
    {
        await using var cluster = await OperatorCluster.StartAsync(sessions: false, simulatedImages: BrokenImages);
        var blue = await StartBlueAsync(cluster);
        var playing = await cluster.MarkAllocatedAsync((await cluster.ReadyPodsAsync("arena"))[0]);
        await SetImageAsync(cluster, NeverReadyImage);
        await WaitForPhaseAsync(cluster, RolloutPhase.Progressing, f => f.Status?.TargetRevision != blue);
        await Eventually.ValueAsync(() => cluster.PodsAsync("arena"), p => p.Count == 4, Within, "blue and green");

        await cluster.DeleteFleetAsync("arena");

        var left = await Eventually.ValueAsync(() => cluster.PodsAsync("arena"), p => p.Count == 1, Within, "only the playing server is left");
        left[0].Metadata.Name.Should().Be(playing.Metadata.Name);
        await cluster.Client.CoreV1.DeleteNamespacedPodAsync(playing.Metadata.Name, OperatorCluster.Namespace);
        await Eventually.UntilAsync(async () => !await cluster.FleetExistsAsync("arena"), Within, "the drained fleet is gone");
    }

    [Fact]
    public async Task A_rollout_survives_an_operator_restart_and_keeps_its_deadline()
    {
        var clock = new ShiftedTimeProvider();
        await using var cluster = await OperatorCluster.StartAsync(sessions: false, simulatedImages: BrokenImages, operatorTime: clock);
        var blue = await StartBlueAsync(cluster);
        await SetImageAsync(cluster, NeverReadyImage);
        var started = (await WaitForPhaseAsync(cluster, RolloutPhase.Progressing, f => f.Status?.TargetRevision != blue)).Status!.Rollout!.StartedAt;

        await cluster.KillOperatorAsync();
        clock.Advance(TimeSpan.FromSeconds(300));
        await cluster.StartOperatorAsync();
        // A scale-up the new operator must act on: its status write shows it has reconciled the rollout.
        await cluster.PatchFleetAsync("arena", new { spec = new { replicas = 3 } });
        var resumed = await WaitForPhaseAsync(cluster, RolloutPhase.Progressing, f => f.Status?.Rollout?.Message?.Contains("0 of 3", StringComparison.Ordinal) == true);
        resumed.Status!.Rollout!.StartedAt.Should().Be(started, "the new operator continues the rollout recorded in the status");

        clock.Advance(TimeSpan.FromSeconds(301));
        var failed = await WaitForPhaseAsync(cluster, RolloutPhase.Failed);
        failed.Status!.ActiveRevision.Should().Be(blue);
        (await cluster.EventsAsync("arena", "RolloutStarted")).Should().ContainSingle("a restart does not start the rollout again");
    }

    [Fact]
    public async Task Without_its_ControllerRevision_blue_is_not_rebuilt_from_the_green_spec_and_a_warning_says_why()
    {
        await using var cluster = await OperatorCluster.StartAsync(sessions: false, simulatedImages: BrokenImages);
        var blue = await StartBlueAsync(cluster);
        await SetImageAsync(cluster, NeverReadyImage);
        await WaitForPhaseAsync(cluster, RolloutPhase.Progressing, f => f.Status?.TargetRevision != blue);
        await cluster.Client.AppsV1.DeleteNamespacedControllerRevisionAsync(FleetControllerRevisionName(blue), OperatorCluster.Namespace);

        var lost = (await cluster.ReadyPodsAsync("arena")).First(p => Revision(p) == blue);
        await cluster.Client.CoreV1.DeleteNamespacedPodAsync(lost.Metadata.Name, OperatorCluster.Namespace);

        var warning = await Eventually.ValueAsync(() => cluster.EventsAsync("arena", "RevisionMissing"), e => e.Count > 0, Within, "a RevisionMissing warning");
        warning[0].Type.Should().Be("Warning");
        (await cluster.PodsAsync("arena")).Where(p => Revision(p) == blue).Should().ContainSingle()
            .Which.Spec.Containers[0].Image.Should().Be(BlueImage, "no pod labelled blue is ever made from green's spec");
    }

    private static string FleetControllerRevisionName(string revision) => $"arena-{revision}";

    [Fact]
    public async Task The_manual_promotion_sample_waits_for_promotion_after_an_image_change()
    {
        await using var cluster = await OperatorCluster.StartAsync(sessions: false);
        var sample = KubernetesYaml.Deserialize<GameFleet>(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "config", "samples", "gamefleet-manual-promotion.yaml")));
        await cluster.CreateFleetAsync(sample);
        var blue = await Eventually.ValueAsync(() => cluster.GetFleetAsync("duel"), f => f.Status?.ReadyReplicas == 2, Within, "the sample's servers");

        await cluster.PatchFleetAsync("duel", new { spec = new { template = new { spec = new { containers = new[] { new { name = "gameserver", image = "gridgame-gameserver:dev2" } } } } } });

        var waiting = await Eventually.ValueAsync(() => cluster.GetFleetAsync("duel"), f => f.Status?.Rollout?.Phase == RolloutPhase.AwaitingPromotion, Within, "AwaitingPromotion");
        waiting.Status!.ActiveRevision.Should().Be(blue.Status!.ActiveRevision);
        await Eventually.ValueAsync(() => cluster.EventsAsync("duel", "AwaitingPromotion"), e => e.Count > 0, Within, "event AwaitingPromotion");
    }

    private static Task<string> Kubectl(OperatorCluster cluster, string args) => Tests.Kubectl.RunAsync(cluster, args);
}
