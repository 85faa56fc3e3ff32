using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
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

namespace GridGame.Benchmarks;

/// <summary>
/// `fleet-scale`: a fleet scaled 0 → N → 0 with the simulated kubelet and no start delay: seconds until
/// all Ready and until all gone, API writes per pod, peak memory.
/// </summary>
internal sealed class FleetScaleBenchmark : IBenchmarkSuite
{
    public string Name => "fleet-scale";

    public string Description => "GameFleet 0 → 1,000 → 0 on simulated nodes: time to Ready / gone, API writes per pod, peak memory";

    public string Command => "dotnet run -c Release --project tests/GridGame.Benchmarks -- fleet-scale [--replicas N] [--nodes N]";

    public async Task<string> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var replicas = BenchmarkCluster.IntArg(args, "--replicas", 1000);
        var nodes = BenchmarkCluster.IntArg(args, "--nodes", 20);
        await using var cluster = await BenchmarkCluster.StartAsync(nodes, sessions: false, cancellationToken);
        var fleet = BenchmarkCluster.Fleet("bench", 0, SchedulingStrategy.Distributed);
        await cluster.CreateFleetAsync(fleet, cancellationToken);
        await cluster.WaitAsync(async () => (await cluster.GetFleetAsync("bench", cancellationToken)).Status?.ObservedGeneration is not null, TimeSpan.FromSeconds(30), cancellationToken);

        var writesBefore = await cluster.OperatorWritesAsync(cancellationToken);
        var up = Stopwatch.StartNew();
        await cluster.ScaleAsync("bench", replicas, cancellationToken);
        var milestones = new List<string>();
        var seen = new HashSet<string>();
        async Task<bool> Probe()
        {
            var pods = (await cluster.Client.CoreV1.ListNamespacedPodAsync(BenchmarkCluster.Namespace, labelSelector: "gridgame.io/fleet=bench", cancellationToken: cancellationToken)).Items;
            void Mark(string what, bool reached)
            {
                if (reached && seen.Add(what))
                {
                    milestones.Add(string.Create(CultureInfo.InvariantCulture, $"{what} {up.Elapsed.TotalSeconds:0.0} s"));
                }
            }
            Mark("created", pods.Count >= replicas);
            Mark("scheduled", pods.Count(p => p.Spec.NodeName is not null) >= replicas);
            Mark("pod Ready", pods.Count(PodObservation.IsReady) >= replicas);
            Mark("labelled Ready", pods.Count(p => PodObservation.State(p) == ServerState.Ready) >= replicas);
            return (await cluster.GetFleetAsync("bench", cancellationToken)).Status?.ReadyReplicas == replicas;
        }
        await cluster.WaitAsync(Probe, TimeSpan.FromMinutes(5), cancellationToken, poll: TimeSpan.FromMilliseconds(250));
        await Probe();
        up.Stop();
        var writesUp = await cluster.OperatorWritesAsync(cancellationToken) - writesBefore;

        var down = Stopwatch.StartNew();
        await cluster.ScaleAsync("bench", 0, cancellationToken);
        await cluster.WaitAsync(async () => (await cluster.Client.CoreV1.ListNamespacedPodAsync(BenchmarkCluster.Namespace, labelSelector: "gridgame.io/fleet=bench", cancellationToken: cancellationToken)).Items.Count == 0,
            TimeSpan.FromMinutes(5), cancellationToken);
        down.Stop();
        var writesTotal = await cluster.OperatorWritesAsync(cancellationToken) - writesBefore;
        var byVerb = await cluster.OperatorWritesByVerbAsync(cancellationToken);

        var peak = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
        var table = new StringBuilder()
            .AppendLine("| measure | value |")
            .AppendLine("| --- | --- |")
            .AppendLine(CultureInfo.InvariantCulture, $"| servers | {replicas} on {nodes} simulated nodes, Distributed, Dynamic ports |")
            .AppendLine(CultureInfo.InvariantCulture, $"| 0 → {replicas}: all Ready (aim ≥ 200 pods/s) | {up.Elapsed.TotalSeconds:0.00} s ({replicas / up.Elapsed.TotalSeconds:0} pods/s) |")
            .AppendLine(CultureInfo.InvariantCulture, $"| scale-up milestones (all pods) | {string.Join(", ", milestones)} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| {replicas} → 0: all gone | {down.Elapsed.TotalSeconds:0.00} s ({replicas / down.Elapsed.TotalSeconds:0} pods/s) |")
            .AppendLine(CultureInfo.InvariantCulture, $"| operator API writes per pod, scale-up | {writesUp / (double)replicas:0.00} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| operator API writes per pod, up + down (aim ≤ 3) | {writesTotal / (double)replicas:0.00} ({byVerb}) |")
            .AppendLine(CultureInfo.InvariantCulture, $"| peak working set of the process | {peak:0} MiB (operator, LocalCluster API server and kubelets share the process) |")
            .AppendLine()
            .AppendLine("Writes are the operator's own requests (`gridgame_operator_api_request_duration_seconds_count`: create, patch, update, delete, Events included).");
        return table.ToString();
    }
}

/// <summary>LocalCluster + simulated nodes + the operator in-process, for the controller benchmarks.</summary>
internal sealed class BenchmarkCluster : IAsyncDisposable
{
    public const string Namespace = "default";

    private BenchmarkCluster(LocalApiServer api, LocalNodes nodes, OperatorHost host)
    {
        Api = api;
        Nodes = nodes;
        Operator = host;
        Client = new Kubernetes(api.ClientConfiguration());
    }

    public LocalApiServer Api { get; }

    public LocalNodes Nodes { get; }

    public OperatorHost Operator { get; }

    public Kubernetes Client { get; }

