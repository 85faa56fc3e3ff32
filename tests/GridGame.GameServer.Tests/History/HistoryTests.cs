using GridGame.GameServer.History;
using GridGame.GameServer.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace GridGame.GameServer.Tests.History;

/// <summary>The history in a real PostgreSQL (and the SQLite default), fed from the store in acknowledged batches.</summary>
public sealed class HistoryTests
{
    [Fact]
    public async Task Several_servers_migrating_one_database_at_once_all_succeed()
    {
        var connectionString = await TestServices.CreateDatabaseAsync();
        var writers = Enumerable.Range(0, 4).Select(_ => new HistoryWriter(Factory(connectionString), NullLogger<HistoryWriter>.Instance)).ToList();

        await Task.WhenAll(writers.Select(w => Task.Run(() => w.MigrateAsync(CancellationToken.None))));

        await using var db = await Factory(connectionString).CreateDbContextAsync();
        (await db.Database.GetAppliedMigrationsAsync()).Should().Equal("20261129000000_InitialHistory", "20261130000000_ClaimsAutovacuum");
        (await db.Claims.CountAsync()).Should().Be(0);
    }

    [Fact]
    public async Task The_claims_table_is_vacuumed_and_analyzed_in_fixed_chunks()
    {
        var connectionString = await TestServices.CreateDatabaseAsync();
        await new HistoryWriter(Factory(connectionString), NullLogger<HistoryWriter>.Instance).MigrateAsync(CancellationToken.None);

        await using var db = await Factory(connectionString).CreateDbContextAsync();
        var options = await db.Database.SqlQuery<string>($"SELECT unnest(reloptions) AS \"Value\" FROM pg_class WHERE relname = 'claims'").ToListAsync();

        options.Should().BeEquivalentTo(
            "autovacuum_vacuum_insert_scale_factor=0", "autovacuum_vacuum_insert_threshold=1000000",
            "autovacuum_analyze_scale_factor=0", "autovacuum_analyze_threshold=1000000");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_finished_game_reaches_postgres_in_batches(bool redis)
    {
        var connectionString = await TestServices.CreateDatabaseAsync();
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = connectionString,
            ["GridGame:HistoryBatchSize"] = "3",
            ["GridGame:Game:BoardSize"] = "3",
        };
        if (redis)
        {
            settings["ConnectionStrings:Redis"] = TestServices.Redis;
            settings["GridGame:RedisPrefix"] = TestServices.RedisPrefix();
        }
        await using var server = await RunningServer.StartAsync(settings);
        await using var alice = await server.ConnectAsync("alice");
        await using var bob = await server.ConnectAsync("bob");
        await alice.JoinAsync("history");
        await bob.JoinAsync("history");

        for (var cell = 0; cell < 9; cell++)
        {
            await (cell % 3 == 0 ? bob : alice).ClaimAsync(cell / 3, cell % 3);
        }

        await using var db = await Factory(connectionString).CreateDbContextAsync();
        await Eventually.UntilAsync(async () => await db.Results.CountAsync() == 2, "the results are in PostgreSQL");
        var claims = await db.Claims.AsNoTracking().OrderBy(c => c.Seq).ToListAsync();
        claims.Select(c => (c.Row * 3) + c.Col).Should().Equal(Enumerable.Range(0, 9));
        claims.Select(c => c.PlayerId).Should().Equal("bob", "alice", "alice", "bob", "alice", "alice", "bob", "alice", "alice");
        var game = await db.Games.AsNoTracking().SingleAsync();
        game.Should().BeEquivalentTo(new { Id = "history", BoardSize = 3, FinishReason = "BoardFull" });
        game.StartedAt.Should().NotBeNull();
        game.FinishedAt.Should().NotBeNull();
        // The times went in as instants: a claim stored with a shifted zone would fall outside its game.
        claims.Should().OnlyContain(c => c.ClaimedAt >= game.StartedAt && c.ClaimedAt <= game.FinishedAt);
        (await db.Players.AsNoTracking().Select(p => p.PlayerId).OrderBy(p => p).ToListAsync()).Should().Equal("alice", "bob");
        (await db.Results.AsNoTracking().OrderBy(r => r.PlayerId).ToListAsync()).Should().BeEquivalentTo(
            [new { PlayerId = "alice", Score = 6, Winner = true }, new { PlayerId = "bob", Score = 3, Winner = false }]);
    }

