using GameOverrides = GridGame.Crds.GameOverrides;
using GridGame.GameServer.Agent;
using GridGame.GameServer.Game;

namespace GridGame.GameServer.Tests.Agent;

public sealed class SessionStatusReportTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_game_waiting_for_players_lists_them_and_leaves_the_phase_to_the_operator()
    {
        var patch = SessionStatusReport.MergePatch(View(GamePhase.Waiting, players: [new("bob", 0, true, null)]));

        var status = patch["status"]!.AsObject();
        status.ContainsKey("phase").Should().BeFalse("Allocated is the operator's word until play starts");
        status["players"]!.ToJsonString().Should().Be("""[{"id":"bob","connected":true,"score":0}]""");
    }

    [Fact]
    public void A_game_in_play_is_Running_with_its_start_time_and_players_sorted_by_id()
    {
        var patch = SessionStatusReport.MergePatch(View(GamePhase.Playing, startedAt: Start,
            players: [new("carol", 2, true, null), new("alice", 3, false, null)]));

        var status = patch["status"]!;
        ((string?)status["phase"]).Should().Be("Running");
        ((string?)status["startedAt"]).Should().Be("2026-11-29T12:00:00Z");
        status["players"]!.AsArray().Select(p => (string?)p!["id"]).Should().Equal("alice", "carol");
    }

    [Theory]
    [InlineData(new[] { "alice" }, "alice")]
    [InlineData(new[] { "bob", "alice" }, "alice,bob")]
    [InlineData(new string[0], null)]
    public void A_finished_game_names_its_winners_and_why_it_ended(string[] winners, string? expected)
    {
        var patch = SessionStatusReport.MergePatch(View(GamePhase.Finished, winners: winners, startedAt: Start, finishedAt: Start.AddMinutes(5), reason: FinishReason.BoardFull));

        var status = patch["status"]!;
        ((string?)status["phase"]).Should().Be("Finished");
        ((string?)status["winner"]).Should().Be(expected);
        ((string?)status["reason"]).Should().Be("BoardFull");
        ((string?)status["finishedAt"]).Should().Be("2026-11-29T12:05:00Z");
    }

    [Fact]
    public void A_game_whose_state_was_lost_fails_its_session_with_no_winner()
    {
        var patch = SessionStatusReport.MergePatch(View(GamePhase.Finished, players: [new("alice", 3, true, null)], startedAt: Start, finishedAt: Start.AddMinutes(1), reason: FinishReason.StateLost));

        var status = patch["status"]!;
        ((string?)status["phase"]).Should().Be("Failed");
        ((string?)status["reason"]).Should().Be("StateLost");
        ((string?)status["message"]).Should().Contain("vanished from the store");
        ((string?)status["winner"]).Should().BeNull();
        status["players"]!.AsArray().Should().ContainSingle();
    }

    [Fact]
    public void A_session_that_failed_without_a_game_keeps_the_players_it_recorded()
    {
        var patch = SessionStatusReport.MergePatch(new FailureReport("match-1", "ServerLost", "the server restarted", Start));

        patch.ToJsonString().Should().Be("""{"status":{"phase":"Failed","reason":"ServerLost","message":"the server restarted","finishedAt":"2026-11-29T12:00:00Z"}}""");
    }

    [Fact]
    public void Session_overrides_replace_only_the_settings_they_name()
    {
        var fleet = new GameSettings { BoardSize = 8, MinPlayers = 2, MaxPlayers = 10, DurationSeconds = 300, ClaimCooldownMs = 100 };

        var settings = SessionSettings.For(fleet, new GameOverrides { BoardSize = 3, MaxPlayers = 4 });

        settings.Should().Be(fleet with { BoardSize = 3, MaxPlayers = 4 });
        SessionSettings.For(fleet, null).Should().BeSameAs(fleet);
    }

    private static GameView View(
        GamePhase phase, IReadOnlyList<PlayerRecord>? players = null, IReadOnlyList<string>? winners = null,
        DateTimeOffset? startedAt = null, DateTimeOffset? finishedAt = null, FinishReason reason = FinishReason.None) =>
        new("match-1", phase, reason, players ?? [], winners ?? [], startedAt, finishedAt);
}
