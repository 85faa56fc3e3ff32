using GridGame.Crds;
using GridGame.GameServer.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;

namespace GridGame.GameServer.Tests.Agent;

/// <summary>
/// The agent against LocalCluster's API server (real KubernetesClient, real watch), with the game server restarted in
/// place: the same pod name served by a new host, as the kubelet restarts a killed process.
/// </summary>
public sealed class SessionAgentTests
{
    [Fact]
    public async Task A_server_restarted_with_an_empty_memory_store_fails_the_session_it_served_instead_of_opening_an_empty_game()
    {
        await using var cluster = await SessionCluster.StartAsync();
        await cluster.CreateAllocatedAsync("match-memory", "gs-memory", "alice", "bob");
        var settings = cluster.ServerSettings("gs-memory");
        settings["GridGame:Game:MinPlayers"] = "2";
        var first = await RunningServer.StartAsync(settings);
        await Eventually.UntilAsync(() => Task.FromResult(first.Directory.Find("match-memory") is not null), "the agent opens the fresh session's game");
        await using var alice = await first.ConnectAsync("alice");
        await using var bob = await first.ConnectAsync("bob");
        await alice.JoinAsync("match-memory");
        await bob.JoinAsync("match-memory");
        await alice.ClaimAsync(0, 0);
        await bob.ClaimAsync(1, 1);
        var played = await cluster.WaitForAsync("match-memory", s => s.Phase == SessionPhase.Running && s.Players?.Sum(p => p.Score) == 2, "the session runs with both claims");
        // The server goes with its players still in the game (they do not leave it: their connections drop).
        await first.DisposeAsync();

        await using var second = await RunningServer.StartAsync(settings);

        var lost = await cluster.WaitForAsync("match-memory", s => s.Phase != SessionPhase.Running, "the restarted server reports the session");
        lost.Status!.Phase.Should().Be(SessionPhase.Failed);
        lost.Status.Reason.Should().Be(WellKnown.SessionReasons.ServerLost);
        lost.Status.Message.Should().Contain("restarted").And.Contain("could not recover");
        lost.Status.StartedAt.Should().Be(played.Status!.StartedAt, "no second game started under the session's name");
        lost.Status.Players!.Select(p => (p.Id, p.Score)).Should().BeEquivalentTo([("alice", 1), ("bob", 1)]);
        second.Directory.Find("match-memory").Should().BeNull();
        await using var back = await second.ConnectAsync("alice");
        var join = () => back.JoinAsync("match-memory");
        await join.Should().ThrowAsync<HubException>().WithMessage("*game lost*restarted*");
        second.Directory.Find("match-memory").Should().BeNull();
    }

    [Fact]
    public async Task A_game_recovered_from_Redis_after_a_restart_reports_its_players_scores_and_finish()
    {
        await using var cluster = await SessionCluster.StartAsync();
        await cluster.CreateAllocatedAsync("match-redis", "gs-redis", "alice", "bob");
        var settings = cluster.ServerSettings("gs-redis");
        settings["GridGame:Game:MinPlayers"] = "2";
        settings["GridGame:Game:BoardSize"] = "3";
        settings["ConnectionStrings:Redis"] = TestServices.Redis;
        settings["GridGame:RedisPrefix"] = TestServices.RedisPrefix();
        var first = await RunningServer.StartAsync(settings);
        await Eventually.UntilAsync(() => Task.FromResult(first.Directory.Find("match-redis") is not null), "the agent opens the session's game");
        await using var alice = await first.ConnectAsync("alice");
        await using var bob = await first.ConnectAsync("bob");
        await alice.JoinAsync("match-redis");
        await bob.JoinAsync("match-redis");
        await alice.ClaimAsync(0, 0);
        await cluster.WaitForAsync("match-redis", s => s.Phase == SessionPhase.Running && s.Players?.Sum(p => p.Score) == 1, "the session runs with the first claim");
        // The server goes with its players still in the game (they do not leave it: their connections drop).
        await first.DisposeAsync();

        // The restarted server recovers the game from Redis before its agent sees the session: unbound while it starts,
        // the session reaches the agent only once the game is open (when both race, the agent is often first).
        await cluster.BindAsync("match-redis", null);
        await using var second = await RunningServer.StartAsync(settings);
        await Eventually.UntilAsync(() => Task.FromResult(second.Directory.Find("match-redis") is not null), "the restarted server recovers the game from Redis");
        await cluster.BindAsync("match-redis", "gs-redis");
        await using var aliceAgain = await second.ConnectAsync("alice");
        await using var bobAgain = await second.ConnectAsync("bob");
        (await aliceAgain.JoinAsync("match-redis")).Cells[0].Should().Be("alice", "the game is recovered from Redis");
        await bobAgain.JoinAsync("match-redis");
        await bobAgain.ClaimAsync(1, 1);
        foreach (var (row, col) in new[] { (0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1), (2, 2) })
        {
            await aliceAgain.ClaimAsync(row, col);
        }

        var finished = await cluster.WaitForAsync("match-redis", s => s.Phase == SessionPhase.Finished, "the recovered game's finish reaches its session");
        finished.Status!.Winner.Should().Be("alice");
        finished.Status.Reason.Should().Be("BoardFull");
        finished.Status.Players!.Select(p => (p.Id, p.Score)).Should().BeEquivalentTo([("alice", 8), ("bob", 1)]);
    }
}
