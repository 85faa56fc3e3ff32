using GridGame.GameServer.Game;

namespace GridGame.GameServer.Stores;

/// <summary>The embedded default: games in this process's memory, gone when it exits.</summary>
internal sealed class InMemoryGameStore : IGameStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, GameState> _games = new(StringComparer.Ordinal);
    private readonly LinkedList<GameEvent> _unacknowledged = new();

    public string Name => "memory";

    public Task<bool> IsReachableAsync(CancellationToken cancellationToken) => Task.FromResult(true);

    public Task<GameState> CreateAsync(GameState initial, GameEvent opened, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_games.TryGetValue(initial.Id, out var existing))
            {
                return Task.FromResult(existing);
            }
            _games[initial.Id] = initial;
            _unacknowledged.AddLast(opened);
            return Task.FromResult(initial);
        }
    }

    public Task<GameState?> LoadAsync(string gameId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_games.GetValueOrDefault(gameId));
        }
    }

    public Task<IReadOnlyList<string>> ListUnfinishedAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            IReadOnlyList<string> ids = [.. _games.Values.Where(g => g.Phase != GamePhase.Finished).Select(g => g.Id)];
            return Task.FromResult(ids);
        }
    }

    public Task<StoreClaim> ClaimAsync(GameEvent claim, int boardSize, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_games.TryGetValue(claim.GameId, out var game) || game.Phase != GamePhase.Playing)
            {
                return Task.FromResult(new StoreClaim(StoreClaimStatus.NotPlaying, 0));
            }
            var cell = (claim.Row * boardSize) + claim.Col;
            if (game.Cells[cell] is not null)
            {
                return Task.FromResult(new StoreClaim(StoreClaimStatus.CellTaken, 0));
            }
            var cells = game.Cells.ToArray();
            cells[cell] = claim.Player;
            var player = game.Players.FirstOrDefault(p => p.Id == claim.Player) ?? new PlayerRecord(claim.Player!, 0, true, null);
            var updated = player with { Score = player.Score + 1, LastClaimAt = claim.At };
            var players = game.Players.Where(p => p.Id != claim.Player).Append(updated).ToList();
            _games[claim.GameId] = game with { Cells = cells, Players = players, Seq = claim.Seq };
            _unacknowledged.AddLast(claim);
            return Task.FromResult(new StoreClaim(StoreClaimStatus.Claimed, updated.Score));
        }
    }

    public Task RecordAsync(GameEvent gameEvent, GameState after, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _games[gameEvent.GameId] = after;
            _unacknowledged.AddLast(gameEvent);
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<GameEvent>> ReadForHistoryAsync(string consumer, int max, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            IReadOnlyList<GameEvent> batch = [.. _unacknowledged.Take(max)];
            return Task.FromResult(batch);
        }
    }

    public Task AcknowledgeAsync(IReadOnlyList<GameEvent> events, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var done = events.ToHashSet();
            for (var node = _unacknowledged.First; node is not null;)
            {
                var next = node.Next;
                if (done.Contains(node.Value))
                {
                    _unacknowledged.Remove(node);
                }
                node = next;
            }
        }
        return Task.CompletedTask;
    }

    public Task<long> HistoryLagAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult((long)_unacknowledged.Count);
        }
    }
}
