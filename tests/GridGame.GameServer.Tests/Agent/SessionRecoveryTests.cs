using GridGame.Crds;
using GridGame.GameServer.Agent;

namespace GridGame.GameServer.Tests.Agent;

public sealed class SessionRecoveryTests
{
    public static TheoryData<string, GameSessionStatus?, bool> Cases => new()
    {
        { "no status yet", null, false },
        { "allocated, nobody joined", new() { Phase = SessionPhase.Allocated }, false },
        { "allocated, the fresh game reported no players", new() { Phase = SessionPhase.Allocated, Players = [] }, false },
        { "a player joined, play not started", new() { Phase = SessionPhase.Allocated, Players = [new() { Id = "alice", Score = 0 }] }, true },
        { "running", new() { Phase = SessionPhase.Running }, true },
        { "started at is set", new() { Phase = SessionPhase.Allocated, StartedAt = DateTime.UtcNow }, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_session_whose_status_shows_a_joined_player_or_a_start_was_served(string why, GameSessionStatus? status, bool served) =>
        SessionRecovery.WasServed(status).Should().Be(served, why);
}
