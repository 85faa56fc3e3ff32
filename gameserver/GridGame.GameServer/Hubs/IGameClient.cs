namespace GridGame.GameServer.Hubs;

/// <summary>What the server sends to players (the SignalR client methods).</summary>
public interface IGameClient
{
    Task BoardSnapshot(BoardSnapshot snapshot);

    /// <summary>Claims of the game, in order; a game sends at most one of these per announce interval.</summary>
    Task CellsClaimed(IReadOnlyList<CellClaimed> claims);

    Task PlayerJoined(PlayerChange change);

    Task PlayerLeft(PlayerChange change);

    Task GameStarted(GameStarted started);

    Task GameOver(GameOver over);

    Task ServerDraining(ServerDraining draining);
}

/// <summary>The whole game as a player sees it; cells are row-major, null when free. Times are Unix milliseconds.</summary>
public sealed record BoardSnapshot(
    string Session,
    int BoardSize,
    string Phase,
    IReadOnlyList<string?> Cells,
    IReadOnlyList<PlayerScore> Players,
    IReadOnlyList<string> Winners,
    long Seq,
    long? EndsAt,
    int ClaimCooldownMs,
    int MinPlayers,
    string You);

public sealed record PlayerScore(string Id, int Score, bool Connected);

public sealed record CellClaimed(int Row, int Col, string Player, int Score, long Seq);

public sealed record PlayerChange(string Player, long Seq);

public sealed record GameStarted(long StartedAt, long EndsAt);

/// <summary>The game ended. <see cref="Message"/> (added later, so older clients ignore it) says why in words when the game could not be played out.</summary>
public sealed record GameOver(string Reason, IReadOnlyList<string> Winners, IReadOnlyList<PlayerScore> Players, string? Message = null);

public sealed record ServerDraining(string Message);
