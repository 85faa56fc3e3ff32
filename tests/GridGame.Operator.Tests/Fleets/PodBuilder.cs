using GridGame.Operator.Fleets;

namespace GridGame.Operator.Tests.Fleets;

/// <summary>Builds observed pods for the planner tables: <c>Pod.Ready("a", node: "n1")</c>.</summary>
internal static class Pod
{
    public static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public static FleetPod Starting(string name, string revision = "r1", string? node = null, int age = 0) =>
        new(name, revision, ServerState.Starting, node, IsReady: false, CreatedAt: T0.AddSeconds(-age));

    public static FleetPod Ready(string name, string revision = "r1", string? node = "n1", int age = 0) =>
        new(name, revision, ServerState.Ready, node, IsReady: true, CreatedAt: T0.AddSeconds(-age));

    public static FleetPod Allocated(string name, string revision = "r1", string? node = "n1") =>
        new(name, revision, ServerState.Allocated, node, IsReady: true, CreatedAt: T0.AddSeconds(-100));

    public static FleetPod Draining(string name, string revision = "r1", string? node = "n1") =>
        new(name, revision, ServerState.Draining, node, IsReady: true, CreatedAt: T0.AddSeconds(-100));
}
