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