    public static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var value) ? value : fallback;
    }

    public static async Task<BenchmarkCluster> StartAsync(int nodes, bool sessions, CancellationToken cancellationToken, int workers = 32)
    {
        var api = await LocalApiServer.StartAsync(new LocalApiServerOptions { Port = 0, WatchHistory = 200_000, WatcherBuffer = 200_000 }, cancellationToken);
        using (var client = new Kubernetes(api.ClientConfiguration()))
        {
            foreach (var file in Directory.GetFiles(Path.Combine(BenchmarkReport.FindRepoRoot(), "crds"), "*.yaml"))
            {
                await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(KubernetesYaml.Deserialize<V1CustomResourceDefinition>(await File.ReadAllTextAsync(file, cancellationToken)), cancellationToken: cancellationToken);
            }
        }
        var localNodes = await LocalNodes.StartAsync(new LocalNodesOptions
        {
            Client = api.ClientConfiguration(),
            NodeCount = nodes,
            Kind = KubeletKind.Simulated,
            StartDelay = TimeSpan.Zero,
            HeartbeatInterval = TimeSpan.FromSeconds(30),
        }, cancellationToken);
        var options = new OperatorOptions { LeaderElectionEnabled = false, HttpPort = 0, HttpAddress = "127.0.0.1", JsonLogs = false, Workers = workers };
        IReadOnlyList<IController> controllers = sessions ? [new FleetController(), new SessionController()] : [new FleetController()];
        var host = await OperatorHost.StartAsync(options, api.ClientConfiguration(), cancellationToken, controllers, logging => logging.SetMinimumLevel(LogLevel.Warning));
        var cluster = new BenchmarkCluster(api, localNodes, host);
        await cluster.WaitAsync(() => Task.FromResult(host.Ready && host.IsLeader), TimeSpan.FromSeconds(30), cancellationToken);
        return cluster;
    }

    public static GameFleet Fleet(string name, int replicas, SchedulingStrategy scheduling) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace },
        Spec = new GameFleetSpec
        {
            Replicas = replicas,
            Scheduling = scheduling,
            Template = new V1PodTemplateSpec
            {
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "gameserver", Image = "ghcr.io/owner/gridgame-gameserver:1.0.0" }] },
            },
        },
    };

    public Task<GameFleet> CreateFleetAsync(GameFleet fleet, CancellationToken cancellationToken) =>
        Client.CustomObjects.CreateNamespacedCustomObjectAsync<GameFleet>(fleet, GridGameApi.Group, GridGameApi.Version, Namespace, GameFleet.KubePluralName, cancellationToken: cancellationToken);

    public Task<GameFleet> GetFleetAsync(string name, CancellationToken cancellationToken) =>
        Client.CustomObjects.GetNamespacedCustomObjectAsync<GameFleet>(GridGameApi.Group, GridGameApi.Version, Namespace, GameFleet.KubePluralName, name, cancellationToken: cancellationToken);

    public Task ScaleAsync(string name, int replicas, CancellationToken cancellationToken) =>
        Client.CustomObjects.PatchNamespacedCustomObjectAsync<GameFleet>(new V1Patch(new { spec = new { replicas } }, V1Patch.PatchType.MergePatch),
            GridGameApi.Group, GridGameApi.Version, Namespace, GameFleet.KubePluralName, name, cancellationToken: cancellationToken);

    public async Task WaitAsync(Func<Task<bool>> condition, TimeSpan within, CancellationToken cancellationToken, TimeSpan? poll = null)
    {
        var deadline = DateTime.UtcNow + within;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"benchmark condition not met within {within}");
            }
            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(20), cancellationToken);
        }
    }

    private async Task<Dictionary<string, double>> WritesAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync(new Uri(Operator.HttpUri, "metrics"), cancellationToken);
        var writes = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (Match m in Regex.Matches(text, "^gridgame_operator_api_request_duration_seconds_count\\{verb=\"(create|patch|update|delete)\",code=\"([0-9]+)\"\\} ([0-9.e+]+)$", RegexOptions.Multiline))
        {
            var key = m.Groups[2].Value.StartsWith('2') ? m.Groups[1].Value : $"{m.Groups[1].Value} {m.Groups[2].Value}";
            writes[key] = writes.GetValueOrDefault(key) + double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
        }
        return writes;
    }

    /// <summary>Reconciles per controller: count and mean duration, from the operator's metrics.</summary>
    public async Task<string> ReconcileSummaryAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync(new Uri(Operator.HttpUri, "metrics"), cancellationToken);
        var sums = new Dictionary<string, (double Count, double Sum)>(StringComparer.Ordinal);
        foreach (Match m in Regex.Matches(text, "^gridgame_operator_reconcile_duration_seconds_(sum|count)\\{controller=\"([a-z]+)\",result=\"[a-z]+\"\\} ([0-9.e+-]+)$", RegexOptions.Multiline))
        {
            var value = double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
            var (count, sum) = sums.GetValueOrDefault(m.Groups[2].Value);
            sums[m.Groups[2].Value] = m.Groups[1].Value == "count" ? (count + value, sum) : (count, sum + value);
        }
        return string.Join(", ", sums.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value.Count:0} × {1000 * p.Value.Sum / Math.Max(1, p.Value.Count):0.0} ms")));
    }

    public async Task<double> OperatorWritesAsync(CancellationToken cancellationToken) => (await WritesAsync(cancellationToken)).Values.Sum();

    public async Task<string> OperatorWritesByVerbAsync(CancellationToken cancellationToken) =>
        string.Join(", ", (await WritesAsync(cancellationToken)).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value:0}"));

    public async ValueTask DisposeAsync()
    {
        await Operator.DisposeAsync();
        await Nodes.DisposeAsync();
        Client.Dispose();
        await Api.DisposeAsync();
    }
}
