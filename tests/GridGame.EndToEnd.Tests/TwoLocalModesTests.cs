using GridGame.Crds;
using k8s;
using Microsoft.AspNetCore.SignalR.Client;

namespace GridGame.EndToEnd.Tests;

/// <summary>Two `gridgame-operator local` runs on one host (two developers, two worktrees, or two test runs) keep apart.</summary>
[Collection(OwnLocalModeCollection.Name)]
public sealed class TwoLocalModesTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task A_session_of_the_second_local_mode_is_played_on_that_mode_s_own_server()
    {
        await using var first = await LocalModeProcess.StartAsync();
        await using var second = await LocalModeProcess.StartAsync();
        foreach (var local in new[] { first, second })
        {
            await Eventually.UntilAsync(async () =>
                int.TryParse(await local.KubectlAsync("get", "gamefleet", "arena", "-o", "jsonpath={.status.readyReplicas}"), out var n) && n >= 2,
                Bound, "two Ready servers");
        }

        var created = await second.KubectlWithInputAsync("""
            apiVersion: gridgame.io/v1
            kind: GameSession
            metadata: { generateName: two-, namespace: default }
            spec: { fleetName: arena, players: [alice, bob] }
            """, "create", "-f", "-", "-o", "name");
        var name = created.Trim().Split('/')[1];
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(second.Kubeconfig));
        var status = await Eventually.ValueAsync(async () =>
            (await client.CustomObjects.GetNamespacedCustomObjectAsync<GameSession>(GridGameApi.Group, GridGameApi.Version, "default", GameSession.KubePluralName, name))
                .Status is { Phase: SessionPhase.Allocated, ServerName: not null } s ? s : null,
            Bound, $"session {name} Allocated");

        // The game servers of both runs listen on 127.0.0.1 and hostPorts from 7000 up: only one process per port can
        // bind, and the pod whose process could not is Ready all the same, because its probe reaches the other's.
        var server = await client.CoreV1.ReadNamespacedPodAsync(status.ServerName, "default");
        server.Status.ContainerStatuses.Should().OnlyContain(c => c.RestartCount == 0, "the server started once and kept its port");
        await using var alice = await GamePlayer.ConnectAsync(status, "alice", Bound);
        var join = alice.Connection.InvokeAsync<System.Text.Json.JsonElement>("JoinGame", name);
        (await join.WaitAsync(Bound)).GetProperty("session").GetString().Should().Be(name, "the player reached the server the session was given");
    }
}
