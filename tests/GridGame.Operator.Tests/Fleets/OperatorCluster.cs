using GridGame.Crds;
using GridGame.LocalCluster;
using GridGame.LocalCluster.Nodes;
using GridGame.Operator.Fleets;
using GridGame.Operator.Hosting;
using GridGame.Operator.Runtime;
using GridGame.Operator.Sessions;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace GridGame.Operator.Tests.Fleets;

/// <summary>
/// LocalCluster (API server + simulated kubelets on several nodes) with the CRDs installed and the operator's
/// fleet and session controllers running in-process against it over HTTP with the real KubernetesClient.
/// </summary>
internal sealed class OperatorCluster : IAsyncDisposable
{
    public const string Namespace = "default";

    private OperatorCluster(LocalApiServer api, LocalNodes nodes)
    {
        Api = api;
        Nodes = nodes;
        Client = new Kubernetes(api.ClientConfiguration());
    }

    public LocalApiServer Api { get; }

    public LocalNodes Nodes { get; }

    public Kubernetes Client { get; }

    public OperatorHost? Operator { get; private set; }

    /// <summary>False for fleet tests that mark servers Allocated by hand (the session controller would release them: no such session).</summary>
    public bool RunSessions { get; init; } = true;

    /// <summary>The operator's clock (the system clock unless a test passed one): rollout tests move it past deadlines.</summary>
    public TimeProvider OperatorTime { get; private init; } = TimeProvider.System;

    /// <param name="simulatedImages">Image globs whose pods never turn Ready or crash-loop (<see cref="LocalNodesOptions.SimulatedImages"/>).</param>
    /// <param name="operatorTime">The operator's clock; the API server and kubelets keep real time.</param>
    public static async Task<OperatorCluster> StartAsync(int nodes = 3, bool startOperator = true, OperatorOptions? options = null, IReadOnlyList<LocalNodeSpec>? nodeSpecs = null, bool sessions = true,
        IReadOnlyDictionary<string, SimulatedImageBehavior>? simulatedImages = null, TimeProvider? operatorTime = null)
    {
        var api = await LocalApiServer.StartAsync(new LocalApiServerOptions { Port = 0 });
        LocalNodes? localNodes = null;
        try
        {
            using (var client = new Kubernetes(api.ClientConfiguration()))
            {
                await InstallCrdsAsync(client);
            }
            localNodes = await LocalNodes.StartAsync(new LocalNodesOptions
            {
                Client = api.ClientConfiguration(),
                NodeCount = nodeSpecs?.Count ?? nodes,
                Nodes = nodeSpecs,
                Kind = KubeletKind.Simulated,
                HeartbeatInterval = TimeSpan.FromSeconds(30),
                SimulatedImages = simulatedImages ?? new Dictionary<string, SimulatedImageBehavior>(),
            });
            var cluster = new OperatorCluster(api, localNodes) { RunSessions = sessions, OperatorTime = operatorTime ?? TimeProvider.System };
            if (startOperator)
            {
                await cluster.StartOperatorAsync(options);
            }
            return cluster;
        }
        catch
        {
            if (localNodes is not null)
            {
                await localNodes.DisposeAsync();
            }
            await api.DisposeAsync();
            throw;
        }
    }

    public async Task StartOperatorAsync(OperatorOptions? options = null)
    {
        options ??= new OperatorOptions();
        options = options with { LeaderElectionEnabled = false, HttpPort = 0, HttpAddress = "127.0.0.1", JsonLogs = false };
        Operator = await OperatorHost.StartAsync(options, Api.ClientConfiguration(), CancellationToken.None,
            controllers: RunSessions ? [new FleetController(), new SessionController()] : [new FleetController()],
            time: OperatorTime,
            configureLogging: logging =>
            {
                // GRIDGAME_TEST_LOGS=1 shows the operator's log on the console when a test needs explaining.
                if (Environment.GetEnvironmentVariable("GRIDGAME_TEST_LOGS") == "1")
                {
                    logging.AddSimpleConsole();
                    logging.SetMinimumLevel(LogLevel.Debug);
                }
                else
                {
                    logging.SetMinimumLevel(LogLevel.Warning);
                }
            });
        await Eventually.UntilAsync(() => Task.FromResult(Operator.Ready && Operator.IsLeader), TimeSpan.FromSeconds(20), "the operator syncs its caches");
    }

    /// <summary>Stops the operator as a crash would (no graceful release), to test recovery.</summary>
    public async Task KillOperatorAsync()
    {
        if (Operator is not null)
        {
            await Operator.KillAsync();
            await Operator.DisposeAsync();
            Operator = null;
        }
    }

