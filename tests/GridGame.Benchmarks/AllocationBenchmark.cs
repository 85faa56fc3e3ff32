using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using GridGame.Crds;
using k8s;
using k8s.Models;

namespace GridGame.Benchmarks;

/// <summary>
/// `allocation` (issue 7): sessions allocated per second and create → Allocated latency as a watching client sees it,
/// with many concurrent creators against a fleet of Ready simulated servers.
/// </summary>
internal sealed class AllocationBenchmark : IBenchmarkSuite
{
    private const int SerialSessions = 20;

    public string Name => "allocation";

    public string Description => "64 creators x 1,000 GameSessions vs 1,000 Ready simulated servers: allocations/s, p50/p99 create → Allocated seen by a watcher";

    public async Task<string> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var servers = BenchmarkCluster.IntArg(args, "--servers", 1000);
        var sessions = BenchmarkCluster.IntArg(args, "--sessions", 1000);
        var creators = BenchmarkCluster.IntArg(args, "--creators", 64);
        var nodes = BenchmarkCluster.IntArg(args, "--nodes", 20);
        var workers = BenchmarkCluster.IntArg(args, "--workers", 32);
        await using var cluster = await BenchmarkCluster.StartAsync(nodes, sessions: true, cancellationToken, workers);
        // The burst takes `servers` servers; the serial measurement afterwards takes SerialSessions more.
        await cluster.CreateFleetAsync(BenchmarkCluster.Fleet("bench", servers + SerialSessions, SchedulingStrategy.Packed), cancellationToken);
        await cluster.WaitAsync(async () => (await cluster.GetFleetAsync("bench", cancellationToken)).Status?.ReadyReplicas == servers + SerialSessions,
            TimeSpan.FromMinutes(10), cancellationToken, poll: TimeSpan.FromMilliseconds(250));

        // The watcher: when each session is first seen Allocated (or Failed).
        var sent = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var seen = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var failed = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var list = await cluster.Client.CustomObjects.ListNamespacedCustomObjectAsync<GameSessionList>(GridGameApi.Group, GridGameApi.Version, BenchmarkCluster.Namespace, GameSession.KubePluralName, cancellationToken: cancellationToken);
        var watcher = Task.Run(() => WatchAsync(cluster, list.Metadata.ResourceVersion, seen, failed, watching.Token), CancellationToken.None);

