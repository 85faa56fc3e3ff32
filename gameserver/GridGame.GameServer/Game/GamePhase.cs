namespace GridGame.GameServer.Game;

/// <summary>Where a game is in its life: waiting for players, being played, or over.</summary>
public enum GamePhase
{
    Waiting,
    Playing,
    Finished,
}

/// <summary>Why a game ended.</summary>
public enum FinishReason
{
    None,
    BoardFull,
    TimeUp,
    AllLeft,

    /// <summary>The store lost the game's state (a Redis that came back empty): the game could not go on, and nobody won.</summary>
    StateLost,
}
