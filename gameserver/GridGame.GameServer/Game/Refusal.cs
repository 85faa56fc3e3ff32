namespace GridGame.GameServer.Game;

/// <summary>Why the rules refuse a join or a claim; <see cref="None"/> when they allow it.</summary>
public enum Refusal
{
    None,
    NotListed,
    GameFull,
    GameOver,
    NotJoined,
    NotStarted,
    OutOfBounds,
    CellTaken,
    TooFast,
}

internal static class RefusalMessages
{
    /// <summary>The message a player reads; stable, so clients and tests can match on it.</summary>
    public static string Message(this Refusal refusal) => refusal switch
    {
        Refusal.NotListed => "not your game: you are not a player of this session",
        Refusal.GameFull => "game full",
        Refusal.GameOver => "game over",
        Refusal.NotJoined => "not in a game: call JoinGame first",
        Refusal.NotStarted => "game not started: waiting for players",
        Refusal.OutOfBounds => "out of bounds",
        Refusal.CellTaken => "cell taken",
        Refusal.TooFast => "too fast: wait for the claim cooldown",
        _ => "allowed",
    };
}
