namespace GridGame.GameServer.Game;

/// <summary>
/// Told of every change to a game on this server (register any number in DI). The Kubernetes agent uses it to
/// patch GameSession status. Called after the change is stored, outside the game's lock; must not block.
/// </summary>
internal interface IGameObserver
{
    void OnGameChanged(GameChange change);

    /// <summary>
    /// Whether this observer wants the claims of a game. A claim's change carries a fresh view of the game, made for
    /// every claim only when some observer wants it; membership and phase changes are always reported.
    /// </summary>
    bool WantsClaimsOf(string gameId) => true;
}

/// <summary>One change and the game as it is after it.</summary>
internal sealed record GameChange(GameChangeKind Kind, string GameId, string? Player, GameView Game);

internal enum GameChangeKind
{
    Opened,
    PlayerJoined,
    PlayerLeft,
    Started,
    CellClaimed,
    Finished,
}

/// <summary>A read-only picture of a game for observers.</summary>
internal sealed record GameView(
    string Id,
    GamePhase Phase,
    FinishReason FinishReason,
    IReadOnlyList<PlayerRecord> Players,
    IReadOnlyList<string> Winners,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt);