    private static async Task InstallCrdsAsync(Kubernetes client)
    {
        var dir = Path.Combine(RepositoryRoot.Path, "crds");
        var files = Directory.Exists(dir) ? Directory.GetFiles(dir, "*.yaml") : [];
        var crds = files.Length > 0
            ? files.Select(f => KubernetesYaml.Deserialize<V1CustomResourceDefinition>(File.ReadAllText(f))).ToList()
            : [MinimalCrd(GameFleet.KubePluralName, GameFleet.KubeKind, scale: true), MinimalCrd(GameSession.KubePluralName, GameSession.KubeKind, scale: false)];
        foreach (var crd in crds)
        {
            await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd);
        }
        foreach (var crd in crds)
        {
            await Eventually.UntilAsync(async () =>
            {
                try
                {
                    await client.CustomObjects.ListNamespacedCustomObjectAsync(crd.Spec.Group, "v1", Namespace, crd.Spec.Names.Plural);
                    return true;
                }
                catch (k8s.Autorest.HttpOperationException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(10), $"{crd.Metadata.Name} is served");
        }
    }

    /// <summary>Used only until the generated manifests (crds/*.yaml) exist: a schema-less CRD with the same subresources.</summary>
    private static V1CustomResourceDefinition MinimalCrd(string plural, string kind, bool scale) => new()
    {
        Metadata = new V1ObjectMeta { Name = $"{plural}.{GridGameApi.Group}" },
        Spec = new V1CustomResourceDefinitionSpec
        {
            Group = GridGameApi.Group,
            Scope = "Namespaced",
            Names = new V1CustomResourceDefinitionNames { Plural = plural, Kind = kind, Singular = kind.ToLowerInvariant(), ListKind = kind + "List" },
            Versions =
            [
                new V1CustomResourceDefinitionVersion
                {
                    Name = GridGameApi.Version,
                    Served = true,
                    Storage = true,
                    Subresources = new V1CustomResourceSubresources
                    {
                        Status = new object(),
                        Scale = scale ? new V1CustomResourceSubresourceScale { SpecReplicasPath = ".spec.replicas", StatusReplicasPath = ".status.replicas", LabelSelectorPath = ".status.selector" } : null,
                    },
                    Schema = new V1CustomResourceValidation
                    {
                        OpenAPIV3Schema = new V1JSONSchemaProps
                        {
                            Type = "object",
                            Properties = new Dictionary<string, V1JSONSchemaProps>
                            {
                                ["spec"] = new() { Type = "object", XKubernetesPreserveUnknownFields = true },
                                ["status"] = new() { Type = "object", XKubernetesPreserveUnknownFields = true },
                            },
                        },
                    },
                },
            ],
        },
    };

    /// <summary>The fleet's Events with the given reason (newest last).</summary>
    public async Task<IReadOnlyList<Corev1Event>> EventsAsync(string fleet, string? reason = null)
    {
        var list = await Client.CoreV1.ListNamespacedEventAsync(Namespace, fieldSelector: $"involvedObject.name={fleet},involvedObject.kind={GameFleet.KubeKind}");
        return list.Items.Where(e => reason is null || e.Reason == reason).ToList();
    }

    public async Task<GameFleet> CreateFleetAsync(GameFleet fleet) =>
        await Client.CustomObjects.CreateNamespacedCustomObjectAsync<GameFleet>(fleet, GridGameApi.Group, GridGameApi.Version, Namespace, GameFleet.KubePluralName);

    public async Task<GameFleet> GetFleetAsync(string name) =>
        await Client.CustomObjects.GetNamespacedCustomObjectAsync<GameFleet>(GridGameApi.Group, GridGameApi.Version, Namespace, GameFleet.KubePluralName, name);

    public async Task PatchFleetAsync(string name, object mergePatch) =>
        await Client.CustomObjects.PatchNamespacedCustomObjectAsync<GameFleet>(new V1Patch(mergePatch, V1Patch.PatchType.MergePatch),
            GridGameApi.Group, GridGameApi.Version, Namespace, GameFleet.KubePluralName, name);

    public async Task DeleteFleetAsync(string name) =>
        await Client.CustomObjects.DeleteNamespacedCustomObjectAsync(GridGameApi.Group, GridGameApi.Version, Namespace, GameFleet.KubePluralName, name);

    public async Task<bool> FleetExistsAsync(string name)
    {
        try
        {
            await GetFleetAsync(name);
            return true;
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>The fleet's pods that are not being deleted.</summary>
    public async Task<IReadOnlyList<V1Pod>> PodsAsync(string fleet, bool includeTerminating = false)
    {
        var list = await Client.CoreV1.ListNamespacedPodAsync(Namespace, labelSelector: $"{WellKnown.FleetLabel}={fleet}");
        return list.Items.Where(p => includeTerminating || p.Metadata.DeletionTimestamp is null).ToList();
    }

    public async Task<IReadOnlyList<V1Pod>> ReadyPodsAsync(string fleet) =>
        (await PodsAsync(fleet)).Where(p => PodObservation.State(p) == ServerState.Ready && PodObservation.IsReady(p)).ToList();

    /// <summary>Marks a pod Allocated the way a session would (tests of the fleet controller alone).</summary>
    public async Task<V1Pod> MarkAllocatedAsync(V1Pod pod, string session = "test-session")
    {
        var patch = new
        {
            metadata = new
            {
                labels = new Dictionary<string, string> { [WellKnown.StateLabel] = WellKnown.States.Allocated },
                annotations = new Dictionary<string, string> { [WellKnown.SessionAnnotation] = session },
            },
        };
        return await Client.CoreV1.PatchNamespacedPodAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), pod.Metadata.Name, Namespace);
    }

    public async ValueTask DisposeAsync()
    {
        if (Operator is not null)
        {
            await Operator.DisposeAsync();
        }
        await Nodes.DisposeAsync();
        Client.Dispose();
        await Api.DisposeAsync();
    }
}
