using System.Net;
using GridGame.GameServer.Game;
using GridGame.GameServer.Hubs;
using GridGame.GameServer.Operations;
using GridGame.GameServer.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace GridGame.GameServer.Tests.Hubs;

/// <summary>The hub through the real .NET SignalR client over Kestrel on loopback, with both protocols.</summary>
public sealed class GameHubTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Joining_returns_a_snapshot_and_tells_the_other_players(bool messagePack)
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["GridGame:Game:MinPlayers"] = "2" });
        await using var alice = await server.ConnectAsync("alice", messagePack);
        await using var bob = await server.ConnectAsync("bob", messagePack);

        var first = await alice.JoinAsync("match-1");
        first.Should().BeEquivalentTo(new { Session = "match-1", BoardSize = 4, Phase = "Waiting", You = "alice" });
        first.Cells.Should().HaveCount(16).And.OnlyContain(c => c == null);
        await alice.WaitForAsync<BoardSnapshot>();

        var second = await bob.JoinAsync("match-1");
        second.Phase.Should().Be("Playing");
        second.Players.Select(p => p.Id).Should().Equal("alice", "bob");
        await alice.WaitForAsync<TestPlayer.Joined>(j => j.Player == "bob");
        await alice.WaitForAsync<GameStarted>();
        await bob.WaitForAsync<GameStarted>();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Two_players_racing_for_one_cell_exactly_one_wins(bool messagePack)
    {
        await using var server = await RunningServer.StartAsync();
        await using var alice = await server.ConnectAsync("alice", messagePack);
        await using var bob = await server.ConnectAsync("bob", messagePack);
        await alice.JoinAsync("race");
        await bob.JoinAsync("race");

        var claims = new[] { alice.ClaimAsync(2, 3), bob.ClaimAsync(2, 3) };
        var outcomes = await Task.WhenAll(claims.Select(async c =>
        {
            try
            {
                return (await c).Player;
            }
            catch (HubException ex)
            {
                return ex.Message;
            }
        }));

        outcomes.Count(o => o is "alice" or "bob").Should().Be(1);
        outcomes.Should().ContainSingle(o => o.Contains("cell taken", StringComparison.Ordinal));
        var winner = outcomes.Single(o => o is "alice" or "bob");
        (await alice.WaitForAsync<CellClaimed>()).Should().BeEquivalentTo(new { Row = 2, Col = 3, Player = winner, Score = 1 });
        (await bob.WaitForAsync<CellClaimed>()).Player.Should().Be(winner);
    }

    [Fact]
    public async Task Claims_are_announced_in_order_at_most_once_an_interval_and_never_after_a_join_or_the_game_over()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RunningServer.StartAsync(
            time, new Dictionary<string, string?> { ["GridGame:Game:BoardSize"] = "2", ["GridGame:ClaimAnnounceIntervalMs"] = "50" });
        await using var alice = await server.ConnectAsync("alice");
        await using var bob = await server.ConnectAsync("bob", messagePack: true);
        await using var carol = await server.ConnectAsync("carol");
        await alice.JoinAsync("tick");
        await bob.JoinAsync("tick");

        // The clock does not move: the first claim goes out at once, the next two wait for the interval to end.
        var first = await alice.ClaimAsync(0, 0);
        await bob.WaitForAsync<TestPlayer.Claims>(c => c.Seqs.SequenceEqual([first.Seq]));
        var second = await alice.ClaimAsync(0, 1);
        var third = await bob.ClaimAsync(1, 0);

        // A joiner's snapshot holds the waiting claims, so they go to the others before it joins, and never to it.
        var snapshot = await carol.JoinAsync("tick");
        snapshot.Cells.Should().Equal("alice", "alice", "bob", null);
        await alice.WaitForAsync<TestPlayer.Claims>(c => c.Seqs.SequenceEqual([second.Seq, third.Seq]));

        // The last cell waits too, but the game over does not overtake it.
        var last = await carol.ClaimAsync(1, 1);
        await carol.WaitForAsync<GameOver>();
        foreach (var player in new[] { alice, bob })
        {
            // Each connection gets the game over in its own time: carol's having arrived says nothing of the others'.
            await player.WaitForAsync<GameOver>();
            player.Events.Where(e => e is TestPlayer.Claims or GameOver).Should().BeEquivalentTo(
                new object[] { new TestPlayer.Claims([first.Seq]), new TestPlayer.Claims([second.Seq, third.Seq]), new TestPlayer.Claims([last.Seq]), new { Reason = "BoardFull" } },
                o => o.WithStrictOrdering().RespectingRuntimeTypes(), player.Id);
        }
        carol.Events.Where(e => e is TestPlayer.Claims or GameOver).Should().BeEquivalentTo(
            new object[] { new TestPlayer.Claims([last.Seq]), new { Reason = "BoardFull" } }, o => o.WithStrictOrdering().RespectingRuntimeTypes());
    }

    [Fact]
    public async Task A_claim_inside_the_cooldown_is_refused_until_the_cooldown_has_passed()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RunningServer.StartAsync(
            time, new Dictionary<string, string?> { ["GridGame:Game:ClaimCooldownMs"] = "500" });
        await using var alice = await server.ConnectAsync("alice");
        await alice.JoinAsync("cool");

        await alice.ClaimAsync(0, 0);
        var tooFast = () => alice.ClaimAsync(0, 1);
        await tooFast.Should().ThrowAsync<HubException>().WithMessage("*too fast*");

        time.Advance(TimeSpan.FromMilliseconds(500));
        (await alice.ClaimAsync(0, 1)).Score.Should().Be(2);
    }

    [Theory]
    [InlineData(-1, 0)]
    [InlineData(0, 4)]
    [InlineData(4, 0)]
    [InlineData(int.MaxValue, int.MinValue)]
    public async Task A_claim_off_the_board_is_refused(int row, int col)
    {
        await using var server = await RunningServer.StartAsync();
        await using var alice = await server.ConnectAsync("alice", messagePack: true);
        await alice.JoinAsync("bounds");

        var claim = () => alice.ClaimAsync(row, col);

        await claim.Should().ThrowAsync<HubException>().WithMessage("*out of bounds*");
    }

    [Fact]
    public async Task A_claim_before_joining_is_refused()
    {
        await using var server = await RunningServer.StartAsync();
        await using var alice = await server.ConnectAsync("alice");

        var claim = () => alice.ClaimAsync(0, 0);

        await claim.Should().ThrowAsync<HubException>().WithMessage("*not in a game*");
    }

    [Fact]
    public async Task A_session_that_this_server_does_not_host_is_not_your_game()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["GridGame:Standalone"] = "false" });
        await using var alice = await server.ConnectAsync("alice");

        var join = () => alice.JoinAsync("someone-elses-match");

        await join.Should().ThrowAsync<HubException>().WithMessage("*not your game*");
    }

    [Fact]
    public async Task A_session_with_a_player_list_refuses_a_player_not_on_it()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["GridGame:Standalone"] = "false" });
        await server.Directory.OpenAsync("listed", new GameSettings { BoardSize = 3, MinPlayers = 2 }, ["alice", "bob"], CancellationToken.None);
        await using var alice = await server.ConnectAsync("alice");
        await using var mallory = await server.ConnectAsync("mallory");

        (await alice.JoinAsync("listed")).BoardSize.Should().Be(3);
        var join = () => mallory.JoinAsync("listed");

        await join.Should().ThrowAsync<HubException>().WithMessage("*not your game*");
        server.Directory.Find("listed")!.View().Players.Select(p => p.Id).Should().Equal("alice");
    }

    [Fact]
    public async Task A_connection_without_a_valid_token_is_refused()
    {
        await using var server = await RunningServer.StartAsync();
        await using var anonymous = new TestPlayer("anonymous", server.BaseUrl, token: null, messagePack: false);
        await using var forger = new TestPlayer("forger", server.BaseUrl, token: ForgedToken(), messagePack: false);

        var noToken = anonymous.StartAsync;
        var badToken = forger.StartAsync;

        (await noToken.Should().ThrowAsync<HttpRequestException>()).Which.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await badToken.Should().ThrowAsync<HttpRequestException>()).Which.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_token_whose_subject_cannot_be_a_player_id_is_refused()
    {
        await using var server = await RunningServer.StartAsync();
        await using var longName = await server.ConnectAsync(new string('x', 65));

        var join = () => longName.JoinAsync("names");

        await join.Should().ThrowAsync<HubException>().WithMessage("*invalid player id*");
        server.Directory.Find("names").Should().BeNull();
    }

    [Fact]
    public async Task An_oversized_message_closes_only_that_connection()
    {
        await using var server = await RunningServer.StartAsync();
        await using var alice = await server.ConnectAsync("alice");
        await using var bob = await server.ConnectAsync("bob");
        await bob.JoinAsync("big");

        var huge = () => alice.JoinAsync(new string('a', 64 * 1024));

        await huge.Should().ThrowAsync<Exception>();
        await alice.WaitForAsync<TestPlayer.ClosedEvent>();
        alice.Connection.State.Should().Be(HubConnectionState.Disconnected);
        (await bob.ClaimAsync(1, 1)).Player.Should().Be("bob");
    }

    [Fact]
    public async Task A_player_who_reconnects_gets_a_fresh_snapshot()
    {
        await using var server = await RunningServer.StartAsync();
        await using var alice = await server.ConnectAsync("alice");
        await using var bob = await server.ConnectAsync("bob", messagePack: true);
        await alice.JoinAsync("again");
        await bob.JoinAsync("again");
        await alice.ClaimAsync(0, 0);

        await bob.Connection.StopAsync();
        await alice.WaitForAsync<TestPlayer.Left>(l => l.Player == "bob");
        await alice.ClaimAsync(0, 1);
        await using var bobAgain = await server.ConnectAsync("bob", messagePack: true);
        var snapshot = await bobAgain.JoinAsync("again");

        snapshot.Cells.Take(2).Should().Equal("alice", "alice");
        snapshot.Players.Should().ContainEquivalentOf(new PlayerScore("alice", 2, true));
        snapshot.Players.Should().ContainEquivalentOf(new PlayerScore("bob", 0, true));
        (await bobAgain.WaitForAsync<BoardSnapshot>()).Seq.Should().Be(snapshot.Seq);
    }

    [Fact]
    public async Task A_second_connection_of_the_same_player_replaces_the_first()
    {
        await using var server = await RunningServer.StartAsync();
        await using var first = await server.ConnectAsync("alice");
        await using var second = await server.ConnectAsync("alice");
        await first.JoinAsync("twice");

        await second.JoinAsync("twice");

        await first.WaitForAsync<TestPlayer.ClosedEvent>();
        (await second.ClaimAsync(0, 0)).Player.Should().Be("alice");
        var view = server.Directory.Find("twice")!.View();
        view.Players.Should().ContainSingle().Which.Connected.Should().BeTrue();
        view.Phase.Should().Be(GamePhase.Playing);
    }

    [Fact]
    public async Task A_full_board_ends_the_game_with_the_winner_and_later_claims_are_refused()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["GridGame:Game:BoardSize"] = "2" });
        await using var alice = await server.ConnectAsync("alice");
        await using var bob = await server.ConnectAsync("bob", messagePack: true);
        await alice.JoinAsync("full");
        await bob.JoinAsync("full");

        await alice.ClaimAsync(0, 0);
        await bob.ClaimAsync(0, 1);
        await alice.ClaimAsync(1, 0);
        await alice.ClaimAsync(1, 1);

        var over = await bob.WaitForAsync<GameOver>();
        over.Reason.Should().Be("BoardFull");
        over.Winners.Should().Equal("alice");
        over.Players.Should().BeEquivalentTo([new PlayerScore("alice", 3, true), new PlayerScore("bob", 1, true)]);
        var late = () => bob.ClaimAsync(0, 0);
        await late.Should().ThrowAsync<HubException>().WithMessage("*game over*");
        var rejoin = () => bob.JoinAsync("full");
        await rejoin.Should().ThrowAsync<HubException>().WithMessage("*game over*");
    }

    [Fact]
    public async Task The_game_ends_when_its_time_is_up()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RunningServer.StartAsync(
            time, new Dictionary<string, string?> { ["GridGame:Game:DurationSeconds"] = "60" });
        await using var alice = await server.ConnectAsync("alice");
        await alice.JoinAsync("timed");
        await alice.ClaimAsync(3, 3);

        time.Advance(TimeSpan.FromSeconds(61));

        var over = await alice.WaitForAsync<GameOver>();
        over.Reason.Should().Be("TimeUp");
        over.Winners.Should().Equal("alice");
    }

    [Fact]
    public async Task A_finished_game_is_forgotten_after_its_retention_and_its_name_can_be_played_again()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RunningServer.StartAsync(
            time, new Dictionary<string, string?> { ["GridGame:Game:BoardSize"] = "1", ["GridGame:FinishedRetentionSeconds"] = "300" });
        await using var alice = await server.ConnectAsync("alice");
        await alice.JoinAsync("again-and-again");
        await alice.ClaimAsync(0, 0);
        await alice.WaitForAsync<GameOver>();

        time.Advance(TimeSpan.FromSeconds(300));
        server.Directory.Find("again-and-again").Should().NotBeNull();
        time.Advance(TimeSpan.FromSeconds(1));

        await Eventually.UntilAsync(() => Task.FromResult(server.Directory.Find("again-and-again") is null), "the finished game is forgotten");
        // The store forgets it once the history has it; until then a join still finds it over (and the clock forgets it again).
        await Eventually.UntilAsync(async () =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return (await alice.JoinAsync("again-and-again")).Phase == "Playing";
        }, "the name starts a new game");
    }

    [Fact]
    public async Task The_game_ends_when_every_player_has_left()
    {
        await using var server = await RunningServer.StartAsync();
        await using var alice = await server.ConnectAsync("alice");
        await alice.JoinAsync("empty");

        await alice.Connection.InvokeAsync("LeaveGame");

        server.Directory.Find("empty")!.View().Should().BeEquivalentTo(new { Phase = GamePhase.Finished, FinishReason = FinishReason.AllLeft });
    }

    [Fact]
    public async Task Draining_tells_the_players_refuses_new_joins_and_reports_not_ready()
    {
        await using var server = await RunningServer.StartAsync();
        await using var alice = await server.ConnectAsync("alice", messagePack: true);
        await using var bob = await server.ConnectAsync("bob");
        await alice.JoinAsync("drain");
        (await server.Ops.GetAsync(new Uri("/ready", UriKind.Relative))).StatusCode.Should().Be(HttpStatusCode.OK);

        await server.Services.GetRequiredService<DrainService>().DrainAsync(CancellationToken.None);

        (await alice.WaitForAsync<ServerDraining>()).Message.Should().Contain("draining");
        var join = () => bob.JoinAsync("drain");
        await join.Should().ThrowAsync<HubException>().WithMessage("*server draining*");
        (await server.Ops.GetAsync(new Uri("/ready", UriKind.Relative))).StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await alice.ClaimAsync(0, 0)).Player.Should().Be("alice");
    }

    [Fact]
    public async Task The_drain_window_runs_on_the_servers_clock()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RunningServer.StartAsync(time, new Dictionary<string, string?> { ["GridGame:DrainSeconds"] = "60" });
        await using var alice = await server.ConnectAsync("alice");
        await alice.JoinAsync("window");

        var draining = server.Services.GetRequiredService<DrainService>().DrainAsync(CancellationToken.None);
        (await alice.WaitForAsync<ServerDraining>()).Message.Should().Contain("draining");

        draining.IsCompleted.Should().BeFalse("alice is still connected and the window is 60 s");
        time.Advance(TimeSpan.FromSeconds(61));
        await draining.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Stopping_the_server_drains_and_exits_within_the_grace_period()
    {
        var server = await RunningServer.StartAsync();
        await using var alice = await server.ConnectAsync("alice");
        await alice.JoinAsync("sigterm");
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();

        // As SIGTERM would: from a thread of its own, not the client's receive loop that this test continues on.
        await Task.Run(async () => await server.DisposeAsync());

        stopwatch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10));
        (await alice.WaitForAsync<ServerDraining>()).Message.Should().Contain("draining");
        await alice.WaitForAsync<TestPlayer.ClosedEvent>();
    }

    [Fact]
    public async Task A_connection_over_its_rate_limit_is_refused_but_not_dropped()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["GridGame:RateLimit:Burst"] = "5",
            ["GridGame:RateLimit:PerSecond"] = "0.001",
        });
        await using var alice = await server.ConnectAsync("alice");
        await alice.JoinAsync("spam");

        var results = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            try
            {
                await alice.ClaimAsync(0, i % 4);
                results.Add("ok");
            }
            catch (HubException ex)
            {
                results.Add(ex.Message);
            }
        }

        results.Count(r => r.Contains("too many requests", StringComparison.Ordinal)).Should().Be(4);
        alice.Connection.State.Should().Be(HubConnectionState.Connected);
    }

    [Fact]
    public async Task Health_metrics_and_dev_tokens_are_served()
    {
        await using var server = await RunningServer.StartAsync();
        await using var alice = await server.ConnectAsync("alice");
        await alice.JoinAsync("ops");
        await alice.ClaimAsync(0, 0);
        await FluentActions.Awaiting(() => alice.ClaimAsync(0, 0)).Should().ThrowAsync<HubException>();

        (await server.Http.GetStringAsync(new Uri("/health", UriKind.Relative))).Should().Be("ok");
        var metrics = await server.Ops.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        metrics.Should().Contain("websocket_connections_active 1")
            .And.Contain("game_actions_total{action_type=\"claim\"} 1")
            .And.Contain("game_actions_total{action_type=\"refused\"} 1")
            .And.Contain("game_cell_claim_duration_seconds_count 1")
            .And.Contain("games_active_total 1")
            .And.Contain("game_history_lag_events");
        var token = await server.Http.GetStringAsync(new Uri("/dev/token?player=carol", UriKind.Relative));
        token.Should().StartWith("{\"token\":\"ey");
        (await server.Http.GetAsync(new Uri("/dev/token?player=%20bad%20", UriKind.Relative))).StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Dev_tokens_are_off_unless_enabled()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Auth:DevTokens"] = "false" });

        (await server.Http.GetAsync(new Uri("/dev/token?player=carol", UriKind.Relative))).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_server_configured_with_an_impossible_board_does_not_start()
    {
        var start = () => RunningServer.StartAsync(new Dictionary<string, string?> { ["GridGame:Game:BoardSize"] = "0" });

        await start.Should().ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*boardSize*");
    }

    private static string ForgedToken() => GameAuth.CreateToken(
        new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(new byte[32]), "alice", DateTimeOffset.UtcNow);
}
