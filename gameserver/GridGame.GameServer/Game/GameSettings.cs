namespace GridGame.GameServer.Game;

/// <summary>The settings of one game, named as in a GameFleet's <c>spec.game</c>.</summary>
public sealed record GameSettings
{
    public int BoardSize { get; init; } = 8;

    public int MinPlayers { get; init; } = 1;

    public int MaxPlayers { get; init; } = 10;

    public int DurationSeconds { get; init; } = 300;

    public int ClaimCooldownMs { get; init; } = 100;

    /// <summary>Returns why the settings cannot make a game, or null when they can.</summary>
    public string? Validate() => this switch
    {
        { BoardSize: < 1 or > 64 } => "boardSize must be between 1 and 64",
        { MinPlayers: < 1 } => "minPlayers must be at least 1",
        { MaxPlayers: < 1 or > 1000 } => "maxPlayers must be between 1 and 1000",
        _ when MinPlayers > MaxPlayers => "minPlayers must not exceed maxPlayers",
        { DurationSeconds: < 1 } => "durationSeconds must be at least 1",
        { ClaimCooldownMs: < 0 } => "claimCooldownMs must not be negative",
        _ => null,
    };
}
