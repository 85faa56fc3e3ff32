using GridGame.GameServer.Game;

namespace GridGame.GameServer.Stores;

/// <summary>The embedded default: games in this process's memory, gone when it exits.</summary>
internal sealed class InMemoryGameStore : IGameStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, StoredGame> _games = new(StringComparer.Ordinal);
    private readonly LinkedList<GameEvent> _unacknowledged = new();

    public string Name => "memory";

    public Task<bool> IsReachableAsync(CancellationToken cancellationToken) => Task.FromResult(true);

    public Task<GameState> CreateAsync(GameState initial, GameEvent opened, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_games.TryGetValue(initial.Id, out var game))
            {
                game = new StoredGame(initial);
                _games[initial.Id] = game;
                _unacknowledged.AddLast(opened);
            }
            return Task.FromResult(game.ToState());
        }
    }

    public Task<GameState?> LoadAsync(string gameId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_games.TryGetValue(gameId, out var game) ? game.ToState() : null);
        }
    }

    public Task<IReadOnlyList<string>> ListUnfinishedAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            IReadOnlyList<string> ids = [.. _games.Values.Where(g => g.State.Phase != GamePhase.Finished).Select(g => g.State.Id)];
            return Task.FromResult(ids);
        }
    }

    public Task<IReadOnlyList<StoreClaim>> ClaimAllAsync(IReadOnlyList<GameEvent> claims, int boardSize, CancellationToken cancellationToken)
    {
        var results = new StoreClaim[claims.Count];
        lock (_lock)
        {
            if (claims.Count == 0 || !_games.TryGetValue(claims[0].GameId, out var game) || game.State.Phase != GamePhase.Playing)
            {
                Array.Fill(results, new StoreClaim(StoreClaimStatus.NotPlaying, 0));
                return Task.FromResult<IReadOnlyList<StoreClaim>>(results);
            }
            var seq = claims[0].Seq;
            for (var i = 0; i < claims.Count; i++)
            {
                var claim = claims[i];
                var cell = (claim.Row * boardSize) + claim.Col;
                if (game.Cells[cell] is not null)
                {
                    results[i] = new StoreClaim(StoreClaimStatus.CellTaken, 0);
                    continue;
                }
                game.Cells[cell] = claim.Player;
                var score = game.Scores[claim.Player!] = game.Scores.GetValueOrDefault(claim.Player!) + 1;
                game.LastClaims[claim.Player!] = claim.At;
                game.Seq = seq;
                _unacknowledged.AddLast(claim.Seq == seq ? claim : claim with { Seq = seq });
                seq++;
                results[i] = new StoreClaim(StoreClaimStatus.Claimed, score);
            }
        }
        return Task.FromResult<IReadOnlyList<StoreClaim>>(results);
    }

    public Task RecordAsync(GameEvent gameEvent, GameState after, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _games[gameEvent.GameId] = new StoredGame(after);
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
            var done = events.ToHashSet(ReferenceEqualityComparer.Instance);
            for (var node = _unacknowledged.First; node is not null && done.Count > 0;)
            {
                var next = node.Next;
                if (done.Remove(node.Value))
                {
                    _unacknowledged.Remove(node);
                    if (node.Value.Type == GameEventType.Finished)
                    {
                        // The history has all of this game: forget it (the directory keeps it for its retention).
                        _games.Remove(node.Value.GameId);
                    }
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

    /// <summary>A game as kept here: the state of its last membership change, and the board and scores claims change in place.</summary>
    private sealed class StoredGame
    {
        public StoredGame(GameState state)
        {
            State = state;
            Cells = [.. state.Cells];
            Scores = state.Players.ToDictionary(p => p.Id, p => p.Score, StringComparer.Ordinal);
            LastClaims = state.Players.Where(p => p.LastClaimAt is not null).ToDictionary(p => p.Id, p => p.LastClaimAt!.Value, StringComparer.Ordinal);
            Seq = state.Seq;
        }

        public GameState State { get; }

        public string?[] Cells { get; }

        public Dictionary<string, int> Scores { get; }

        public Dictionary<string, DateTimeOffset> LastClaims { get; }

        public long Seq { get; set; }

        public GameState ToState() => State with
        {
            Cells = [.. Cells],
            Players = [.. State.Players.Select(p => p with { Score = Scores.GetValueOrDefault(p.Id), LastClaimAt = LastClaims.TryGetValue(p.Id, out var at) ? at : p.LastClaimAt })],
            Seq = Math.Max(State.Seq, Seq),
        };
    }
}
