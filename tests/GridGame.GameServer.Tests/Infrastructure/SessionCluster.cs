using GridGame.Crds;
using GridGame.LocalCluster;
using k8s;
using k8s.Models;

namespace GridGame.GameServer.Tests.Infrastructure;

/// <summary>
/// LocalCluster's API server with the GameSession CRD, standing in for the operator: a test creates sessions bound to a
/// pod name, and starts game servers whose agent (real KubernetesClient, through a kubeconfig) serves that pod.
/// </summary>
internal sealed class SessionCluster : IAsyncDisposable
{
    public const string Namespace = "default";
    private readonly string _dir = Directory.CreateTempSubdirectory("gg-agent-").FullName;

    private SessionCluster(LocalApiServer api)
    {
        Api = api;
        Client = new Kubernetes(api.ClientConfiguration());
        Kubeconfig = api.WriteKubeconfig(Path.Combine(_dir, "kubeconfig"));
    }

    public LocalApiServer Api { get; }

    public Kubernetes Client { get; }

    public string Kubeconfig { get; }

    public static async Task<SessionCluster> StartAsync()
    {
        var api = await LocalApiServer.StartAsync(new LocalApiServerOptions { Port = 0 });
        var cluster = new SessionCluster(api);
        try
        {
            var crd = KubernetesYaml.Deserialize<V1CustomResourceDefinition>(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "crds", "gamesessions.gridgame.io.yaml")));
            await cluster.Client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd);
            await Eventually.UntilAsync(async () =>
            {
                await cluster.Client.CustomObjects.ListNamespacedCustomObjectAsync(GridGameApi.Group, GridGameApi.Version, Namespace, GameSession.KubePluralName);
                return true;
            }, "the GameSession CRD is served");
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The settings that make a game server the agent of <paramref name="pod"/> in this cluster.</summary>
    public Dictionary<string, string?> ServerSettings(string pod) => new()
    {
        ["GridGame:Standalone"] = "false",
        ["POD_NAME"] = pod,
        ["POD_NAMESPACE"] = Namespace,
        ["KUBECONFIG"] = Kubeconfig,
    };

    /// <summary>A session bound to <paramref name="pod"/> and Allocated, as the operator leaves it for the server.</summary>
    public async Task CreateAllocatedAsync(string name, string pod, params string[] players)
    {
        var session = new GameSession
        {
            ApiVersion = $"{GridGameApi.Group}/{GridGameApi.Version}",
            Kind = GameSession.KubeKind,
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace, Labels = new Dictionary<string, string> { [WellKnown.ServerLabel] = pod } },
            Spec = new GameSessionSpec { FleetName = "arena", Players = players.Length == 0 ? null : players },
        };
        await Client.CustomObjects.CreateNamespacedCustomObjectAsync(session, GridGameApi.Group, GridGameApi.Version, Namespace, GameSession.KubePluralName);
        var status = new { status = new { phase = "Allocated", serverName = pod, allocatedAt = DateTime.UtcNow } };
        await Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch(status, V1Patch.PatchType.MergePatch),
            GridGameApi.Group, GridGameApi.Version, Namespace, GameSession.KubePluralName, name);
    }

    /// <summary>Binds the session to <paramref name="pod"/> (its server label), or unbinds it (null).</summary>
    public async Task BindAsync(string name, string? pod)
    {
        var patch = new { metadata = new { labels = new Dictionary<string, string?> { [WellKnown.ServerLabel] = pod } } };
        await Client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch),
            GridGameApi.Group, GridGameApi.Version, Namespace, GameSession.KubePluralName, name);
    }

    public async Task<GameSession> GetAsync(string name) =>
        await Client.CustomObjects.GetNamespacedCustomObjectAsync<GameSession>(GridGameApi.Group, GridGameApi.Version, Namespace, GameSession.KubePluralName, name);

    /// <summary>Polls the session until its status satisfies the condition; returns it.</summary>
    public async Task<GameSession> WaitForAsync(string name, Func<GameSessionStatus, bool> condition, string what)
    {
        GameSession? last = null;
        try
        {
            await Eventually.UntilAsync(async () =>
            {
                last = await GetAsync(name);
                return last.Status is { } status && condition(status);
            }, what);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; last status: {KubernetesJson.Serialize(last?.Status)}", ex);
        }
        return last!;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Api.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