        var next = -1;
        var tasks = Enumerable.Range(0, creators).Select(_ => Task.Run(async () =>
        {
            using var client = new Kubernetes(cluster.Api.ClientConfiguration());
            int i;
            while ((i = Interlocked.Increment(ref next)) < sessions)
            {
                var name = $"match-{i:D5}";
                var session = new GameSession
                {
                    Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = BenchmarkCluster.Namespace },
                    Spec = new GameSessionSpec { FleetName = "bench", AllocationTimeoutSeconds = 60 },
                };
                sent[name] = Stopwatch.GetTimestamp();
                await client.CustomObjects.CreateNamespacedCustomObjectAsync<GameSession>(session, GridGameApi.Group, GridGameApi.Version, BenchmarkCluster.Namespace, GameSession.KubePluralName, cancellationToken: cancellationToken);
            }
        }, cancellationToken)).ToList();
        await Task.WhenAll(tasks);
        var createsDone = Stopwatch.GetTimestamp();
        await cluster.WaitAsync(() => Task.FromResult(seen.Count + failed.Count >= sessions), TimeSpan.FromMinutes(5), cancellationToken);
        var reconciles = await cluster.ReconcileSummaryAsync(cancellationToken);
        await watching.CancelAsync();
        await watcher.ContinueWith(_ => { }, TaskScheduler.Default);

        var latencies = seen.Select(p => (p.Value - sent[p.Key]) * 1000.0 / Stopwatch.Frequency).Order().ToList();
        var first = sent.Values.Min();
        var last = seen.Values.Max();
        var seconds = (last - first) / (double)Stopwatch.Frequency;
        var allocated = await cluster.Client.CustomObjects.ListNamespacedCustomObjectAsync<GameSessionList>(GridGameApi.Group, GridGameApi.Version, BenchmarkCluster.Namespace, GameSession.KubePluralName, cancellationToken: cancellationToken);
        var given = allocated.Items.Where(s => s.Status?.Phase == SessionPhase.Allocated).Select(s => s.Status!.ServerName).ToList();
        var unique = given.Distinct(StringComparer.Ordinal).Count();

        // Serial latency: one session at a time on the now quiet cluster.
        var serial = new List<double>();
        for (var i = 0; i < SerialSessions; i++)
        {
            var name = $"serial-{i:D3}";
            sent[name] = Stopwatch.GetTimestamp();
            await cluster.Client.CustomObjects.CreateNamespacedCustomObjectAsync<GameSession>(new GameSession
            {
                Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = BenchmarkCluster.Namespace },
                Spec = new GameSessionSpec { FleetName = "bench", AllocationTimeoutSeconds = 60 },
            }, GridGameApi.Group, GridGameApi.Version, BenchmarkCluster.Namespace, GameSession.KubePluralName, cancellationToken: cancellationToken);
            await cluster.WaitAsync(async () => (await cluster.Client.CustomObjects.GetNamespacedCustomObjectAsync<GameSession>(GridGameApi.Group, GridGameApi.Version, BenchmarkCluster.Namespace, GameSession.KubePluralName, name, cancellationToken: cancellationToken)).Status?.Phase == SessionPhase.Allocated,
                TimeSpan.FromSeconds(30), cancellationToken, poll: TimeSpan.FromMilliseconds(1));
            serial.Add((Stopwatch.GetTimestamp() - sent[name]) * 1000.0 / Stopwatch.Frequency);
        }
        serial.Sort();

        return new StringBuilder()
            .AppendLine("| measure | value |")
            .AppendLine("| --- | --- |")
            .AppendLine(CultureInfo.InvariantCulture, $"| setup | {sessions} sessions from {creators} concurrent creators, fleet of {servers} (+{SerialSessions} for the serial run) Ready simulated servers on {nodes} nodes (Packed); operator --workers {workers} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| allocated / failed | {seen.Count} / {failed.Count} ({string.Join(", ", failed.Values.GroupBy(v => v).Select(g => $"{g.Key} {g.Count()}"))}) |")
            .AppendLine(CultureInfo.InvariantCulture, $"| servers given twice | {given.Count - unique} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| throughput | {seen.Count / seconds:0} allocations/s (first create → last Allocated seen: {seconds:0.00} s) |")
            .AppendLine(CultureInfo.InvariantCulture, $"| creates alone | {sessions / ((createsDone - first) / (double)Stopwatch.Frequency):0}/s (all {sessions} created after {(createsDone - first) / (double)Stopwatch.Frequency:0.00} s) |")
            .AppendLine(CultureInfo.InvariantCulture, $"| latency create → Allocated (watcher), burst | p50 {Percentile(latencies, 0.50):0.0} ms, p99 {Percentile(latencies, 0.99):0.0} ms, max {latencies.LastOrDefault():0.0} ms |")
            .AppendLine(CultureInfo.InvariantCulture, $"| reconciles (count × mean) | {reconciles} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| latency create → Allocated (polling GET), one at a time | p50 {Percentile(serial, 0.50):0.0} ms, p99 {Percentile(serial, 0.99):0.0} ms |")
            .AppendLine()
            .AppendLine("Command: `dotnet run -c Release --project tests/GridGame.Benchmarks -- allocation [--servers N] [--sessions N] [--creators N] [--nodes N] [--workers N]`.")
            .AppendLine("Operator, LocalCluster and the clients share one process (and the machine's cores); the latency includes the create request, three operator writes (pod reserve, session status, session label) and the watch delivery.")
            .ToString();
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static async Task WatchAsync(BenchmarkCluster cluster, string resourceVersion, ConcurrentDictionary<string, long> seen, ConcurrentDictionary<string, string> failed, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var uri = new Uri(cluster.Api.BaseAddress, $"apis/{GridGameApi.Group}/{GridGameApi.Version}/namespaces/{BenchmarkCluster.Namespace}/{GameSession.KubePluralName}?watch=true&resourceVersion={resourceVersion}&timeoutSeconds=600");
        using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        try
        {
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                var now = Stopwatch.GetTimestamp();
                var e = KubernetesJson.Deserialize<WatchLine>(line);
                if (e.Object?.Status?.Phase == SessionPhase.Allocated)
                {
                    seen.TryAdd(e.Object.Metadata.Name, now);
                }
                else if (e.Object?.Status?.Phase == SessionPhase.Failed)
                {
                    failed.TryAdd(e.Object.Metadata.Name, e.Object.Status.Reason ?? "Failed");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private sealed class WatchLine
    {
        [System.Text.Json.Serialization.JsonPropertyName("type")]
        public string? Type { get; set; }

        [System.Text.Json.Serialization.JsonPropertyName("object")]
        public GameSession? Object { get; set; }
    }
}
