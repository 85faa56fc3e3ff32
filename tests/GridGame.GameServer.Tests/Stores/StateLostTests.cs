using GridGame.Crds;
using GridGame.GameServer.History;
using GridGame.GameServer.Hubs;
using GridGame.GameServer.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace GridGame.GameServer.Tests.Stores;

/// <summary>A Redis without persistence killed mid-game comes back empty: the game ends cleanly instead of wedging.</summary>
public sealed class StateLostTests
{
    [Fact]
    public async Task A_game_whose_state_vanished_from_Redis_ends_with_its_acknowledged_claims_in_the_history_and_its_session_Failed()
    {
        await using var redis = await PrivateRedis.StartAsync(appendOnly: false);
        await using var postgres = await PrivatePostgres.StartAsync();
        await using var cluster = await SessionCluster.StartAsync();
        await cluster.CreateAllocatedAsync("match-vanished", "gs-vanished", "alice", "bob");
        var settings = cluster.ServerSettings("gs-vanished");
        settings["GridGame:Game:MinPlayers"] = "2";
        // A short timeout so the outage is seen in a second or two rather than the default five.
        settings["ConnectionStrings:Redis"] = redis.Endpoint + ",syncTimeout=1500,asyncTimeout=1500";
        settings["GridGame:RedisPrefix"] = TestServices.RedisPrefix();
        settings["ConnectionStrings:Postgres"] = postgres.ConnectionString;
        await using var server = await RunningServer.StartAsync(settings);
        await Eventually.UntilAsync(() => Task.FromResult(server.Directory.Find("match-vanished") is not null && server.Services.GetRequiredService<HistoryPump>().Migrated),
            "the agent opens the game and the history schema is applied");
        await using var alice = await server.ConnectAsync("alice");
        await using var bob = await server.ConnectAsync("bob");
        await alice.JoinAsync("match-vanished");
        await bob.JoinAsync("match-vanished");
        await cluster.WaitForAsync("match-vanished", s => s.Phase == SessionPhase.Running, "the session runs");

        // PostgreSQL down: the acknowledged claims wait in Redis's stream for the history, and nowhere else but memory.
        await postgres.StopAsync();
        var acknowledged = new[] { await alice.ClaimAsync(0, 0), await bob.ClaimAsync(1, 1), await alice.ClaimAsync(2, 2) };
        await redis.StopAsync();
        await redis.StartAgainAsync();

        string? refusal = null;
        await Eventually.UntilAsync(async () =>
        {
            try
            {
                await alice.ClaimAsync(3, 3);
                return false;
            }
            catch (HubException ex) when (ex.Message.Contains("store unavailable", StringComparison.Ordinal))
            {
                return false; // the connection to the restarted Redis is not back yet
            }
            catch (HubException ex)
            {
                refusal = ex.Message;
                return true;
            }
        }, "a claim is refused for good");
        refusal.Should().Contain("game lost").And.Contain("vanished from the store");
        var over = await bob.WaitForAsync<GameOver>();
        over.Reason.Should().Be("StateLost");
        over.Message.Should().Contain("vanished from the store");
        over.Winners.Should().BeEmpty();
        var later = () => bob.ClaimAsync(3, 2);
        await later.Should().ThrowAsync<HubException>().WithMessage("*game over*");

        var failed = await cluster.WaitForAsync("match-vanished", s => s.Phase != SessionPhase.Running, "the session ends");
        failed.Status!.Phase.Should().Be(SessionPhase.Failed);
        failed.Status.Reason.Should().Be(WellKnown.SessionReasons.StateLost);

        await postgres.StartAgainAsync();
        await Eventually.UntilAsync(async () => await ScalarAsync<string>(postgres, "SELECT finish_reason FROM games WHERE id = 'match-vanished'") == "StateLost",
            "the game's end reaches the history", timeout: TimeSpan.FromSeconds(30));
        var claims = await RowsAsync(postgres, "SELECT seq, player_id, \"row\", \"col\" FROM claims WHERE game_id = 'match-vanished' ORDER BY seq",
            r => (r.GetInt64(0), r.GetString(1), r.GetInt32(2), r.GetInt32(3)));
        claims.Should().Equal(acknowledged.Select(c => (c.Seq, c.Player, c.Row, c.Col)));
        var results = await RowsAsync(postgres, "SELECT player_id, score, winner FROM results WHERE game_id = 'match-vanished' ORDER BY player_id",
            r => (r.GetString(0), r.GetInt32(1), r.GetBoolean(2)));
        results.Should().Equal(("alice", 2, false), ("bob", 1, false));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_redis_without_an_append_only_file_is_named_at_start(bool appendOnly)
    {
        await using var redis = await PrivateRedis.StartAsync(appendOnly);
        await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.Endpoint + ",allowAdmin=false");

        var problem = await GridGame.GameServer.Stores.RedisPersistenceCheck.ProblemAsync(connection, CancellationToken.None);

        if (appendOnly)
        {
            problem.Should().BeNull();
        }
        else
        {
            problem.Should().Contain("without an append-only file").And.Contain("appendonly yes");
        }
    }

    private static async Task<T?> ScalarAsync<T>(PrivatePostgres postgres, string sql)
    {
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync() is T value ? value : default;
    }

    private static async Task<List<T>> RowsAsync<T>(PrivatePostgres postgres, string sql, Func<NpgsqlDataReader, T> row)
    {
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(row(reader));
        }
        return rows;
    }
}