    [Fact]
    public async Task Postgres_stopped_and_restarted_mid_game_loses_no_claim()
    {
        await using var postgres = await PrivatePostgres.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = postgres.ConnectionString,
            ["ConnectionStrings:Redis"] = TestServices.Redis,
            ["GridGame:RedisPrefix"] = TestServices.RedisPrefix(),
            ["GridGame:HistoryBatchSize"] = "4",
            ["GridGame:Game:BoardSize"] = "6",
        };
        await using var server = await RunningServer.StartAsync(settings);
        await using var alice = await server.ConnectAsync("alice", messagePack: true);
        await alice.JoinAsync("outage");
        var db = Factory(postgres.ConnectionString);
        for (var cell = 0; cell < 10; cell++)
        {
            await alice.ClaimAsync(cell / 6, cell % 6);
        }
        await Eventually.UntilAsync(async () => await CountClaimsAsync(db) == 10, "the first claims are in PostgreSQL");

        await postgres.StopAsync();
        for (var cell = 10; cell < 30; cell++)
        {
            await alice.ClaimAsync(cell / 6, cell % 6);
        }
        await Eventually.UntilAsync(async () => (await server.Ops.GetStringAsync(new Uri("/metrics", UriKind.Relative))).Contains("game_history_lag_events 2", StringComparison.Ordinal),
            "the history lag shows the claims waiting in Redis");
        await postgres.StartAgainAsync();

        await Eventually.UntilAsync(async () => await CountClaimsAsync(db) == 30, "every claim reaches PostgreSQL after it is back", timeout: TimeSpan.FromSeconds(30));
        await using var check = await db.CreateDbContextAsync();
        (await check.Claims.Select(c => c.Seq).Distinct().CountAsync()).Should().Be(30);
    }

    [Fact]
    public async Task Without_postgres_the_history_goes_to_sqlite()
    {
        var file = Path.Combine(Path.GetTempPath(), $"gg-sqlite-{Guid.NewGuid():N}.db");
        try
        {
            await using (var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["ConnectionStrings:Sqlite"] = $"Data Source={file};Pooling=false" }))
            await using (var alice = await server.ConnectAsync("alice"))
            {
                await alice.JoinAsync("embedded");
                await alice.ClaimAsync(1, 2);
                await Task.Run(async () => await server.DisposeAsync());
            }

            var options = new DbContextOptionsBuilder<HistoryDbContext>().UseSqlite($"Data Source={file};Pooling=false").Options;
            await using var db = new HistoryDbContext(options);
            var claim = await db.Claims.AsNoTracking().SingleAsync();
            claim.Should().BeEquivalentTo(new { GameId = "embedded", PlayerId = "alice", Row = 1, Col = 2 });
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<int> CountClaimsAsync(IDbContextFactory<HistoryDbContext> factory)
    {
        try
        {
            await using var db = await factory.CreateDbContextAsync();
            return await db.Claims.CountAsync();
        }
        catch (Npgsql.NpgsqlException)
        {
            return -1;
        }
        catch (InvalidOperationException)
        {
            return -1;
        }
    }

    private static IDbContextFactory<HistoryDbContext> Factory(string connectionString)
    {
        var services = new ServiceCollection();
        services.AddDbContextFactory<HistoryDbContext>(o => o.UseNpgsql(connectionString)
            .ConfigureWarnings(w => w.Ignore(Microsoft.EntityFrameworkCore.Diagnostics.RelationalEventId.PendingModelChangesWarning)));
        return services.BuildServiceProvider().GetRequiredService<IDbContextFactory<HistoryDbContext>>();
    }
}
