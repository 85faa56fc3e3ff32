using GridGame.GameServer.Game;

namespace GridGame.GameServer.Stores;

/// <summary>
/// Where live games are kept: the board, the scores and each game's event log. The in-memory store is the
/// embedded default; the Redis store survives a server restart and is shared by every server.
/// </summary>
internal interface IGameStore
{
    string Name { get; }

    Task<bool> IsReachableAsync(CancellationToken cancellationToken);

    /// <summary>Stores a new game and its Opened event, unless the game exists; returns the stored state either way.</summary>
    Task<GameState> CreateAsync(GameState initial, GameEvent opened, CancellationToken cancellationToken);

    /// <summary>The stored state of a game, or null when there is none.</summary>
    Task<GameState?> LoadAsync(string gameId, CancellationToken cancellationToken);

    /// <summary>Ids of the games that are not finished, for recovery after a restart.</summary>
    Task<IReadOnlyList<string>> ListUnfinishedAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Claims of one game in one step (a group commit), in order. Each claim on its own is all or nothing: it takes
    /// its cell if free and the game in play, bumps the score and logs the event. A refused claim takes no sequence
    /// number: the k-th stored claim is logged with <c>claims[0].Seq + k</c>. Returns one answer per claim. Throws
    /// <see cref="GameStateLostException"/> when the store answers but has no state for the game.
    /// </summary>
    Task<IReadOnlyList<StoreClaim>> ClaimAllAsync(IReadOnlyList<GameEvent> claims, int boardSize, CancellationToken cancellationToken);

    /// <summary>
    /// Atomically: logs a membership or phase event and replaces the game's state with <paramref name="after"/>. A store
    /// that can lose state (Redis) throws <see cref="GameStateLostException"/> when it has none for the game.
    /// </summary>
    Task RecordAsync(GameEvent gameEvent, GameState after, CancellationToken cancellationToken);

    /// <summary>Events not yet acknowledged by the history, oldest first: first those handed out before and never acknowledged, then new ones.</summary>
    Task<IReadOnlyList<GameEvent>> ReadForHistoryAsync(string consumer, int max, CancellationToken cancellationToken);

    Task AcknowledgeAsync(IReadOnlyList<GameEvent> events, CancellationToken cancellationToken);

    /// <summary>How many events the history has not yet acknowledged.</summary>
    Task<long> HistoryLagAsync(CancellationToken cancellationToken);
}

/// <summary>The store's answer to a claim.</summary>
internal readonly record struct StoreClaim(StoreClaimStatus Status, int Score);

internal enum StoreClaimStatus
{
    Claimed,
    CellTaken,
    NotPlaying,
}
