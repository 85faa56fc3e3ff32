using System.Globalization;
using GridGame.GameServer.Game;
using GridGame.GameServer.Hubs;
using GridGame.GameServer.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using StackExchange.Redis;

namespace GridGame.GameServer.Tests.Stores;

/// <summary>
/// Group commit: the claims of one game that queue while a Redis call is in flight go to Redis in one script call.
/// Against a redis-server of the test's own, so its command counters count only this game.
/// </summary>
public sealed class GroupCommitTests
{
    private const int Players = 10;

    [Fact]
    public async Task Concurrent_claims_on_one_game_are_committed_together_and_every_acknowledged_one_is_in_redis()
    {
        await using var redisServer = await PrivateRedis.StartAsync();
        var prefix = TestServices.RedisPrefix();
        await using var server = await RunningServer.StartAsync(Settings(redisServer, prefix, boardSize: 16, cooldownMs: 0));
        var players = await JoinAsync(server, "batch");
        await using var redis = await ConnectionMultiplexer.ConnectAsync(redisServer.Endpoint + ",allowAdmin=true");
        var game = server.Directory.Find("batch")!;
        var scriptsBefore = await ScriptCallsAsync(redis);

        // 100 claims fired at once, 64 distinct cells: 36 of them race an earlier claim for the same cell. The first
        // claim goes to Redis alone; the 99 that queue behind it go in the next call.
        var claims = Enumerable.Range(0, 100).Select(i => (Player: $"p{i % Players}", Cell: i * 37 % 64)).ToList();
        var answers = await Task.WhenAll(claims.Select(c => AnswerAsync(game.ClaimAsync(c.Player, c.Cell / 16, c.Cell % 16))));

        var scriptCalls = await ScriptCallsAsync(redis) - scriptsBefore;
        // Without group commit it would be 64 (one per stored claim). 2 when the other 99 are queued before the first
        // returns; a few more if the machine pauses this thread while it queues them.
        scriptCalls.Should().BeInRange(2, 10, "100 concurrent claims went to Redis in a handful of script calls, not one each");
        var acknowledged = answers.Where(a => a.Claimed is not null).Select(a => a.Claimed!).ToList();
        acknowledged.Should().HaveCount(64, "exactly one winner per cell");
        acknowledged.Select(c => (c.Row * 16) + c.Col).Should().OnlyHaveUniqueItems();
        answers.Where(a => a.Claimed is null).Select(a => a.Refusal).Should().HaveCount(36).And.OnlyContain(r => r == "cell taken");
        for (var i = 0; i < claims.Count; i++)
        {
            if (answers[i].Claimed is { } claimed)
            {
                claimed.Player.Should().Be(claims[i].Player);
                claims.FindIndex(c => c.Cell == claims[i].Cell).Should().Be(i, "the first claim of a cell in arrival order wins it");
            }
        }

        var db = redis.GetDatabase();
        var board = (await db.HashGetAllAsync($"{prefix}:{{batch}}:board")).ToDictionary(e => int.Parse((string)e.Name!, CultureInfo.InvariantCulture), e => (string)e.Value!);
        board.Should().BeEquivalentTo(acknowledged.ToDictionary(c => (c.Row * 16) + c.Col, c => c.Player));
        var scores = (await db.HashGetAllAsync($"{prefix}:{{batch}}:scores")).ToDictionary(e => (string)e.Name!, e => (int)e.Value);
        scores.Should().BeEquivalentTo(acknowledged.GroupBy(c => c.Player).ToDictionary(g => g.Key, g => g.Count()));
        var stream = (await db.StreamRangeAsync($"{prefix}:{{batch}}:events")).Where(e => e["type"] == "Claimed")
            .Select(e => new CellClaimed((int)e["row"], (int)e["col"], (string)e["player"]!, 0, (long)e["seq"])).ToList();
        stream.Select(e => (e.Seq, e.Player, e.Row, e.Col)).Should().BeEquivalentTo(acknowledged.Select(c => (c.Seq, c.Player, c.Row, c.Col)));
        stream.Select(e => e.Seq).Should().BeInAscendingOrder().And.Equal(Enumerable.Range((int)stream[0].Seq, 64).Select(s => (long)s), "seqs have no gaps");
        acknowledged.GroupBy(c => c.Player).Select(g => g.Max(c => c.Score)).Should().Equal(acknowledged.GroupBy(c => c.Player).Select(g => g.Count()));

        // Every player saw every acknowledged claim, in seq order.
        foreach (var player in players)
        {
            await Eventually.UntilAsync(() => Task.FromResult(player.Events.OfType<CellClaimed>().Count() == 64), $"{player.Id} sees 64 claims");
            player.Events.OfType<CellClaimed>().Select(c => c.Seq).Should().BeInAscendingOrder();
            await player.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_cooldown_holds_for_claims_of_one_player_committed_together()
    {
        await using var redisServer = await PrivateRedis.StartAsync();
        await using var server = await RunningServer.StartAsync(Settings(redisServer, TestServices.RedisPrefix(), boardSize: 8, cooldownMs: 60_000));
        var players = await JoinAsync(server, "cool");
        var game = server.Directory.Find("cool")!;

        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => AnswerAsync(game.ClaimAsync($"p{i % 4}", i / 8, i % 8))));

        answers.Where(a => a.Claimed is not null).Select(a => a.Claimed!.Player).Should().BeEquivalentTo(["p0", "p1", "p2", "p3"], "one claim per player per cooldown");
        answers.Where(a => a.Claimed is null).Should().HaveCount(36).And.OnlyContain(a => a.Refusal == "too fast: wait for the claim cooldown");
        var second = () => players[0].ClaimAsync(7, 7);
        await second.Should().ThrowAsync<HubException>().WithMessage("*too fast*");
        foreach (var player in players)
        {
            await player.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_redis_outage_refuses_claims_clearly_and_loses_no_acknowledged_claim()
    {
        await using var redisServer = await PrivateRedis.StartAsync();
        // A short timeout so the outage is seen in a second or two rather than the default five.
        await using var server = await RunningServer.StartAsync(Settings(redisServer, TestServices.RedisPrefix(), boardSize: 8, cooldownMs: 0, redisOptions: ",syncTimeout=1500,asyncTimeout=1500"));
        await using var alice = await server.ConnectAsync("alice");
        await alice.JoinAsync("outage");
        var kept = await alice.ClaimAsync(0, 0);

        await redisServer.StopAsync();
        var during = () => alice.ClaimAsync(1, 1);
        await during.Should().ThrowAsync<HubException>().WithMessage("*store unavailable*");
        (await server.Ops.GetAsync(new Uri("/ready", UriKind.Relative))).StatusCode.Should().Be(System.Net.HttpStatusCode.ServiceUnavailable);

        await redisServer.StartAgainAsync();
        await Eventually.UntilAsync(async () => (await server.Ops.GetAsync(new Uri("/ready", UriKind.Relative))).IsSuccessStatusCode, "ready again once Redis is back");
        CellClaimed? after = null;
        await Eventually.UntilAsync(async () =>
        {
            after = await alice.ClaimAsync(2, 2);
            return true;
        }, "claims work again");
        var again = () => alice.ClaimAsync(0, 0);
        await again.Should().ThrowAsync<HubException>().WithMessage("*cell taken*");
        await using var bob = await server.ConnectAsync("bob");
        var snapshot = await bob.JoinAsync("outage");
        snapshot.Cells[0].Should().Be("alice", "the claim acknowledged before the outage is kept");
        snapshot.Cells[(2 * 8) + 2].Should().Be("alice");
        snapshot.Players.Single(p => p.Id == "alice").Score.Should().Be(after!.Score).And.Be(snapshot.Cells.Count(c => c == "alice"));
        after.Seq.Should().BeGreaterThan(kept.Seq);
    }

    private static Dictionary<string, string?> Settings(PrivateRedis redis, string prefix, int boardSize, int cooldownMs, string redisOptions = "") => new()
    {
        ["ConnectionStrings:Redis"] = redis.Endpoint + redisOptions,
        ["GridGame:RedisPrefix"] = prefix,
        ["GridGame:Game:BoardSize"] = boardSize.ToString(CultureInfo.InvariantCulture),
        ["GridGame:Game:MaxPlayers"] = Players.ToString(CultureInfo.InvariantCulture),
        ["GridGame:Game:ClaimCooldownMs"] = cooldownMs.ToString(CultureInfo.InvariantCulture),
    };

    private static async Task<List<TestPlayer>> JoinAsync(RunningServer server, string session)
    {
        var players = new List<TestPlayer>();
        for (var i = 0; i < Players; i++)
        {
            var player = await server.ConnectAsync($"p{i}");
            await player.JoinAsync(session);
            players.Add(player);
        }
        return players;
    }

    private static async Task<(CellClaimed? Claimed, string? Refusal)> AnswerAsync(Task<CellClaimed> claim)
    {
        try
        {
            return (await claim, null);
        }
        catch (HubException ex)
        {
            return (null, ex.Message);
        }
    }

    /// <summary>How many scripts this redis-server has run (EVAL and EVALSHA).</summary>
    private static async Task<long> ScriptCallsAsync(ConnectionMultiplexer redis)
    {
        var info = await redis.GetServer(redis.GetEndPoints()[0]).InfoAsync("commandstats");
        return info.SelectMany(g => g)
            .Where(kv => kv.Key is "cmdstat_eval" or "cmdstat_evalsha")
            .Sum(kv => long.Parse(kv.Value.Split(',')[0].Split('=')[1], CultureInfo.InvariantCulture));
    }
}
