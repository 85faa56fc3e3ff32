using GridGame.Crds;
using k8s;
using k8s.Models;
using Xunit.Abstractions;

namespace GridGame.EndToEnd.Tests;

/// <summary>
/// The blue-green rollout as ops meet it (docs/guides/fleets.md, "Rollouts"): `kubectl patch` of the sample fleet in `gridgame-operator local`,
/// with real game-server processes and real SignalR players. Each test has its own local mode, because it changes
/// the fleet that the tests of <see cref="LocalModeCollection"/> play on, and so runs alone (<see cref="OwnLocalModeCollection"/>).
/// </summary>
[Collection(OwnLocalModeCollection.Name)]
public sealed class RolloutEndToEndTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Ns = "default";
    private const string Fleet = "arena";

    // Generous for a loaded 2-core machine; a passing run takes seconds.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private LocalModeProcess _local = null!;
    private Kubernetes _client = null!;

    public async Task InitializeAsync()
    {
        _local = await LocalModeProcess.StartAsync();
        Step("local mode started");
        _client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_local.Kubeconfig));
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_local is not null)
        {
            Step("test done");
            await _local.DisposeAsync();
            Step("local mode stopped");
        }
    }

    /// <summary>Where the time goes, in the test's output: the project's run time is watched.</summary>
    private void Step(string what) => output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:F1} s  {what}");

    [Fact]
    public async Task A_game_setting_change_rolls_out_to_green_while_the_game_on_blue_plays_on_and_blue_goes_when_that_game_ends()
    {
        var blue = await SettledRevisionAsync();
        Step($"fleet settled at {blue}");
        var (first, firstStatus) = await CreateSessionAsync("alice", "bob", boardSize: 3);
        var blueServer = firstStatus.ServerName!;
        (await PodAsync(blueServer)).Metadata.Labels[WellKnown.RevisionLabel].Should().Be(blue);

        await using var alice = await GamePlayer.ConnectAsync(firstStatus, "alice", Bound);
        await using var bob = await GamePlayer.ConnectAsync(firstStatus, "bob", Bound);
        (await alice.JoinAsync(first)).GetProperty("boardSize").GetInt32().Should().Be(3);
        await bob.JoinAsync(first);
        Step($"joined {first} ({alice.EarlyJoins + bob.EarlyJoins} joins refused as too early)");
        // Nine cells, alice on the even ones: she wins 5-4 if every claim, before and after the rollout, counts.
        await PlayAsync(alice, bob, 0, 2);

        await using var phases = await WatchFleetPhasesAsync();
        await _local.KubectlAsync("patch", "gamefleet", Fleet, "--type=merge", "-p", """{"spec":{"game":{"boardSize":6}}}""");
        Step("patched spec.game.boardSize");

        var green = await Eventually.ValueAsync(async () =>
            (await FleetAsync()).Status?.TargetRevision is { } target && target != blue ? target : null, Bound, "a rollout towards a new revision");
        // While green's servers start (seconds: they are real processes), the game on blue goes on.
        await PlayAsync(alice, bob, 2, 3);

        var promoted = await Eventually.ValueAsync(async () =>
        {
            var fleet = await FleetAsync();
            return fleet.Status?.ActiveRevision == green ? fleet : null;
        }, Bound, $"green {green} promoted");
        Step($"promoted {green}");
        promoted.Status!.Rollout!.Phase.Should().Be(RolloutPhase.Draining, "blue's server still plays a game");
        promoted.Status.TargetRevision.Should().Be(green);
        // The controller writes the fleet's status before it labels blue's servers.
        var bluePod = await Eventually.ValueAsync(async () =>
            await PodAsync(blueServer) is var pod && State(pod) == WellKnown.States.Draining ? pod : null, Bound, $"blue's server {blueServer} Draining");
        bluePod.Metadata.Labels[WellKnown.RevisionLabel].Should().Be(blue);
        bluePod.Metadata.DeletionTimestamp.Should().BeNull("an Allocated server is never deleted by a rollout");
        var greenReady = await Eventually.ValueAsync(async () =>
        {
            var ready = (await PodsAsync()).Count(p => Revision(p) == green && State(p) == WellKnown.States.Ready && IsReady(p));
            return ready >= promoted.Spec.Replicas ? (int?)ready : null;
        }, Bound, $"{promoted.Spec.Replicas} Ready green servers");
        greenReady.Should().BeGreaterThanOrEqualTo(promoted.Spec.Replicas ?? 1);
        await Eventually.UntilAsync(
            async () => (await PodsAsync()).Where(p => Revision(p) == blue).Select(p => p.Metadata.Name).SequenceEqual([blueServer]),
            Bound, "blue's free servers gone, its server in play kept");
        await PlayAsync(alice, bob, 3, 4);

        // A new match goes to green, which runs the new game settings.
        var (second, secondStatus) = await CreateSessionAsync("carol", "dave", boardSize: null);
        (await PodAsync(secondStatus.ServerName!)).Metadata.Labels[WellKnown.RevisionLabel].Should().Be(green);
        await using var carol = await GamePlayer.ConnectAsync(secondStatus, "carol", Bound);
        await using var dave = await GamePlayer.ConnectAsync(secondStatus, "dave", Bound);
        (await carol.JoinAsync(second)).GetProperty("boardSize").GetInt32().Should().Be(6);
        await dave.JoinAsync(second);
        Step($"joined {second} ({carol.EarlyJoins + dave.EarlyJoins} joins refused as too early)");
        await carol.ClaimAsync(0, 0);
        await dave.ClaimAsync(5, 5);

        await PlayAsync(alice, bob, 4, 9);
        var over = await alice.GameOver.Task.WaitAsync(Bound);
        Step("blue's game over");
        over.GetProperty("winners").EnumerateArray().Select(w => w.GetString()).Should().Equal("alice");
        (alice.Claims, bob.Claims).Should().Be((5, 4));
        foreach (var player in new[] { alice, bob })
        {
            player.DrainNoticesDuringGame.Should().BeEmpty("the game on blue is never told to leave");
            player.Closed.Task.IsCompleted.Should().BeFalse("the game on blue is never disconnected");
            player.Connection.State.Should().Be(Microsoft.AspNetCore.SignalR.Client.HubConnectionState.Connected);
        }

        // Players leave a finished game, so its server, stopped once the session is Finished, need not wait for them.
        await alice.DisposeAsync();
        await bob.DisposeAsync();

        var complete = await Eventually.ValueAsync(async () =>
        {
            var fleet = await FleetAsync();
            return fleet.Status?.Rollout?.Phase == RolloutPhase.Complete ? fleet : null;
        }, Bound, "the rollout Complete once blue's game is over");
        Step("rollout Complete");
        complete.Status!.ActiveRevision.Should().Be(green);
        complete.Status.TargetRevision.Should().Be(green);
        Condition(complete, WellKnown.FleetConditions.Progressing).Should().Match<V1Condition>(c => c.Status == "False" && c.Reason == WellKnown.FleetReasons.RolloutComplete);
        await Eventually.UntilAsync(async () => (await PodsAsync()).All(p => Revision(p) == green), Bound, "no blue server left");
        (await PodsAsync()).Select(p => p.Metadata.Name).Should().NotContain(blueServer);
        var firstFinished = (await SessionAsync(first)).Status!;
        firstFinished.Phase.Should().Be(SessionPhase.Finished);
        firstFinished.Winner.Should().Be("alice");
        firstFinished.ServerName.Should().Be(blueServer, "the game stayed on its blue server from start to end");

        phases.Error.Should().BeNull();
        phases.Values.Should().ContainInOrder(nameof(RolloutPhase.Progressing), nameof(RolloutPhase.Draining), nameof(RolloutPhase.Complete));
        // Events carry second-resolution times, so their order is the watch's to prove (above); here, that each was recorded.
        string[] expected = [WellKnown.FleetReasons.RolloutStarted, WellKnown.FleetReasons.Promoted, WellKnown.FleetReasons.RolloutComplete];
        var reasons = await Eventually.ValueAsync(async () =>
            (await FleetEventsAsync()).Select(e => e.Reason).ToList() is var seen && expected.All(seen.Contains) ? seen : null, Bound, "the rollout's Events");
        reasons.Should().NotContain("RolloutFailed");
    }

    [Fact]
    public async Task A_green_that_never_becomes_Ready_fails_at_its_deadline_and_blue_keeps_serving_new_games()
    {
        var blue = await SettledRevisionAsync();
        Step($"fleet settled at {blue}");
        await using var revisions = await WatchLog<V1Pod>.StartAsync(
            token => _client.CoreV1.ListNamespacedPodWithHttpMessagesAsync(Ns, labelSelector: $"{WellKnown.FleetLabel}={Fleet}", watch: true, cancellationToken: token),
            Revision, Bound);

        // An image the process kubelet has no program for: green's servers never start. The deadline is short because
        // it runs in real time.
        await _local.KubectlAsync("patch", "gamefleet", Fleet, "--type=json", "-p", """
            [
              { "op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "registry.example/not-mapped:2.0.0" },
              { "op": "add", "path": "/spec/strategy", "value": { "type": "BlueGreen", "blueGreen": { "autoPromote": true, "readyPercent": 100, "progressDeadlineSeconds": 5 } } }
            ]
            """);

        var failed = await Eventually.ValueAsync(async () =>
        {
            var fleet = await FleetAsync();
            return fleet.Status?.Rollout?.Phase == RolloutPhase.Failed ? fleet : null;
        }, Bound, "the rollout Failed");
        Step("rollout Failed");
        var green = failed.Status!.TargetRevision;
        failed.Status.ActiveRevision.Should().Be(blue);
        green.Should().NotBe(blue);
        failed.Status.Rollout!.Message.Should().NotBeNullOrEmpty();
        Condition(failed, WellKnown.FleetConditions.RolloutFailed).Should().Match<V1Condition>(c => c.Status == "True" && c.Reason == WellKnown.FleetReasons.ProgressDeadlineExceeded);
        Condition(failed, WellKnown.FleetConditions.Progressing).Should().Match<V1Condition>(c => c.Status == "False");
        var warning = await Eventually.ValueAsync(async () =>
            (await FleetEventsAsync()).FirstOrDefault(e => e.Reason == "RolloutFailed"), Bound, "a RolloutFailed Event");
        warning.Type.Should().Be("Warning");
        warning.Message.Should().NotBeNullOrEmpty();

        revisions.Values.Should().Contain(green, "green's servers were made, and failed to start");
        await Eventually.UntilAsync(async () => (await PodsAsync()).All(p => Revision(p) == blue), Bound, "green's servers removed");
        (await FleetAsync()).Status!.ActiveRevision.Should().Be(blue);

        // Blue still takes new games, and they play to the end.
        var (session, status) = await CreateSessionAsync("erin", "frank", boardSize: 3);
        (await PodAsync(status.ServerName!)).Metadata.Labels[WellKnown.RevisionLabel].Should().Be(blue);
        await using var erin = await GamePlayer.ConnectAsync(status, "erin", Bound);
        await using var frank = await GamePlayer.ConnectAsync(status, "frank", Bound);
        await erin.JoinAsync(session);
        await frank.JoinAsync(session);
        Step($"joined {session} ({erin.EarlyJoins + frank.EarlyJoins} joins refused as too early)");
        await PlayAsync(erin, frank, 0, 9);
        (await erin.GameOver.Task.WaitAsync(Bound)).GetProperty("winners").EnumerateArray().Select(w => w.GetString()).Should().Equal("erin");
        await Eventually.UntilAsync(async () => (await SessionAsync(session)).Status?.Phase == SessionPhase.Finished, Bound, $"session {session} Finished");
        (await FleetAsync()).Status!.Rollout!.Phase.Should().Be(RolloutPhase.Failed, "a failed rollout is not retried while the spec is unchanged");
    }

    /// <summary>Waits for the fleet's servers and a settled rollout state; returns the active revision.</summary>
    private Task<string> SettledRevisionAsync() => Eventually.ValueAsync(async () =>
    {
        var fleet = await FleetAsync();
        return fleet.Status is { ReadyReplicas: >= 2, ActiveRevision: { } active } status
            && status.TargetRevision == active
            && status.Rollout?.Phase is null or RolloutPhase.Idle or RolloutPhase.Complete
            ? active
            : null;
    }, Bound, "fleet arena with two Ready servers and no rollout");

    /// <summary>Cells <paramref name="from"/> to <paramref name="to"/> (exclusive) of a 3×3 board, row-major; the first player takes the even ones.</summary>
    private static async Task PlayAsync(GamePlayer even, GamePlayer odd, int from, int to)
    {
        for (var cell = from; cell < to; cell++)
        {
            await (cell % 2 == 0 ? even : odd).ClaimAsync(cell / 3, cell % 3);
        }
    }

    private async Task<(string Name, GameSessionStatus Status)> CreateSessionAsync(string player1, string player2, int? boardSize)
    {
        var game = boardSize is { } size ? $"game: {{ boardSize: {size}, minPlayers: 2 }}" : "game: { minPlayers: 2 }";
        var created = await _local.KubectlWithInputAsync($$"""
            apiVersion: gridgame.io/v1
            kind: GameSession
            metadata: { generateName: rollout-, namespace: {{Ns}} }
            spec:
              fleetName: {{Fleet}}
              players: [{{player1}}, {{player2}}]
              {{game}}
            """, "create", "-f", "-", "-o", "name");
        var name = created.Trim().Split('/')[1];
        var status = await Eventually.ValueAsync(async () =>
            (await SessionAsync(name)).Status is { Phase: SessionPhase.Allocated or SessionPhase.Running, ServerName: not null } s ? s : null,
            Bound, $"session {name} Allocated");
        Step($"session {name} Allocated on {status.ServerName}");

        // The binding ends with the label its server's agent watches for (the status comes first).
        await Eventually.UntilAsync(async () =>
            (await SessionAsync(name)).Metadata.Labels?.TryGetValue(WellKnown.ServerLabel, out var server) == true && server == status.ServerName,
            Bound, $"session {name} labelled for its server");
        Step($"session {name} labelled {WellKnown.ServerLabel}");
        return (name, status);
    }

    private Task<WatchLog<GameFleet>> WatchFleetPhasesAsync() => WatchLog<GameFleet>.StartAsync(
        token => _client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync(
            GridGameApi.Group, GridGameApi.Version, Ns, GameFleet.KubePluralName, timeoutSeconds: 600, watch: true, cancellationToken: token),
        fleet => fleet.Metadata.Name == Fleet ? fleet.Status?.Rollout?.Phase?.ToString() : null,
        Bound);

    private async Task<GameFleet> FleetAsync() =>
        await _client.CustomObjects.GetNamespacedCustomObjectAsync<GameFleet>(GridGameApi.Group, GridGameApi.Version, Ns, GameFleet.KubePluralName, Fleet);

    private async Task<GameSession> SessionAsync(string name) =>
        await _client.CustomObjects.GetNamespacedCustomObjectAsync<GameSession>(GridGameApi.Group, GridGameApi.Version, Ns, GameSession.KubePluralName, name);

    private async Task<V1Pod> PodAsync(string name) => await _client.CoreV1.ReadNamespacedPodAsync(name, Ns);

    private async Task<IList<V1Pod>> PodsAsync() =>
        (await _client.CoreV1.ListNamespacedPodAsync(Ns, labelSelector: $"{WellKnown.FleetLabel}={Fleet}")).Items;

    private async Task<IList<Corev1Event>> FleetEventsAsync() =>
        [.. (await _client.CoreV1.ListNamespacedEventAsync(Ns)).Items.Where(e => e.InvolvedObject.Kind == GameFleet.KubeKind && e.InvolvedObject.Name == Fleet)];

    private static V1Condition? Condition(GameFleet fleet, string type) => fleet.Status?.Conditions?.FirstOrDefault(c => c.Type == type);

    private static string? Revision(V1Pod pod) => pod.Metadata.Labels?.TryGetValue(WellKnown.RevisionLabel, out var r) == true ? r : null;

    private static string? State(V1Pod pod) => pod.Metadata.Labels?.TryGetValue(WellKnown.StateLabel, out var s) == true ? s : null;

    private static bool IsReady(V1Pod pod) => pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;
}
