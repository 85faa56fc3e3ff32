namespace GridGame.GameServer.Stores;

/// <summary>What happened in a game, numbered per game by <see cref="Seq"/>: the unit the history is written from.</summary>
internal sealed record GameEvent(string GameId, long Seq, GameEventType Type, string? Player, int Row, int Col, DateTimeOffset At, string? Data = null)
{
    /// <summary>The store's handle for acknowledging the event once the history has it (a Redis Stream entry id).</summary>
    public string? Receipt { get; init; }
}

internal enum GameEventType
{
    Opened,
    Joined,
    Left,
    Started,
    Claimed,
    Finished,
}
