namespace GridGame.GameServer.Game;

/// <summary>Everything needed to rebuild a game's rules: what a store keeps and what recovery reads back.</summary>
internal sealed record GameState(
    string Id,
    GameSettings Settings,
    IReadOnlyList<string> AllowedPlayers,
    GamePhase Phase,
    FinishReason FinishReason,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    IReadOnlyList<string?> Cells,
    IReadOnlyList<PlayerRecord> Players,
    long Seq);

/// <summary>One player of a game as stored.</summary>
internal sealed record PlayerRecord(string Id, int Score, bool Connected, DateTimeOffset? LastClaimAt);
