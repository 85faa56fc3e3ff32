using Microsoft.EntityFrameworkCore;

namespace GridGame.GameServer.History;

/// <summary>The game history: games, players, claims and results. PostgreSQL in production, SQLite by default.</summary>
internal sealed class HistoryDbContext(DbContextOptions<HistoryDbContext> options) : DbContext(options)
{
    public DbSet<GameRow> Games => Set<GameRow>();

    public DbSet<PlayerRow> Players => Set<PlayerRow>();

    public DbSet<ClaimRow> Claims => Set<ClaimRow>();

    public DbSet<ResultRow> Results => Set<ResultRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<GameRow>(e =>
        {
            e.ToTable("games").HasKey(g => g.Id);
            e.Property(g => g.Id).HasColumnName("id").HasMaxLength(253);
            e.Property(g => g.BoardSize).HasColumnName("board_size");
            e.Property(g => g.Settings).HasColumnName("settings");
            e.Property(g => g.OpenedAt).HasColumnName("opened_at");
            e.Property(g => g.StartedAt).HasColumnName("started_at");
            e.Property(g => g.FinishedAt).HasColumnName("finished_at");
            e.Property(g => g.FinishReason).HasColumnName("finish_reason").HasMaxLength(32);
        });
        modelBuilder.Entity<PlayerRow>(e =>
        {
            e.ToTable("players").HasKey(p => new { p.GameId, p.PlayerId });
            e.Property(p => p.GameId).HasColumnName("game_id").HasMaxLength(253);
            e.Property(p => p.PlayerId).HasColumnName("player_id").HasMaxLength(64);
            e.Property(p => p.JoinedAt).HasColumnName("joined_at");
            e.Property(p => p.LeftAt).HasColumnName("left_at");
        });
        modelBuilder.Entity<ClaimRow>(e =>
        {
            e.ToTable("claims").HasKey(c => new { c.GameId, c.Seq });
            e.Property(c => c.GameId).HasColumnName("game_id").HasMaxLength(253);
            e.Property(c => c.Seq).HasColumnName("seq");
            e.Property(c => c.PlayerId).HasColumnName("player_id").HasMaxLength(64);
            e.Property(c => c.Row).HasColumnName("row");
            e.Property(c => c.Col).HasColumnName("col");
            e.Property(c => c.ClaimedAt).HasColumnName("claimed_at");
        });
        modelBuilder.Entity<ResultRow>(e =>
        {
            e.ToTable("results").HasKey(r => new { r.GameId, r.PlayerId });
            e.Property(r => r.GameId).HasColumnName("game_id").HasMaxLength(253);
            e.Property(r => r.PlayerId).HasColumnName("player_id").HasMaxLength(64);
            e.Property(r => r.Score).HasColumnName("score");
            e.Property(r => r.Winner).HasColumnName("winner");
        });
    }
}

internal sealed class GameRow
{
    public required string Id { get; set; }

    public int BoardSize { get; set; }

    /// <summary>The game's settings as JSON.</summary>
    public string? Settings { get; set; }

    public DateTimeOffset OpenedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public string? FinishReason { get; set; }
}

internal sealed class PlayerRow
{
    public required string GameId { get; set; }

    public required string PlayerId { get; set; }

    public DateTimeOffset JoinedAt { get; set; }

    public DateTimeOffset? LeftAt { get; set; }
}

internal sealed class ClaimRow
{
    public required string GameId { get; set; }

    public long Seq { get; set; }

    public required string PlayerId { get; set; }

    public int Row { get; set; }

    public int Col { get; set; }

    public DateTimeOffset ClaimedAt { get; set; }
}

internal sealed class ResultRow
{
    public required string GameId { get; set; }

    public required string PlayerId { get; set; }

    public int Score { get; set; }

    public bool Winner { get; set; }
}
