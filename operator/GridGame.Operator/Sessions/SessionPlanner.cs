using GridGame.Crds;
using GridGame.Operator.Fleets;

namespace GridGame.Operator.Sessions;

/// <summary>A server pod as the session decision sees it.</summary>
internal sealed record SessionServer(string Name, ServerState State, bool Terminating, bool Failed, string? Session);

/// <summary>What the session controller observed for one session (no API types).</summary>
/// <param name="BoundServer">The `gridgame.io/server` label: the session's half of the binding.</param>
/// <param name="Server">The pod named by the label, if it still exists.</param>
/// <param name="Reserved">A pod whose `gridgame.io/session` annotation names this session: the pod's half.</param>
/// <param name="InvalidReason">The validator's message naming the field, when the spec is invalid.</param>
internal sealed record SessionObservation(
    string Name,
    SessionPhase? Phase,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt,
    TimeSpan AllocationTimeout,
    TimeSpan? TimeToLive,
    bool Deleting,
    string? BoundServer,
    SessionServer? Server,
    SessionServer? Reserved,
    bool FleetExists,
    string? InvalidReason,
    DateTimeOffset Now);

/// <summary>The kinds of step the session controller takes.</summary>
internal enum SessionStep
{
    /// <summary>Nothing to do now (maybe later: see RecheckAt).</summary>
    Wait,

    /// <summary>Pick a Ready server and reserve it; on no capacity call <see cref="SessionPlanner.NoCapacity"/>.</summary>
    Allocate,

    /// <summary>
    /// The fleet is not (yet) in the cache: stay Pending with condition FleetFound=False until RecheckAt. A session
    /// applied with its fleet may be seen first; the fleet's arrival wakes it.
    /// </summary>
    AwaitFleet,

    /// <summary>The pod is reserved for this session; write the session's half (label, finalizer, status).</summary>
    CompleteBinding,

    /// <summary>Move the session to Failed with Reason/Message.</summary>
    Fail,

    /// <summary>Finished or Failed: give the server back (delete the pod; the fleet replaces it).</summary>
    Release,

    /// <summary>The session is deleted: release the server, then drop the `gridgame.io/release` finalizer.</summary>
    Finalize,

    /// <summary>The time to live after finishing has passed: delete the session.</summary>
    Delete,
}

/// <param name="Server">The pod to bind (CompleteBinding) or delete (Release/Finalize), if any.</param>
internal sealed record SessionDecision(SessionStep Step, string? Reason = null, string? Message = null, string? Server = null, DateTimeOffset? RecheckAt = null);

/// <summary>
/// The pure reconcile decision of the session controller (docs/design.md, "Allocation"). The binding has two
/// halves written in order — the pod (state Allocated + session annotation, with a precondition) then the session
/// (label, status) — so a half-done binding is always recognisable from the pod annotation and completed.
/// </summary>
internal static class SessionPlanner
{
    public static SessionDecision Decide(SessionObservation s)
    {
        if (s.Deleting)
        {
            return new(SessionStep.Finalize, Server: Releasable(s));
        }
        switch (s.Phase)
        {
            case SessionPhase.Finished or SessionPhase.Failed:
                if (Releasable(s) is { } server)
                {
                    return new(SessionStep.Release, Server: server);
                }
                if (s.TimeToLive is { } ttl)
                {
                    var deleteAt = (s.FinishedAt ?? s.CreatedAt) + ttl;
                    return s.Now >= deleteAt ? new(SessionStep.Delete) : new(SessionStep.Wait, RecheckAt: deleteAt);
                }
                return new(SessionStep.Wait);

            case SessionPhase.Allocated or SessionPhase.Running when s.BoundServer is not null:
                return Lost(s) is { } why
                    ? new(SessionStep.Fail, WellKnown.SessionReasons.ServerLost, why)
                    : new(SessionStep.Wait);
        }

        // Pending (or a status not yet written).
        if (s.BoundServer is not null)
        {
            return Lost(s) is { } why
                ? new(SessionStep.Fail, WellKnown.SessionReasons.ServerLost, why)
                : new(SessionStep.CompleteBinding, Server: s.BoundServer);
        }
        if (s.Reserved is { Terminating: false, Failed: false } reserved)
        {
            return new(SessionStep.CompleteBinding, Server: reserved.Name);
        }
        if (s.InvalidReason is not null)
        {
            return new(SessionStep.Fail, WellKnown.SessionReasons.Invalid, s.InvalidReason);
        }
        var deadline = s.CreatedAt + s.AllocationTimeout;
        if (!s.FleetExists)
        {
            // Failing is final, so the controller asks the API server (not only its cache) before it acts on this.
            return s.Now >= deadline
                ? new(SessionStep.Fail, WellKnown.SessionReasons.FleetNotFound, $"the fleet named in spec.fleetName did not exist within {s.AllocationTimeout.TotalSeconds:0}s")
                : new(SessionStep.AwaitFleet, WellKnown.SessionReasons.FleetNotFound, "waiting for the fleet named in spec.fleetName, which does not exist yet", RecheckAt: deadline);
        }
        return new(SessionStep.Allocate, RecheckAt: deadline);
    }

    /// <summary>No server could be reserved: wait for capacity (the autoscaler counts the session) or give up.</summary>
    public static SessionDecision NoCapacity(SessionObservation s)
    {
        var deadline = s.CreatedAt + s.AllocationTimeout;
        return s.Now >= deadline
            ? new(SessionStep.Fail, WellKnown.SessionReasons.Unallocatable, $"no Ready server within {s.AllocationTimeout.TotalSeconds:0}s")
            : new(SessionStep.Wait, RecheckAt: deadline);
    }

    private static string? Lost(SessionObservation s) => s.Server switch
    {
        null => $"server {s.BoundServer} is gone",
        { Failed: true } => $"server {s.BoundServer} failed",
        { Terminating: true } => $"server {s.BoundServer} is being deleted",
        { Session: { } other } when other != s.Name => $"server {s.BoundServer} serves another session",
        _ => null,
    };

    /// <summary>The pod this session holds and may give back.</summary>
    private static string? Releasable(SessionObservation s) =>
        s.Reserved is { Terminating: false } r ? r.Name : null;
}
