using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace GridGame.GameServer.History.Migrations;

/// <summary>
/// The first history schema. Written by hand (no provider-specific column types), so the one migration serves
/// both PostgreSQL and SQLite; later migrations follow the same pattern.
/// </summary>
[DbContext(typeof(HistoryDbContext))]
[Migration("20261129000000_InitialHistory")]
internal sealed class InitialHistory : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "games",
            columns: table => new
            {
                id = table.Column<string>(maxLength: 253, nullable: false),
                board_size = table.Column<int>(nullable: false),
                settings = table.Column<string>(nullable: true),
                opened_at = table.Column<DateTimeOffset>(nullable: false),
                started_at = table.Column<DateTimeOffset>(nullable: true),
                finished_at = table.Column<DateTimeOffset>(nullable: true),
                finish_reason = table.Column<string>(maxLength: 32, nullable: true),
            },
            constraints: table => table.PrimaryKey("pk_games", x => x.id));

        migrationBuilder.CreateTable(
            name: "players",
            columns: table => new
            {
                game_id = table.Column<string>(maxLength: 253, nullable: false),
                player_id = table.Column<string>(maxLength: 64, nullable: false),
                joined_at = table.Column<DateTimeOffset>(nullable: false),
                left_at = table.Column<DateTimeOffset>(nullable: true),
            },
            constraints: table => table.PrimaryKey("pk_players", x => new { x.game_id, x.player_id }));

        migrationBuilder.CreateTable(
            name: "claims",
            columns: table => new
            {
                game_id = table.Column<string>(maxLength: 253, nullable: false),
                seq = table.Column<long>(nullable: false),
                player_id = table.Column<string>(maxLength: 64, nullable: false),
                row = table.Column<int>(nullable: false),
                col = table.Column<int>(nullable: false),
                claimed_at = table.Column<DateTimeOffset>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_claims", x => new { x.game_id, x.seq }));

        migrationBuilder.CreateTable(
            name: "results",
            columns: table => new
            {
                game_id = table.Column<string>(maxLength: 253, nullable: false),
                player_id = table.Column<string>(maxLength: 64, nullable: false),
                score = table.Column<int>(nullable: false),
                winner = table.Column<bool>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_results", x => new { x.game_id, x.player_id }));

        migrationBuilder.CreateIndex(name: "ix_claims_player", table: "claims", columns: ["player_id"]);
        migrationBuilder.CreateIndex(name: "ix_results_player", table: "results", columns: ["player_id"]);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable(name: "results");
        migrationBuilder.DropTable(name: "claims");
        migrationBuilder.DropTable(name: "players");
        migrationBuilder.DropTable(name: "games");
    }
}
