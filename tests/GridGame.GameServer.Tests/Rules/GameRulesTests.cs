using GridGame.GameServer.Game;

namespace GridGame.GameServer.Tests.Rules;

public sealed class GameRulesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static GameRules Game(int size = 3, int min = 1, int max = 4, int cooldownMs = 100, int duration = 60, string[]? allowed = null) =>
        new("g", new GameSettings { BoardSize = size, MinPlayers = min, MaxPlayers = max, ClaimCooldownMs = cooldownMs, DurationSeconds = duration }, allowed, T0);

    private static GameRules Playing(params string[] players)
    {
        var game = Game(min: players.Length);
        foreach (var p in players)
        {
            game.ApplyJoin(p, T0);
        }
        return game;
    }

    public static TheoryData<string, int, int, int, Refusal> Claims => new()
    {
        // case, row, col, milliseconds after the first claim at (0,0), expected
        { "a free cell after the cooldown", 1, 1, 100, Refusal.None },
        { "a taken cell", 0, 0, 500, Refusal.CellTaken },
        { "inside the cooldown", 1, 1, 99, Refusal.TooFast },
        { "a negative row", -1, 0, 500, Refusal.OutOfBounds },
        { "a column past the edge", 0, 3, 500, Refusal.OutOfBounds },
        { "a row past the edge", 3, 0, 500, Refusal.OutOfBounds },
        { "at the end of the game's duration", 1, 1, 60_000, Refusal.GameOver },
    };

    [Theory]
    [MemberData(nameof(Claims))]
    public void A_claim_is_checked_against_board_cooldown_and_clock(string @case, int row, int col, int afterMs, Refusal expected)
    {
        var game = Playing("alice");
        game.ApplyClaim("alice", 0, 0, T0);

        game.CheckClaim("alice", row, col, T0.AddMilliseconds(afterMs)).Should().Be(expected, @case);
    }

    public static TheoryData<string, string[], int, string, Refusal> Joins => new()
    {
        // case, players already joined, max players, joining player, expected (allowed list = alice, bob, carol where given)
        { "an open game with room", ["x"], 2, "y", Refusal.None },
        { "an open game that is full", ["x", "y"], 2, "z", Refusal.GameFull },
        { "a player already in a full game, coming back", ["x", "y"], 2, "y", Refusal.None },
    };

    [Theory]
    [MemberData(nameof(Joins))]
    public void A_join_is_checked_against_room(string @case, string[] joined, int max, string player, Refusal expected)
    {
        var game = Game(min: max, max: max);
        foreach (var p in joined)
        {
            game.ApplyJoin(p, T0);
        }

        game.CheckJoin(player).Should().Be(expected, @case);
    }

    [Theory]
    [InlineData("alice", Refusal.None)]
    [InlineData("mallory", Refusal.NotListed)]
    public void A_session_with_a_player_list_admits_only_those_players(string player, Refusal expected) =>
        Game(allowed: ["alice", "bob"]).CheckJoin(player).Should().Be(expected);

    [Fact]
    public void Play_starts_when_min_players_have_joined()
    {
        var game = Game(min: 2);

        game.ApplyJoin("alice", T0).Should().Be(new JoinOutcome(true, false));
        game.Phase.Should().Be(GamePhase.Waiting);
        game.CheckClaim("alice", 0, 0, T0).Should().Be(Refusal.NotStarted);

        game.ApplyJoin("bob", T0.AddSeconds(1)).Should().Be(new JoinOutcome(true, true));
        game.Phase.Should().Be(GamePhase.Playing);
        game.StartedAt.Should().Be(T0.AddSeconds(1));
        game.EndsAt.Should().Be(T0.AddSeconds(61));
    }

    [Fact]
    public void A_player_who_never_joined_cannot_claim() =>
        Playing("alice").CheckClaim("bob", 0, 0, T0).Should().Be(Refusal.NotJoined);

    [Fact]
    public void Claims_score_one_point_per_cell_and_a_full_board_ends_the_game()
    {
        var game = Game(size: 2, min: 2, cooldownMs: 0);
        game.ApplyJoin("alice", T0);
        game.ApplyJoin("bob", T0);

        game.ApplyClaim("alice", 0, 0, T0).Should().Be(new ClaimOutcome(1, false));
        game.ApplyClaim("bob", 0, 1, T0).Should().Be(new ClaimOutcome(1, false));
        game.ApplyClaim("alice", 1, 0, T0).Should().Be(new ClaimOutcome(2, false));
        game.ApplyClaim("alice", 1, 1, T0).Should().Be(new ClaimOutcome(3, true));

        game.Phase.Should().Be(GamePhase.Finished);
        game.FinishReason.Should().Be(FinishReason.BoardFull);
        game.Winners().Should().Equal("alice");
        game.CheckClaim("bob", 0, 0, T0).Should().Be(Refusal.GameOver);
        game.CheckJoin("carol").Should().Be(Refusal.GameOver);
    }

    [Fact]
    public void A_game_whose_state_was_lost_ends_at_once_with_no_winner_and_refuses_claims()
    {
        var game = Playing("alice");
        game.ApplyClaim("alice", 0, 0, T0);
        var seq = game.Seq;

        game.Lose(T0.AddSeconds(1));

        game.Phase.Should().Be(GamePhase.Finished);
        game.FinishReason.Should().Be(FinishReason.StateLost);
        game.Winners().Should().BeEmpty("a game that was not played out has no winner");
        game.Seq.Should().Be(seq + 1, "the end is an event of its own");
        game.CheckClaim("alice", 1, 1, T0.AddSeconds(2)).Should().Be(Refusal.GameOver);
    }

    [Fact]
    public void Equal_top_scores_share_the_win()
    {
        var game = Game(size: 2, min: 3, cooldownMs: 0);
        game.ApplyJoin("alice", T0);
        game.ApplyJoin("bob", T0);
        game.ApplyJoin("carol", T0);
        game.ApplyClaim("alice", 0, 0, T0);
        game.ApplyClaim("bob", 0, 1, T0);
        game.Finish(FinishReason.TimeUp, T0);

        game.Winners().Should().Equal("alice", "bob");
    }

    [Fact]
    public void Nobody_wins_a_game_without_claims()
    {
        var game = Playing("alice", "bob");
        game.Finish(FinishReason.TimeUp, T0);

        game.Winners().Should().BeEmpty();
    }

    [Theory]
    [InlineData(59_999, FinishReason.None)]
    [InlineData(60_000, FinishReason.TimeUp)]
    public void The_game_ends_when_its_duration_has_passed(int afterMs, FinishReason expected) =>
        Playing("alice").DueFinish(T0.AddMilliseconds(afterMs)).Should().Be(expected);

    [Fact]
    public void A_waiting_game_never_times_out() =>
        Game(min: 2).DueFinish(T0.AddDays(1)).Should().Be(FinishReason.None);

    [Fact]
    public void The_game_ends_when_every_player_has_left()
    {
        var game = Playing("alice", "bob");

        game.ApplyLeave("alice", T0).Should().Be(new LeaveOutcome(true, false));
        game.ApplyLeave("alice", T0).Should().Be(new LeaveOutcome(false, false));
        game.ApplyLeave("bob", T0).Should().Be(new LeaveOutcome(true, true));
        game.FinishReason.Should().Be(FinishReason.AllLeft);
    }

    [Fact]
    public void A_player_who_left_can_come_back_and_keeps_the_score()
    {
        var game = Playing("alice", "bob");
        game.ApplyClaim("alice", 0, 0, T0);
        game.ApplyLeave("alice", T0);

        game.CheckJoin("alice").Should().Be(Refusal.None);
        game.ApplyJoin("alice", T0).FirstJoin.Should().BeFalse();
        game.Player("alice")!.Score.Should().Be(1);
        game.Player("alice")!.Connected.Should().BeTrue();
    }

    [Fact]
    public void Apply_refuses_a_claim_that_check_would_refuse()
    {
        var game = Playing("alice");
        game.ApplyClaim("alice", 0, 0, T0);

        var act = () => game.ApplyClaim("alice", 0, 0, T0.AddSeconds(1));
        act.Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void State_round_trips_through_a_store()
    {
        var game = Playing("alice", "bob");
        game.ApplyClaim("alice", 2, 1, T0);
        game.ApplyLeave("bob", T0);

        var restored = GameRules.FromState(game.ToState());

        restored.ToState().Should().BeEquivalentTo(game.ToState());
        restored.FreeCells.Should().Be(8);
        restored.CheckClaim("alice", 2, 1, T0.AddSeconds(1)).Should().Be(Refusal.CellTaken);
        restored.CheckClaim("alice", 0, 0, T0.AddMilliseconds(50)).Should().Be(Refusal.TooFast);
    }

    [Theory]
    [InlineData(0, 1, 1, 1, "boardSize")]
    [InlineData(8, 0, 1, 1, "minPlayers")]
    [InlineData(8, 3, 2, 1, "minPlayers must not exceed")]
    [InlineData(8, 1, 2, 0, "durationSeconds")]
    public void Impossible_settings_are_refused(int size, int min, int max, int duration, string problem)
    {
        var act = () => new GameRules("g", new GameSettings { BoardSize = size, MinPlayers = min, MaxPlayers = max, DurationSeconds = duration }, null, T0);
        act.Should().Throw<ArgumentException>().WithMessage($"*{problem}*");
    }

    public static TheoryData<string, string, Refusal[]> GroupedClaims => new()
    {
        // case, claims as "player:row,col" separated by spaces (all at the same moment), expected refusal of each
        { "different cells of different players", "alice:0,0 bob:0,1", [Refusal.None, Refusal.None] },
        { "a cell an earlier claim of the group takes", "alice:0,0 bob:0,0", [Refusal.None, Refusal.CellTaken] },
        { "the same player twice inside the cooldown", "alice:0,0 alice:0,1", [Refusal.None, Refusal.TooFast] },
        { "a refused claim neither takes its cell nor starts a cooldown", "alice:0,0 alice:0,1 bob:0,1", [Refusal.None, Refusal.TooFast, Refusal.None] },
        { "a cell the board already has", "bob:2,2 alice:1,1", [Refusal.CellTaken, Refusal.None] },
        { "out of bounds among good claims", "alice:3,0 alice:0,0", [Refusal.OutOfBounds, Refusal.None] },
        { "a player who never joined", "carol:0,0 bob:0,0", [Refusal.NotJoined, Refusal.None] },
    };

    [Theory]
    [MemberData(nameof(GroupedClaims))]
    public void Claims_grouped_in_one_commit_are_checked_in_order_as_if_applied_one_by_one(string @case, string claims, Refusal[] expected)
    {
        var game = Game(min: 2);
        game.ApplyJoin("alice", T0);
        game.ApplyJoin("bob", T0);
        game.ApplyClaim("bob", 2, 2, T0);
        var requests = claims.Split(' ').Select(c => c.Split(':', ',')).Select(p => new ClaimRequest(p[0], int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture), int.Parse(p[2], System.Globalization.CultureInfo.InvariantCulture))).ToList();
        var now = T0.AddSeconds(1);
        var seq = game.Seq;

        var refusals = game.CheckClaims(requests, now);

        refusals.Should().Equal(expected, @case);
        game.Seq.Should().Be(seq, "checking changes nothing");
        foreach (var (request, refusal) in requests.Zip(refusals))
        {
            if (refusal == Refusal.None)
            {
                game.ApplyClaim(request.Player, request.Row, request.Col, now);
            }
        }
        game.Seq.Should().Be(seq + expected.Count(r => r == Refusal.None), "every allowed claim applies in order");
    }

    [Fact]
    public void A_group_that_fills_the_board_refuses_the_claims_after_the_last_free_cell_as_game_over()
    {
        var game = Game(size: 2, min: 2, cooldownMs: 0);
        game.ApplyJoin("alice", T0);
        game.ApplyJoin("bob", T0);
        game.ApplyClaim("alice", 0, 0, T0);

        var refusals = game.CheckClaims([new("bob", 0, 1), new("alice", 1, 0), new("bob", 1, 1), new("alice", 1, 1), new("bob", 0, 0)], T0);

        refusals.Should().Equal(Refusal.None, Refusal.None, Refusal.None, Refusal.GameOver, Refusal.GameOver);
        game.ApplyClaim("bob", 0, 1, T0);
        game.ApplyClaim("alice", 1, 0, T0);
        game.ApplyClaim("bob", 1, 1, T0).Finished.Should().BeTrue();
    }
}
