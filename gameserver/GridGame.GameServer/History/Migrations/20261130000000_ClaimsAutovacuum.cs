using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace GridGame.GameServer.History.Migrations;

/// <summary>
/// PostgreSQL's autovacuum for the claims table in chunks of a fixed size. Its defaults scale with the table: a vacuum
/// after 20% more rows, an analyze after 10%. Claims are only ever appended (and read by game), so a young table under
/// load was vacuumed and analyzed every few seconds, each pass a burst of CPU, and a big one rarely and then at length.
/// Every million claims, both passes cost about the same whatever the table's size. SQLite has no autovacuum to tune.
/// </summary>
[DbContext(typeof(HistoryDbContext))]
[Migration("20261130000000_ClaimsAutovacuum")]
internal sealed class ClaimsAutovacuum : Migration
{
    /// <summary>The claims between two vacuums (for the visibility map and freezing) and between two analyzes.</summary>
    private const int ClaimsPerPass = 1_000_000;

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        if (migrationBuilder.IsNpgsql())
        {
            migrationBuilder.Sql($"""
                ALTER TABLE claims SET (
                    autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = {ClaimsPerPass},
                    autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = {ClaimsPerPass})
                """);
        }
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        if (migrationBuilder.IsNpgsql())
        {
            migrationBuilder.Sql("""
                ALTER TABLE claims RESET (
                    autovacuum_vacuum_insert_scale_factor, autovacuum_vacuum_insert_threshold,
                    autovacuum_analyze_scale_factor, autovacuum_analyze_threshold)
                """);
        }
    }
}
