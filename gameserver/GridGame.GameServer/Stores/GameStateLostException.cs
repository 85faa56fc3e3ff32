namespace GridGame.GameServer.Stores;

/// <summary>
/// The store answered, but has no state for a game it was keeping (a Redis that restarted without persistence):
/// unlike a store that cannot be reached, waiting does not help; the game cannot go on.
/// </summary>
internal sealed class GameStateLostException(string gameId)
    : Exception($"the store is reachable but has no state for game {gameId}: it was lost")
{
    public string GameId { get; } = gameId;
}
