using GridGame.Crds;
using GridGame.Operator.Tests.Fleets;
using k8s;
using k8s.Models;

namespace GridGame.Operator.Tests.Sessions;

/// <summary>What a matchmaker (and the game server, for status) does with GameSessions, for the tests.</summary>
internal static class SessionClient
{
    public static GameSession Session(string name, string fleet = "arena", int timeoutSeconds = 30, int? ttlSeconds = null, V1LabelSelector? selector = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = OperatorCluster.Namespace },
        Spec = new GameSessionSpec { FleetName = fleet, AllocationTimeoutSeconds = timeoutSeconds, TtlSecondsAfterFinished = ttlSeconds, Selector = selector },
    };

    public static async Task<GameSession> CreateSessionAsync(this OperatorCluster cluster, GameSession session) =>
        await cluster.Client.CustomObjects.CreateNamespacedCustomObjectAsync<GameSession>(session, GridGameApi.Group, GridGameApi.Version, OperatorCluster.Namespace, GameSession.KubePluralName);

    public static async Task<GameSession?> GetSessionAsync(this OperatorCluster cluster, string name)
    {
        try
        {
            return await cluster.Client.CustomObjects.GetNamespacedCustomObjectAsync<GameSession>(GridGameApi.Group, GridGameApi.Version, OperatorCluster.Namespace, GameSession.KubePluralName, name);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public static async Task<IList<GameSession>> ListSessionsAsync(this OperatorCluster cluster) =>
        (await cluster.Client.CustomObjects.ListNamespacedCustomObjectAsync<GameSessionList>(GridGameApi.Group, GridGameApi.Version, OperatorCluster.Namespace, GameSession.KubePluralName)).Items;

    public static Task<GameSession?> WaitForPhaseAsync(this OperatorCluster cluster, string name, SessionPhase phase, TimeSpan? within = null) =>
        Eventually.ValueAsync(() => cluster.GetSessionAsync(name), s => s?.Status?.Phase == phase, within ?? TimeSpan.FromSeconds(20), $"session {name} is {phase}");

    /// <summary>What the game server does when a game ends.</summary>
    public static async Task FinishAsync(this OperatorCluster cluster, string name) =>
        await cluster.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync<GameSession>(
            new V1Patch(new { status = new { phase = "Finished", finishedAt = DateTime.UtcNow, winner = "alice" } }, V1Patch.PatchType.MergePatch),
            GridGameApi.Group, GridGameApi.Version, OperatorCluster.Namespace, GameSession.KubePluralName, name);

    public static async Task DeleteSessionAsync(this OperatorCluster cluster, string name) =>
        await cluster.Client.CustomObjects.DeleteNamespacedCustomObjectAsync(GridGameApi.Group, GridGameApi.Version, OperatorCluster.Namespace, GameSession.KubePluralName, name);
}
