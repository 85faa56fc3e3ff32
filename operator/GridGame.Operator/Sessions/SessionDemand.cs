using GridGame.Crds;
using GridGame.Operator.Runtime;

namespace GridGame.Operator.Sessions;

/// <summary>Sessions as demand on their fleet: which ones wait for a server, and how to find them by fleet.</summary>
internal static class SessionDemand
{
    /// <summary>Index of sessions by <c>namespace/spec.fleetName</c>.</summary>
    public const string ByFleet = "session-fleet";

    /// <summary>
    /// Adds the <see cref="ByFleet"/> index to a session cache. Both controllers read the one shared informer and may
    /// both call this: adding an index again replaces it with the same one.
    /// </summary>
    public static void AddIndex(ResourceCache<GameSession> sessions) => sessions.AddIndex(ByFleet, FleetKeys);

    /// <summary>Waiting for a server: not being deleted, Pending (or not reconciled yet), and not bound to one.</summary>
    public static bool IsPending(GameSession session) =>
        session.Metadata.DeletionTimestamp is null
        && session.Status?.Phase is null or SessionPhase.Pending
        && session.Metadata.Labels?.ContainsKey(WellKnown.ServerLabel) != true;

    private static IEnumerable<string> FleetKeys(GameSession session) =>
        session.Spec?.FleetName is { } fleet ? [ObjectKey.Of(session.Metadata.NamespaceProperty, fleet)] : [];
}
