using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using GridGame.LocalCluster;
using GridGame.LocalCluster.Nodes;
using k8s;
using k8s.Models;

namespace GridGame.Benchmarks;

/// <summary>Pods to Ready through LocalCluster: scheduler + simulated kubelet at scale, and the process kubelet's start-up latency.</summary>
internal sealed class KubeletBenchmark : IBenchmarkSuite
{
    public string Name => "kubelet";

    public string Description => "N pods created → scheduled → Ready (simulated kubelet, 20 nodes), and process-kubelet pod start latency";

    public string Command => "dotnet run -c Release --project tests/GridGame.Benchmarks -- kubelet [pod counts...]";

    public async Task<string> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var counts = args.Length > 0 ? args.Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : [500, 2000];
        var md = new StringBuilder();
        md.AppendLine("| kubelet | nodes | pods | all created | all bound | all Ready | pods/s | create→Ready p50 | p95 | p99 |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var count in counts)
        {
            md.AppendLine(await MeasureAsync(KubeletKind.Simulated, 20, count, cancellationToken));
        }
        md.AppendLine(await MeasureAsync(KubeletKind.Process, 1, 20, cancellationToken));
        md.AppendLine();
        md.AppendLine("Times are wall-clock from the first of 8 concurrent creators' creates; latency is per pod, create → Ready seen by a watch. Process pods run `sleep 600`.");
        return md.ToString();
    }

    private static async Task<string> MeasureAsync(KubeletKind kind, int nodeCount, int count, CancellationToken cancellationToken)
    {
        await using var api = await LocalApiServer.StartAsync(new LocalApiServerOptions(), cancellationToken);
        await using var nodes = await LocalNodes.StartAsync(new LocalNodesOptions { Client = api.ClientConfiguration(), NodeCount = nodeCount, Kind = kind }, cancellationToken);
        using var client = new Kubernetes(api.ClientConfiguration());
        var created = new ConcurrentDictionary<string, TimeSpan>();
        var ready = new ConcurrentDictionary<string, TimeSpan>();
        var bound = new ConcurrentDictionary<string, TimeSpan>();
        var clock = Stopwatch.StartNew();
        var allReady = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watching = Task.Run(async () =>
        {
            try
            {
                await foreach (var (_, pod) in client.CoreV1.WatchListNamespacedPodAsync("default", cancellationToken: stop.Token))
                {
                    if (pod.Spec?.NodeName is not null)
                    {
                        bound.TryAdd(pod.Metadata.Name, clock.Elapsed);
                    }
                    if (pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true && ready.TryAdd(pod.Metadata.Name, clock.Elapsed) && ready.Count == count)
                    {
                        allReady.TrySetResult();
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var name = $"bench-{i}";
            var pod = new V1Pod
            {
                Metadata = new V1ObjectMeta { Name = name },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "bench", Command = kind == KubeletKind.Process ? ["sleep", "600"] : null }] },
            };
            await client.CoreV1.CreateNamespacedPodAsync(pod, "default", cancellationToken: ct);
            created[name] = clock.Elapsed;
        });
        var allCreated = clock.Elapsed;
        await allReady.Task.WaitAsync(TimeSpan.FromMinutes(5), cancellationToken);
        var total = clock.Elapsed;
        await stop.CancelAsync();
        await watching;
        var latencies = ready.Select(r => (r.Value - created.GetValueOrDefault(r.Key)).TotalMilliseconds).Order().ToArray();
        double P(double q) => latencies[Math.Min(latencies.Length - 1, (int)(q * latencies.Length))];
        return string.Create(CultureInfo.InvariantCulture,
            $"| {kind.ToString().ToLowerInvariant()} | {nodeCount} | {count} | {allCreated.TotalSeconds:0.00}s | {bound.Values.Max().TotalSeconds:0.00}s | {total.TotalSeconds:0.00}s | {count / total.TotalSeconds:0} | {P(0.5):0} ms | {P(0.95):0} ms | {P(0.99):0} ms |");
    }
}
