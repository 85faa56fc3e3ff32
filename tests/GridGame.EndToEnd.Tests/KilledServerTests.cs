using System.Diagnostics;
using System.Text.Json;
using GridGame.Crds;
using k8s;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace GridGame.EndToEnd.Tests;

/// <summary>
/// A game server of `gridgame-operator local` (in-memory store) SIGKILLed mid-game and restarted in place by the
/// process kubelet: its game is gone with its memory, so the session must end ServerLost rather than carry on with
/// an empty board under the same name.
/// </summary>
[Collection(LocalModeCollection.Name)]
public sealed class KilledServerTests(LocalModeFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    private LocalModeProcess Local => fixture.Local;

    [Fact]
    public async Task A_game_server_killed_mid_game_fails_its_session_ServerLost_never_starts_a_second_game_and_is_replaced()
    {
        var created = await Local.KubectlWithInputAsync("""
            apiVersion: gridgame.io/v1
            kind: GameSession
            metadata: { generateName: killed-, namespace: default }
            spec:
              fleetName: arena
              players: [alice, bob]
              game: { boardSize: 4, minPlayers: 2 }
            """, "create", "-f", "-", "-o", "name");
        var name = created.Trim().Split('/')[1];
        await Local.KubectlAsync("wait", $"gamesession/{name}", "--for=jsonpath={.status.phase}=Allocated", "--timeout=90s");
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Local.Kubeconfig));
        var status = (await GetSessionAsync(client, name)).Status!;
        var server = status.ServerName!;

        await using var alice = await GamePlayer.ConnectAsync(status, "alice", Bound);
        await using var bob = await GamePlayer.ConnectAsync(status, "bob", Bound);
        await alice.JoinAsync(name);
        await bob.JoinAsync(name);
        for (var cell = 0; cell < 6; cell++)
        {
            await (cell % 2 == 0 ? alice : bob).ClaimAsync(cell / 4, cell % 4);
        }
        // The status is the server's record of what it served: the kill comes after the game is in it.
        await Eventually.UntilAsync(async () => (await GetSessionAsync(client, name)).Status is { Phase: SessionPhase.Running, Players.Count: 2 },
            Bound, $"session {name} Running with both players");
        alice.GameStarts.Should().Be(1);

        var pid = GameServerProcess(server);
        using (var process = Process.GetProcessById(pid))
        {
            process.Kill(); // SIGKILL
        }
        await alice.Closed.Task.WaitAsync(Bound);
        await bob.Closed.Task.WaitAsync(Bound);

        // The kubelet restarts the container in place (the pod keeps its name and address); the restarted server
        // refuses the session it cannot recover.
        // Both players poll together and briskly: the operator releases the server soon after the session fails, and
        // a draining server refuses joins for that reason instead.
        var rejoins = await Task.WhenAll(RejoinAsync(status, "alice", name), RejoinAsync(status, "bob", name));
        await using var alice2 = rejoins[0];
        await using var bob2 = rejoins[1];
        alice2.Refusal.Should().Contain("HubException: game lost: the game server restarted");
        bob2.Refusal.Should().Contain("HubException: game lost: the game server restarted");

        var failed = await Eventually.ValueAsync(async () =>
        {
            var s = await GetSessionAsync(client, name);
            return s.Status?.Phase is SessionPhase.Failed or SessionPhase.Finished ? s : null;
        }, Bound, $"session {name} ends");
        failed.Status!.Phase.Should().Be(SessionPhase.Failed);
        failed.Status.Reason.Should().Be(WellKnown.SessionReasons.ServerLost);
        failed.Status.Message.Should().Contain("could not recover the game");
        new[] { alice.GameStarts, bob.GameStarts, alice2.Player.GameStarts, bob2.Player.GameStarts }.Should().Equal(1, 1, 0, 0);

        // The operator gives the server back and the fleet makes a fresh one in its place.
        await Eventually.UntilAsync(async () =>
        {
            var pods = await Local.KubectlAsync("get", "pods", "-l", $"{WellKnown.FleetLabel}=arena", "-o", "jsonpath={.items[*].metadata.name}");
            return !pods.Split(' ').Contains(server);
        }, Bound, $"server {server} is released");
        await Eventually.UntilAsync(async () =>
        {
            var ready = await Local.KubectlAsync("get", "gamefleet", "arena", "-o", "jsonpath={.status.readyReplicas}");
            return int.TryParse(ready, out var n) && n >= 2;
        }, Bound, "the fleet is back to two Ready servers");
    }

    /// <summary>
    /// A player reconnecting to the session's address and joining again, tried every 100 ms while the server is down
    /// or its agent has not seen the session yet; the result is the refusal (or a note that the join was let in).
    /// </summary>
    private static async Task<Rejoin> RejoinAsync(GameSessionStatus status, string id, string session)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (true)
        {
            GamePlayer? player = null;
            try
            {
                player = await GamePlayer.ConnectAsync(status, id, Bound);
                var snapshot = await player.Connection.InvokeAsync<JsonElement>("JoinGame", session);
                return new Rejoin(player, $"joined: {snapshot}");
            }
            catch (HubException ex) when (!ex.Message.Contains("no such session on this server", StringComparison.Ordinal))
            {
                return new Rejoin(player!, ex.Message);
            }
            catch (Exception ex) when (ex is HttpRequestException or HubException or TaskCanceledException or IOException)
            {
                if (player is not null)
                {
                    await player.DisposeAsync();
                }
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"{id} could not reach the restarted server within {Bound}: {ex.Message}", ex);
                }
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }

    /// <summary>The game-server process of the pod: its environment names this cluster's kubeconfig and the pod.</summary>
    private int GameServerProcess(string pod)
    {
        var marker = "POD_NAME=" + pod + "\0";
        foreach (var pid in Local.LeftoverProcesses())
        {
            try
            {
                var environ = "\0" + File.ReadAllText($"/proc/{pid}/environ") + "\0";
                var cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
                if (environ.Contains("\0" + marker, StringComparison.Ordinal) && cmdline.Contains("GridGame.GameServer", StringComparison.Ordinal))
                {
                    return pid;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // gone meanwhile
            }
        }
        throw new InvalidOperationException($"no game-server process for pod {pod}");
    }

    private static async Task<GameSession> GetSessionAsync(Kubernetes client, string name) =>
        await client.CustomObjects.GetNamespacedCustomObjectAsync<GameSession>(GridGameApi.Group, GridGameApi.Version, "default", GameSession.KubePluralName, name);

    private sealed record Rejoin(GamePlayer Player, string Refusal) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Player.DisposeAsync();
    }
}
