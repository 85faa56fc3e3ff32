using GridGame.GameServer.Game;
using GridGame.GameServer.Hubs;
using GridGame.GameServer.Stores;
using GridGame.GameServer.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using StackExchange.Redis;

namespace GridGame.GameServer.Tests.Stores;

/// <summary>The Redis store against a real redis-server.</summary>
public sealed class RedisGameStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private ConnectionMultiplexer _redis = null!;
    private RedisGameStore _store = null!;

    public async Task InitializeAsync()
    {
        _redis = await ConnectionMultiplexer.ConnectAsync(TestServices.Redis);
        _store = new RedisGameStore(_redis, TestServices.RedisPrefix());
    }

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task Exactly_one_of_32_concurrent_claimers_of_a_cell_gets_it()
    {
        await PlayingGameAsync("race", 32);

        var results = await Task.WhenAll(Enumerable.Range(0, 32).Select(i =>
            Task.Run(() => _store.ClaimAsync(Claim("race", i + 1, $"p{i}", 3, 3), 8, CancellationToken.None))));

        results.Count(r => r.Status == StoreClaimStatus.Claimed).Should().Be(1);
        results.Count(r => r.Status == StoreClaimStatus.CellTaken).Should().Be(31);
        var state = (await _store.LoadAsync("race", CancellationToken.None))!;
        var owner = state.Cells[(3 * 8) + 3];
        owner.Should().NotBeNull();
        state.Players.Where(p => p.Score > 0).Should().ContainSingle().Which.Id.Should().Be(owner);
        var history = await _store.ReadForHistoryAsync("test", 1000, CancellationToken.None);
        history.Where(e => e.Type == GameEventType.Claimed).Should().ContainSingle().Which.Player.Should().Be(owner);
    }

    [Fact]
    public async Task Concurrent_claims_of_different_cells_all_count()
    {
        await PlayingGameAsync("many", 32);

        var results = await Task.WhenAll(Enumerable.Range(0, 32).Select(i =>
            Task.Run(() => _store.ClaimAsync(Claim("many", i + 1, "p0", i / 8, i % 8), 8, CancellationToken.None))));

        results.Should().OnlyContain(r => r.Status == StoreClaimStatus.Claimed);
        results.Select(r => r.Score).Should().BeEquivalentTo(Enumerable.Range(1, 32));
        (await _store.LoadAsync("many", CancellationToken.None))!.Players.Single(p => p.Id == "p0").Score.Should().Be(32);
    }

    [Fact]
    public async Task A_claim_in_a_game_not_in_play_changes_nothing()
    {
        var rules = new GameRules("waiting", new GameSettings { MinPlayers = 2 }, null, T0);
        await _store.CreateAsync(rules.ToState(), Opened("waiting"), CancellationToken.None);

        var result = await _store.ClaimAsync(Claim("waiting", 1, "alice", 0, 0), 8, CancellationToken.None);

        result.Status.Should().Be(StoreClaimStatus.NotPlaying);
        (await _store.LoadAsync("waiting", CancellationToken.None))!.Cells.Should().OnlyContain(c => c == null);
        (await _store.ReadForHistoryAsync("test", 100, CancellationToken.None)).Should().ContainSingle(e => e.Type == GameEventType.Opened);
    }

    [Fact]
    public async Task Creating_a_game_that_exists_returns_the_stored_one()
    {
        var first = await PlayingGameAsync("twice", 2);
        await _store.ClaimAsync(Claim("twice", first.Seq + 1, "p0", 1, 1), 8, CancellationToken.None);

        var again = await _store.CreateAsync(new GameRules("twice", new GameSettings(), null, T0).ToState(), Opened("twice"), CancellationToken.None);

        again.Phase.Should().Be(GamePhase.Playing);
        again.Cells[9].Should().Be("p0");
        again.Seq.Should().Be(first.Seq + 1);
    }

    [Fact]
    public async Task Stored_state_rebuilds_the_same_rules()
    {
        var rules = new GameRules("roundtrip", new GameSettings { BoardSize = 4, MinPlayers = 2 }, ["alice", "bob"], T0);
        await _store.CreateAsync(rules.ToState(), Opened("roundtrip"), CancellationToken.None);
        rules.ApplyJoin("alice", T0);
        await _store.RecordAsync(new GameEvent("roundtrip", 1, GameEventType.Joined, "alice", 0, 0, T0), rules.ToState(), CancellationToken.None);
        rules.ApplyJoin("bob", T0);
        await _store.RecordAsync(new GameEvent("roundtrip", 3, GameEventType.Started, null, 0, 0, T0), rules.ToState(), CancellationToken.None);
        await _store.ClaimAsync(Claim("roundtrip", 4, "bob", 2, 1), 4, CancellationToken.None);
        rules.ApplyClaim("bob", 2, 1, T0);

        var loaded = (await _store.LoadAsync("roundtrip", CancellationToken.None))!;

        loaded.Should().BeEquivalentTo(rules.ToState(), o => o.WithStrictOrdering());
    }

    [Fact]
    public async Task Events_handed_to_the_history_come_back_until_acknowledged()
    {
        var state = await PlayingGameAsync("acks", 1);
        await _store.ClaimAsync(Claim("acks", state.Seq + 1, "p0", 0, 0), 8, CancellationToken.None);

        var first = await _store.ReadForHistoryAsync("writer", 100, CancellationToken.None);
        var again = await _store.ReadForHistoryAsync("writer", 100, CancellationToken.None);
        (await _store.HistoryLagAsync(CancellationToken.None)).Should().Be(first.Count);
        await _store.AcknowledgeAsync(again, CancellationToken.None);

        again.Select(e => (e.Seq, e.Type)).Should().Equal(first.Select(e => (e.Seq, e.Type)));
        first.Select(e => e.Type).Should().StartWith([GameEventType.Opened, GameEventType.Joined]).And.EndWith(GameEventType.Claimed);
        (await _store.ReadForHistoryAsync("writer", 100, CancellationToken.None)).Should().BeEmpty();
        (await _store.HistoryLagAsync(CancellationToken.None)).Should().Be(0);
    }

    [Fact]
    public async Task A_finished_game_expires_once_the_history_has_it()
    {
        var id = "done-" + Guid.NewGuid().ToString("N")[..8];
        var rules = new GameRules(id, new GameSettings { BoardSize = 1 }, null, T0);
        await _store.CreateAsync(rules.ToState(), Opened(id), CancellationToken.None);
        rules.ApplyJoin("p0", T0);
        await _store.RecordAsync(new GameEvent(id, 2, GameEventType.Started, null, 0, 0, T0), rules.ToState(), CancellationToken.None);
        await _store.ClaimAsync(Claim(id, 3, "p0", 0, 0), 1, CancellationToken.None);
        rules.ApplyClaim("p0", 0, 0, T0);
        await _store.RecordAsync(new GameEvent(id, 4, GameEventType.Finished, null, 0, 0, T0), rules.ToState(), CancellationToken.None);
        (await _store.ListUnfinishedAsync(CancellationToken.None)).Should().BeEmpty();

        await _store.AcknowledgeAsync(await _store.ReadForHistoryAsync("writer", 100, CancellationToken.None), CancellationToken.None);

        var keys = _redis.GetServer(_redis.GetEndPoints()[0]).Keys(pattern: $"*{{{id}}}*").ToList();
        keys.Should().HaveCount(5);
        foreach (var key in keys)
        {
            (await _redis.GetDatabase().KeyTimeToLiveAsync(key)).Should().BeCloseTo(TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));
        }
    }

    [Fact]
    public async Task Events_a_dead_server_was_handed_are_taken_over_by_another()
    {
        var prefix = TestServices.RedisPrefix();
        var store = new RedisGameStore(_redis, prefix, orphanAfter: TimeSpan.FromMilliseconds(1));
        var rules = new GameRules("orphan", new GameSettings(), null, T0);
        await store.CreateAsync(rules.ToState(), Opened("orphan"), CancellationToken.None);
        var handedToTheDeadServer = await store.ReadForHistoryAsync("server-that-died", 100, CancellationToken.None);

        var takenOver = new List<GameEvent>();
        for (var i = 0; i < 30 && takenOver.Count == 0; i++)
        {
            takenOver.AddRange(await store.ReadForHistoryAsync("survivor", 100, CancellationToken.None));
        }

        handedToTheDeadServer.Should().ContainSingle();
        takenOver.Select(e => (e.GameId, e.Seq, e.Type)).Should().Equal(("orphan", 0L, GameEventType.Opened));
        await store.AcknowledgeAsync(takenOver, CancellationToken.None);
        (await store.HistoryLagAsync(CancellationToken.None)).Should().Be(0);
    }

    [Fact]
    public async Task A_game_survives_a_restart_of_redis()
    {
        await using var privateRedis = await PrivateRedis.StartAsync();
        var prefix = TestServices.RedisPrefix();
        var config = ConfigurationOptions.Parse(privateRedis.Endpoint);
        config.AbortOnConnectFail = false;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(config);
        var store = new RedisGameStore(redis, prefix);
        var rules = new GameRules("durable", new GameSettings(), null, T0);
        await store.CreateAsync(rules.ToState(), Opened("durable"), CancellationToken.None);
        rules.ApplyJoin("alice", T0);
        await store.RecordAsync(new GameEvent("durable", 2, GameEventType.Started, null, 0, 0, T0), rules.ToState(), CancellationToken.None);
        await store.ClaimAsync(Claim("durable", 3, "alice", 5, 5), 8, CancellationToken.None);

        await privateRedis.StopAsync();
        await privateRedis.StartAgainAsync();
        await Eventually.UntilAsync(async () =>
        {
            try
            {
                return await store.IsReachableAsync(CancellationToken.None);
            }
            catch (RedisException)
            {
                return false;
            }
        }, "the client reconnects to the restarted redis");

        var loaded = (await store.LoadAsync("durable", CancellationToken.None))!;
        loaded.Cells[(5 * 8) + 5].Should().Be("alice");
        loaded.Players.Single().Score.Should().Be(1);
        (await store.ListUnfinishedAsync(CancellationToken.None)).Should().Equal("durable");
        (await store.ClaimAsync(Claim("durable", 4, "alice", 5, 5), 8, CancellationToken.None)).Status.Should().Be(StoreClaimStatus.CellTaken);
        (await store.ClaimAsync(Claim("durable", 4, "alice", 5, 6), 8, CancellationToken.None)).Should().Be(new StoreClaim(StoreClaimStatus.Claimed, 2));
    }

    [Fact]
    public async Task A_restarted_game_server_recovers_its_games_from_redis()
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = TestServices.Redis,
            ["GridGame:RedisPrefix"] = TestServices.RedisPrefix(),
            ["GridGame:Game:MinPlayers"] = "2",
        };
        var first = await RunningServer.StartAsync(settings);
        await using (var alice = await first.ConnectAsync("alice"))
        await using (var bob = await first.ConnectAsync("bob"))
        {
            await alice.JoinAsync("survivor");
            await bob.JoinAsync("survivor");
            await alice.ClaimAsync(0, 0);
            await bob.ClaimAsync(1, 1);
            await alice.ClaimAsync(2, 2);
            await Task.Run(async () => await first.DisposeAsync());
        }

        await using var second = await RunningServer.StartAsync(settings);
        await Eventually.UntilAsync(() => Task.FromResult(second.Directory.Find("survivor") is not null), "the unfinished game is recovered at start");
        await using var aliceAgain = await second.ConnectAsync("alice");
        var snapshot = await aliceAgain.JoinAsync("survivor");

        snapshot.Phase.Should().Be("Playing");
        snapshot.Cells[0].Should().Be("alice");
        snapshot.Cells[5].Should().Be("bob");
        snapshot.Players.Should().BeEquivalentTo([new PlayerScore("alice", 2, true), new PlayerScore("bob", 1, false)]);
        var taken = () => aliceAgain.ClaimAsync(1, 1);
        await taken.Should().ThrowAsync<HubException>().WithMessage("*cell taken*");
        (await aliceAgain.ClaimAsync(3, 3)).Score.Should().Be(3);
    }

    private async Task<GameState> PlayingGameAsync(string id, int players)
    {
        var rules = new GameRules(id, new GameSettings { MaxPlayers = 100 }, null, T0);
        await _store.CreateAsync(rules.ToState(), Opened(id), CancellationToken.None);
        for (var i = 0; i < players; i++)
        {
            rules.ApplyJoin($"p{i}", T0);
            await _store.RecordAsync(new GameEvent(id, rules.Seq, GameEventType.Joined, $"p{i}", 0, 0, T0), rules.ToState(), CancellationToken.None);
        }
        return rules.ToState();
    }

    private static GameEvent Opened(string id) => new(id, 0, GameEventType.Opened, null, 0, 0, T0, "{}");

    private static GameEvent Claim(string id, long seq, string player, int row, int col) =>
        new(id, seq, GameEventType.Claimed, player, row, col, T0);
}

/// <summary>One claim on its own: a group commit of one.</summary>
file static class GameStoreExtensions
{
    public static async Task<StoreClaim> ClaimAsync(this IGameStore store, GameEvent claim, int boardSize, CancellationToken cancellationToken) =>
        (await store.ClaimAllAsync([claim], boardSize, cancellationToken))[0];
}
