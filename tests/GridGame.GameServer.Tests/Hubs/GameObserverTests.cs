using System.Collections.Concurrent;
using GridGame.GameServer.Game;
using GridGame.GameServer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace GridGame.GameServer.Tests.Hubs;

/// <summary>What the Kubernetes agent relies on: a game opened by code, and every change reported to observers.</summary>
public sealed class GameObserverTests
{
    [Fact]
    public async Task Observers_see_a_game_opened_by_code_from_start_to_winner()
    {
        var observer = new RecordingObserver();
        await using var server = await RunningServer.StartAsync(
            new Dictionary<string, string?> { ["GridGame:Standalone"] = "false" },
            services => services.AddSingleton<IGameObserver>(observer));
        await server.Directory.OpenAsync("match-abc", new GameSettings { BoardSize = 1, MinPlayers = 2 }, ["alice", "bob"], CancellationToken.None);
        await using var alice = await server.ConnectAsync("alice");
        await using var bob = await server.ConnectAsync("bob");

        await alice.JoinAsync("match-abc");
        await bob.JoinAsync("match-abc");
        await bob.ClaimAsync(0, 0);

        observer.Changes.Select(c => (c.Kind, c.Player)).Should().Equal(
            (GameChangeKind.Opened, null),
            (GameChangeKind.PlayerJoined, "alice"),
            (GameChangeKind.PlayerJoined, "bob"),
            (GameChangeKind.Started, null),
            (GameChangeKind.CellClaimed, "bob"),
            (GameChangeKind.Finished, null));
        var last = observer.Changes.Last().Game;
        last.Should().BeEquivalentTo(new { Id = "match-abc", Phase = GamePhase.Finished, FinishReason = FinishReason.BoardFull, Winners = new[] { "bob" } });
        last.Players.Select(p => (p.Id, p.Score, p.Connected)).Should().Equal(("alice", 0, true), ("bob", 1, true));
    }

    private sealed class RecordingObserver : IGameObserver
    {
        private readonly ConcurrentQueue<GameChange> _changes = new();

        public IEnumerable<GameChange> Changes => _changes;

        public void OnGameChanged(GameChange change) => _changes.Enqueue(change);
    }
}
