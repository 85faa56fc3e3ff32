using System.Security.Cryptography;
using System.Text.Json;
using GridGame.Crds;
using GridGame.Crds.Schema;
using GridGame.LocalCluster;
using GridGame.LocalCluster.Nodes;
using GridGame.Operator.Fleets;
using GridGame.Operator.Hosting;
using GridGame.Operator.Sessions;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace GridGame.Operator.Local;

/// <summary>
/// <c>gridgame-operator local</c>: LocalCluster, a kubelet, the CRDs, the operator, the sample fleet and the lobby,
/// all in this process (game servers are child processes of the process kubelet). Disposing stops them in reverse.
/// </summary>
internal sealed class LocalMode : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _parts = [];

    private LocalMode(LocalApiServer api, string kubeconfig)
    {
        Api = api;
        Kubeconfig = kubeconfig;
        _parts.Add(api);
    }

    public LocalApiServer Api { get; }

    public string Kubeconfig { get; }

    public Uri? Lobby { get; private set; }

    public OperatorHost? Operator { get; private set; }

    /// <summary>Starts everything the options ask for and prints one line per endpoint.</summary>
    public static async Task<LocalMode> StartAsync(LocalModeOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        // Find the game server before anything starts, so a missing build fails fast and leaves nothing behind.
        IReadOnlyList<string>? gameServer = null;
        if (!options.ApiOnly && options.Kubelet == KubeletKind.Process)
        {
            gameServer = await GameServerLocator.LocateAsync(options.GameServer, output, cancellationToken).ConfigureAwait(false);
        }

        var api = await LocalApiServer.StartAsync(new LocalApiServerOptions { Port = options.ApiPort }, cancellationToken).ConfigureAwait(false);
        var kubeconfig = Path.GetFullPath(api.WriteKubeconfig(options.Kubeconfig));
        var local = new LocalMode(api, kubeconfig);
        try
        {
            await output.WriteLineAsync($"API {api.BaseAddress.ToString().TrimEnd('/')}").ConfigureAwait(false);
            await output.WriteLineAsync($"kubeconfig {kubeconfig}").ConfigureAwait(false);
            if (!options.ApiOnly)
            {
                await local.StartClusterAsync(options, gameServer, output, cancellationToken).ConfigureAwait(false);
            }

            await output.WriteLineAsync($"try: export KUBECONFIG={kubeconfig}; kubectl get gamefleets,gamesessions,pods").ConfigureAwait(false);
            return local;
        }
        catch
        {
            await local.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartClusterAsync(LocalModeOptions options, IReadOnlyList<string>? gameServer, TextWriter output, CancellationToken cancellationToken)
    {
        using var client = new Kubernetes(Api.ClientConfiguration());
        await InstallCrdsAsync(client, cancellationToken).ConfigureAwait(false);

        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        // Process nodes listen on addresses of this run's own loopback slot; simulated ones keep their fake addresses.
        IReadOnlyList<LocalNodeSpec>? processNodes = null;
        if (options.Kubelet == KubeletKind.Process)
        {
            var slot = LoopbackSlot.Acquire();
            _parts.Add(slot);
            processNodes = [.. Enumerable.Range(0, options.Nodes).Select(i => new LocalNodeSpec($"local-node-{i}") { InternalIP = slot.NodeAddress(i), ExternalIP = slot.NodeAddress(i) })];
        }

        var nodes = await LocalNodes.StartAsync(new LocalNodesOptions
        {
            Client = Api.ClientConfiguration(),
            NodeCount = options.Nodes,
            Nodes = processNodes,
            Kind = options.Kubelet,
            Images = gameServer is null ? new Dictionary<string, IReadOnlyList<string>>() : new Dictionary<string, IReadOnlyList<string>> { ["*gridgame-gameserver*"] = gameServer },
            KubeconfigPath = Kubeconfig,
            StateDirectory = Path.Combine(Path.GetDirectoryName(Kubeconfig)!, "kubelet"),
            RestartBackoff = TimeSpan.FromSeconds(2),
        }, cancellationToken).ConfigureAwait(false);
        _parts.Add(nodes);

        Operator = await OperatorHost.StartAsync(
            new OperatorOptions { LeaderElectionEnabled = false, HttpPort = 0, HttpAddress = "127.0.0.1", JsonLogs = false },
            Api.ClientConfiguration(),
            cancellationToken,
            controllers: [new FleetController(), new SessionController()],
            configureLogging: logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning)).ConfigureAwait(false);
        _parts.Add(Operator);
        await output.WriteLineAsync($"operator {Operator.HttpUri.ToString().TrimEnd('/')}  (/healthz /readyz /metrics)").ConfigureAwait(false);

        if (options.Sample)
        {
            await ApplySampleFleetAsync(client, Path.GetDirectoryName(Kubeconfig)!, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync("fleet default/arena (config/samples/gamefleet.yaml)").ConfigureAwait(false);
        }

        var lobby = await LobbyServer.StartAsync(Api.ClientConfiguration(), options.LobbyPort, cancellationToken).ConfigureAwait(false);
        _parts.Add(lobby);
        Lobby = lobby.Address;
        await output.WriteLineAsync($"lobby {lobby.Address.ToString().TrimEnd('/')}").ConfigureAwait(false);
    }

    private static async Task InstallCrdsAsync(Kubernetes client, CancellationToken cancellationToken)
    {
        foreach (var (_, crd) in CrdGenerator.All())
        {
            var definition = KubernetesJson.Deserialize<V1CustomResourceDefinition>(crd.ToJsonString());
            await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(definition, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The sample fleet as a newcomer would apply it, plus what local play needs: dev tokens on, so the lobby can
    /// hand players a token, a signing key of this run's own (never a fixed one), and the history database's place.
    /// </summary>
    private static async Task ApplySampleFleetAsync(Kubernetes client, string stateDirectory, CancellationToken cancellationToken)
    {
        var fleet = SampleFleet.Load();
        var history = Path.Combine(stateDirectory, "history.db");
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "gridgame-local", NamespaceProperty = fleet.Namespace() },
            StringData = new Dictionary<string, string> { ["signingKey"] = key },
        }, fleet.Namespace(), cancellationToken: cancellationToken).ConfigureAwait(false);

        foreach (var container in fleet.Spec.Template?.Spec?.Containers ?? [])
        {
            container.Env ??= [];
            container.Env.Add(new V1EnvVar { Name = "Auth__DevTokens", Value = "true" });
            // One history database for every local server, beside the kubeconfig, so finished games can be looked up.
            container.Env.Add(new V1EnvVar { Name = "ConnectionStrings__Sqlite", Value = $"Data Source={history}" });
            container.Env.Add(new V1EnvVar
            {
                Name = "Auth__SigningKey",
                ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = "gridgame-local", Key = "signingKey" } },
            });
        }

        await client.CustomObjects.CreateNamespacedCustomObjectAsync(fleet, GridGameApi.Group, GridGameApi.Version, fleet.Namespace(), GameFleet.KubePluralName, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _parts.Count - 1; i >= 0; i--)
        {
            await _parts[i].DisposeAsync().ConfigureAwait(false);
        }

        _parts.Clear();
    }
}

/// <summary>The sample fleet (config/samples/gamefleet.yaml), embedded so <c>local</c> runs from any directory.</summary>
internal static class SampleFleet
{
    public static GameFleet Load()
    {
        using var stream = typeof(SampleFleet).Assembly.GetManifestResourceStream("GridGame.Operator.Local.gamefleet.yaml")
            ?? throw new InvalidOperationException("the sample fleet is not embedded in this build");
        using var reader = new StreamReader(stream);
        return KubernetesYaml.Deserialize<GameFleet>(reader.ReadToEnd());
    }
}
