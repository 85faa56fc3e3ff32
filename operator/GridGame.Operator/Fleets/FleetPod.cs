namespace GridGame.Operator.Fleets;

/// <summary>The lifecycle of a game-server pod as the operator sees it (the `gridgame.io/state` label; none = Starting).</summary>
internal enum ServerState
{
    /// <summary>Created, not yet Ready: no state label yet.</summary>
    Starting,
    Ready,
    Allocated,
    Draining,
}

/// <summary>
/// A game-server pod reduced to what the fleet decisions need, so the planners do not depend on API types.
/// </summary>
/// <param name="IsReady">The pod's Ready condition is True.</param>
/// <param name="NotReadySince">When the Ready condition last turned False (null while Ready or never reported).</param>
internal sealed record FleetPod(
    string Name,
    string Revision,
    ServerState State,
    string? NodeName,
    bool IsReady,
    DateTimeOffset CreatedAt,
    bool Failed = false,
    bool Terminating = false,
    int Restarts = 0,
    DateTimeOffset? NotReadySince = null)
{
    /// <summary>Allocated or Draining: serving a session, never removed by scaling.</summary>
    public bool IsInUse => State is ServerState.Allocated or ServerState.Draining;
}
