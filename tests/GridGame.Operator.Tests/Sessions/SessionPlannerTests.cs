using GridGame.Crds;
using GridGame.Operator.Fleets;
using GridGame.Operator.Sessions;

namespace GridGame.Operator.Tests.Sessions;

public sealed class SessionPlannerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static SessionObservation Pending(int ageSeconds = 0) => new(
        "match-1", null, T0, null, TimeSpan.FromSeconds(30), TimeSpan.FromHours(1), Deleting: false,
        BoundServer: null, Server: null, Reserved: null, FleetExists: true, InvalidReason: null, Now: T0.AddSeconds(ageSeconds));

    private static SessionServer Server(string name = "arena-x", string? session = "match-1", ServerState state = ServerState.Allocated) =>
        new(name, state, Terminating: false, Failed: false, session);

    [Fact]
    public void A_new_session_of_a_known_fleet_is_allocated()
    {
        var decision = SessionPlanner.Decide(Pending());
        decision.Step.Should().Be(SessionStep.Allocate);
        decision.RecheckAt.Should().Be(T0.AddSeconds(30));
    }

    [Fact]
    public void An_unknown_fleet_keeps_the_session_waiting_until_the_timeout()
    {
        SessionPlanner.Decide(Pending(ageSeconds: 29) with { FleetExists = false })
            .Should().Be(new SessionDecision(SessionStep.AwaitFleet, "FleetNotFound", "waiting for the fleet named in spec.fleetName, which does not exist yet", RecheckAt: T0.AddSeconds(30)));
        var late = SessionPlanner.Decide(Pending(ageSeconds: 30) with { FleetExists = false });
        late.Step.Should().Be(SessionStep.Fail);
        late.Reason.Should().Be("FleetNotFound");
    }

    [Fact]
    public void An_invalid_spec_fails_the_session_naming_the_field()
    {
        var decision = SessionPlanner.Decide(Pending() with { InvalidReason = "spec.game.boardSize: 12 is above the fleet's 8" });
        decision.Step.Should().Be(SessionStep.Fail);
        decision.Reason.Should().Be("Invalid");
        decision.Message.Should().Contain("spec.game.boardSize");
    }

    [Fact]
    public void No_capacity_keeps_the_session_Pending_until_the_timeout()
    {
        SessionPlanner.NoCapacity(Pending(ageSeconds: 29)).Should().Be(new SessionDecision(SessionStep.Wait, RecheckAt: T0.AddSeconds(30)));
        var late = SessionPlanner.NoCapacity(Pending(ageSeconds: 30));
        late.Step.Should().Be(SessionStep.Fail);
        late.Reason.Should().Be("Unallocatable");
    }

    [Fact]
    public void A_pod_reserved_for_the_session_completes_a_half_done_binding() =>
        SessionPlanner.Decide(Pending() with { Reserved = Server() }).Should().Be(new SessionDecision(SessionStep.CompleteBinding, Server: "arena-x"));

    [Fact]
    public void A_labelled_session_without_status_completes_its_binding() =>
        SessionPlanner.Decide(Pending() with { BoundServer = "arena-x", Server = Server(), Reserved = Server() }).Step.Should().Be(SessionStep.CompleteBinding);

    [Theory]
    [InlineData(SessionPhase.Allocated)]
    [InlineData(SessionPhase.Running)]
    public void A_bound_session_whose_server_is_gone_fails_with_ServerLost(SessionPhase phase)
    {
        var decision = SessionPlanner.Decide(Pending() with { Phase = phase, BoundServer = "arena-x" });
        decision.Step.Should().Be(SessionStep.Fail);
        decision.Reason.Should().Be("ServerLost");
    }

    [Fact]
    public void A_bound_session_whose_server_is_being_deleted_fails_with_ServerLost() =>
        SessionPlanner.Decide(Pending() with { Phase = SessionPhase.Running, BoundServer = "arena-x", Server = Server() with { Terminating = true } })
            .Reason.Should().Be("ServerLost");

    [Fact]
    public void A_healthy_bound_session_is_left_alone() =>
        SessionPlanner.Decide(Pending() with { Phase = SessionPhase.Running, BoundServer = "arena-x", Server = Server(), Reserved = Server() })
            .Step.Should().Be(SessionStep.Wait);

    [Theory]
    [InlineData(SessionPhase.Finished)]
    [InlineData(SessionPhase.Failed)]
    public void A_finished_or_failed_session_releases_its_server(SessionPhase phase) =>
        SessionPlanner.Decide(Pending() with { Phase = phase, BoundServer = "arena-x", Server = Server(), Reserved = Server() })
            .Should().Be(new SessionDecision(SessionStep.Release, Server: "arena-x"));

    [Fact]
    public void A_finished_session_is_deleted_after_its_time_to_live()
    {
        var finished = Pending() with { Phase = SessionPhase.Finished, FinishedAt = T0, TimeToLive = TimeSpan.FromMinutes(5) };
        SessionPlanner.Decide(finished with { Now = T0.AddMinutes(4) }).Should().Be(new SessionDecision(SessionStep.Wait, RecheckAt: T0.AddMinutes(5)));
        SessionPlanner.Decide(finished with { Now = T0.AddMinutes(5) }).Step.Should().Be(SessionStep.Delete);
    }

    [Fact]
    public void A_deleted_session_releases_its_server_before_the_finalizer_goes() =>
        SessionPlanner.Decide(Pending() with { Deleting = true, Reserved = Server() }).Should().Be(new SessionDecision(SessionStep.Finalize, Server: "arena-x"));

    [Fact]
    public void A_deleted_session_without_a_server_just_drops_the_finalizer() =>
        SessionPlanner.Decide(Pending() with { Deleting = true }).Should().Be(new SessionDecision(SessionStep.Finalize));
}
