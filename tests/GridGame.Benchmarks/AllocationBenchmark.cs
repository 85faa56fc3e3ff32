using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using GridGame.Crds;
using k8s;
using k8s.Models;

namespace GridGame.Benchmarks;

/// <summary>
/// `allocation`: sessions allocated per second and create → Allocated latency as a watching client sees it,
/// against a fleet of Ready simulated servers. Three runs: a burst (throughput; its latency is mostly queueing), an
/// open-loop paced run at fixed rates below the peak (the latency the aim is about), and one session at a time.
/// </summary>
internal sealed class AllocationBenchmark : IBenchmarkSuite
{
    private const int SerialSessions = 20;
    private const double FixedRate = 500;

    public string Name => "allocation";

    public string Description => "64 creators x 1,000 GameSessions vs 1,000 Ready simulated servers: allocations/s, p50/p99 create → Allocated seen by a watcher (burst, paced, serial)";

    public string Command => "dotnet run -c Release --project tests/GridGame.Benchmarks -- allocation [--servers N] [--sessions N] [--creators N] [--nodes N] [--workers N] [--paced-seconds N]";

    public async Task<string> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var servers = BenchmarkCluster.IntArg(args, "--servers", 1000);
        var sessions = BenchmarkCluster.IntArg(args, "--sessions", 1000);
        var creators = BenchmarkCluster.IntArg(args, "--creators", 64);
        var nodes = BenchmarkCluster.IntArg(args, "--nodes", 20);
        // Session reconciles wait on three sequential API round trips, so with the cost per allocation down the
        // worker count, not the CPU, bounded the burst at 32 (about 540/s against about 1,000/s at 64 in back-to-back runs).
        var workers = BenchmarkCluster.IntArg(args, "--workers", 64);
        var pacedSeconds = BenchmarkCluster.IntArg(args, "--paced-seconds", 3);
        await using var cluster = await BenchmarkCluster.StartAsync(nodes, sessions: true, cancellationToken, workers);
        // `servers` for a run plus SerialSessions left Ready for the serial run at the end.
        await cluster.CreateFleetAsync(BenchmarkCluster.Fleet("bench", servers + SerialSessions, SchedulingStrategy.Packed), cancellationToken);
        await WaitReadyAsync(cluster, servers + SerialSessions, allocated: 0, cancellationToken);

        var watcher = new SessionWatcher();
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var list = await cluster.Client.CustomObjects.ListNamespacedCustomObjectAsync<GameSessionList>(GridGameApi.Group, GridGameApi.Version, BenchmarkCluster.Namespace, GameSession.KubePluralName, cancellationToken: cancellationToken);
        var watch = Task.Run(() => watcher.WatchAsync(cluster, list.Metadata.ResourceVersion, watching.Token), CancellationToken.None);
        var clients = Enumerable.Range(0, creators).Select(_ => new Kubernetes(cluster.Api.ClientConfiguration())).ToList();
        try
        {
            // 1. Burst: every creator creates as fast as it can.
            var writesBefore = await cluster.OperatorWritesAsync(cancellationToken);
            var cpu = Cost.Start();
            var next = -1;
            var burstNames = new List<string>();
            for (var i = 0; i < sessions; i++)
            {
                burstNames.Add($"match-{i:D5}");
            }
            var tasks = clients.Select(client => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < sessions)
                {
                    watcher.Sent(burstNames[i], Stopwatch.GetTimestamp());
                    await CreateAsync(client, burstNames[i], cancellationToken);
                }
            }, cancellationToken)).ToList();
            await Task.WhenAll(tasks);
            var createsDone = Stopwatch.GetTimestamp();
            await cluster.WaitAsync(() => Task.FromResult(watcher.Done(burstNames)), TimeSpan.FromMinutes(5), cancellationToken);
            var burstCost = cpu.Stop(watcher.Allocated(burstNames));
            var writesPerAllocation = (await cluster.OperatorWritesAsync(cancellationToken) - writesBefore) / Math.Max(1, watcher.Allocated(burstNames));
            var reconciles = await cluster.ReconcileSummaryAsync(cancellationToken);
            var burst = watcher.Latencies(burstNames);
            var first = burstNames.Min(watcher.SentAt);
            var last = burstNames.Where(watcher.IsAllocated).Max(watcher.SeenAt);
            var seconds = (last - first) / (double)Stopwatch.Frequency;
            var throughput = burst.Count / seconds;

            // 2. Open loop, paced: sessions created on a fixed schedule whatever the answers do, at half of the
            // burst's throughput and at a fixed 500/s when that is below the peak. Latency counts from the
            // scheduled time, so a creator that falls behind does not hide queueing.
            var rates = pacedSeconds <= 0 ? [] : new List<double> { Math.Round(throughput / 2) };
            if (pacedSeconds > 0 && FixedRate < throughput)
            {
                rates.Add(FixedRate);
            }
            var paced = new List<PacedRun>();
            var (given, twice) = await GivenAsync(cluster, cancellationToken);
            foreach (var rate in rates)
            {
                // Each run starts from the same fleet: the previous run's sessions are deleted, their servers released
                // and replaced, and the fleet is back to every server Ready and none Allocated.
                await cluster.Client.CustomObjects.DeleteCollectionNamespacedCustomObjectAsync(GridGameApi.Group, GridGameApi.Version, BenchmarkCluster.Namespace, GameSession.KubePluralName, cancellationToken: cancellationToken);
                await WaitReadyAsync(cluster, servers + SerialSessions, allocated: 0, cancellationToken);
                var count = (int)Math.Min(servers, Math.Max(1, rate * pacedSeconds));
                paced.Add(await PacedAsync(cluster, clients, watcher, $"paced{paced.Count}", rate, count, cancellationToken));
                var (g, t) = await GivenAsync(cluster, cancellationToken);
                (given, twice) = (given + g, twice + t);
            }

            // 3. Serial latency: one session at a time on the now quiet cluster.
            var serial = new List<double>();
            for (var i = 0; i < SerialSessions; i++)
            {
                var name = $"serial-{i:D3}";
                var sent = Stopwatch.GetTimestamp();
                await CreateAsync(cluster.Client, name, cancellationToken);
                await cluster.WaitAsync(async () => (await cluster.Client.CustomObjects.GetNamespacedCustomObjectAsync<GameSession>(GridGameApi.Group, GridGameApi.Version, BenchmarkCluster.Namespace, GameSession.KubePluralName, name, cancellationToken: cancellationToken)).Status?.Phase == SessionPhase.Allocated,
                    TimeSpan.FromSeconds(30), cancellationToken, poll: TimeSpan.FromMilliseconds(1));
                serial.Add((Stopwatch.GetTimestamp() - sent) * 1000.0 / Stopwatch.Frequency);
            }
            serial.Sort();

            var table = new StringBuilder()
                .AppendLine("| measure | value |")
                .AppendLine("| --- | --- |")
                .AppendLine(CultureInfo.InvariantCulture, $"| setup | fleet of {servers} Ready simulated servers on {nodes} nodes (Packed), operator --workers {workers}; burst of {sessions} sessions from {creators} concurrent creators |")
                .AppendLine(CultureInfo.InvariantCulture, $"| burst: allocated / failed | {burst.Count} / {watcher.FailedCount(burstNames)} {watcher.FailureSummary()} |")
                .AppendLine(CultureInfo.InvariantCulture, $"| servers given twice (all runs) | {twice} of {given} |")
                .AppendLine(CultureInfo.InvariantCulture, $"| **burst throughput** (aim ≥ 1,000/s) | **{throughput:0} allocations/s** (first create → last Allocated seen: {seconds:0.00} s) |")
                .AppendLine(CultureInfo.InvariantCulture, $"| burst: creates alone | {sessions / ((createsDone - first) / (double)Stopwatch.Frequency):0}/s (all {sessions} created after {(createsDone - first) / (double)Stopwatch.Frequency:0.00} s) |")
                .AppendLine(CultureInfo.InvariantCulture, $"| burst: latency create → Allocated (watcher) | p50 {Percentile(burst, 0.50):0.0} ms, p99 {Percentile(burst, 0.99):0.0} ms, max {burst.LastOrDefault():0.0} ms (queueing: sessions arrive faster than they are served) |")
                .AppendLine(CultureInfo.InvariantCulture, $"| burst: cost per allocation (whole process) | {burstCost} |")
                .AppendLine(CultureInfo.InvariantCulture, $"| burst: operator API writes per allocation | {writesPerAllocation:0.00} (reserve, status, label + finalizer; the rest are the fleet's status and Events) |")
                .AppendLine(CultureInfo.InvariantCulture, $"| burst: reconciles (count × mean) | {reconciles} |");
            foreach (var run in paced)
            {
                table.AppendLine(CultureInfo.InvariantCulture, $"| **paced {run.Rate:0}/s** ({run.Count} sessions, open loop; aim p99 ≤ 50 ms) | **p50 {Percentile(run.Latencies, 0.50):0.0} ms, p99 {Percentile(run.Latencies, 0.99):0.0} ms**, max {run.Latencies.LastOrDefault():0.0} ms; allocated {run.Latencies.Count}/{run.Count}; achieved {run.Achieved:0}/s; creates sent up to {run.MaxSendLagMs:0.0} ms behind schedule; {run.Cost} |");
            }
            table
                .AppendLine(CultureInfo.InvariantCulture, $"| one at a time: latency create → Allocated (polling GET) | p50 {Percentile(serial, 0.50):0.0} ms, p99 {Percentile(serial, 0.99):0.0} ms |")
                .AppendLine()
                .AppendLine("The burst measures throughput; its latency is queueing. The paced rows are the latency a matchmaker sees: sessions at a steady rate, latency from each one's scheduled create. Cost per allocation is the whole process's CPU and allocation (operator, LocalCluster, clients) over the sessions allocated.");
            return table.ToString();
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
            await watching.CancelAsync();
            await watch.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private static Task<GameSession> CreateAsync(Kubernetes client, string name, CancellationToken cancellationToken) =>
        client.CustomObjects.CreateNamespacedCustomObjectAsync<GameSession>(new GameSession
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = BenchmarkCluster.Namespace },
            Spec = new GameSessionSpec { FleetName = "bench", AllocationTimeoutSeconds = 60 },
        }, GridGameApi.Group, GridGameApi.Version, BenchmarkCluster.Namespace, GameSession.KubePluralName, cancellationToken: cancellationToken);

    /// <summary>Sessions Allocated now, and how many of them share a server with another.</summary>
    private static async Task<(int Given, int Twice)> GivenAsync(BenchmarkCluster cluster, CancellationToken cancellationToken)
    {
        var list = await cluster.Client.CustomObjects.ListNamespacedCustomObjectAsync<GameSessionList>(GridGameApi.Group, GridGameApi.Version, BenchmarkCluster.Namespace, GameSession.KubePluralName, cancellationToken: cancellationToken);
        var given = list.Items.Where(s => s.Status?.Phase == SessionPhase.Allocated).Select(s => s.Status!.ServerName).ToList();
        return (given.Count, given.Count - given.Distinct(StringComparer.Ordinal).Count());
    }

    private static async Task WaitReadyAsync(BenchmarkCluster cluster, int ready, int allocated, CancellationToken cancellationToken)
    {
        GameFleetStatus? last = null;
        try
        {
            await cluster.WaitAsync(async () => (last = (await cluster.GetFleetAsync("bench", cancellationToken)).Status) is { } s && s.ReadyReplicas >= ready && (s.AllocatedReplicas ?? 0) == allocated,
                TimeSpan.FromMinutes(3), cancellationToken, poll: TimeSpan.FromMilliseconds(250));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"fleet not at {ready} Ready + {allocated} Allocated: {last?.ReadyReplicas} Ready, {last?.AllocatedReplicas} Allocated, {last?.Replicas} replicas", e);
        }
    }

    private static async Task<PacedRun> PacedAsync(BenchmarkCluster cluster, List<Kubernetes> clients, SessionWatcher watcher, string prefix, double rate, int count, CancellationToken cancellationToken)
    {
        var names = Enumerable.Range(0, count).Select(i => $"{prefix}-{i:D5}").ToList();
        var cost = Cost.Start();
        var creates = new List<Task>(count);
        var maxLag = 0L;
        var start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 100;
        for (var i = 0; i < count; i++)
        {
            var due = start + (long)(i * Stopwatch.Frequency / rate);
            while (Stopwatch.GetTimestamp() < due)
            {
                var waitMs = (due - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, waitMs)), cancellationToken);
            }
            maxLag = Math.Max(maxLag, Stopwatch.GetTimestamp() - due);
            watcher.Sent(names[i], due);
            var client = clients[i % clients.Count];
            var name = names[i];
            creates.Add(Task.Run(() => CreateAsync(client, name, cancellationToken), cancellationToken));
        }
        await Task.WhenAll(creates);
        await cluster.WaitAsync(() => Task.FromResult(watcher.Done(names)), TimeSpan.FromMinutes(2), cancellationToken);
        var allocated = watcher.Allocated(names);
        var last = names.Where(watcher.IsAllocated).Select(watcher.SeenAt).DefaultIfEmpty(start).Max();
        return new PacedRun(rate, count, watcher.Latencies(names), allocated / ((last - start) / (double)Stopwatch.Frequency), maxLag * 1000.0 / Stopwatch.Frequency, cost.Stop(allocated));
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private sealed record PacedRun(double Rate, int Count, List<double> Latencies, double Achieved, double MaxSendLagMs, string Cost);

    /// <summary>CPU time and managed allocation of the whole process over a run, per allocated session.</summary>
    private sealed class Cost
    {
        private readonly TimeSpan _cpu;
        private readonly long _bytes;

        private Cost(TimeSpan cpu, long bytes)
        {
            _cpu = cpu;
            _bytes = bytes;
        }

        public static Cost Start() => new(Process.GetCurrentProcess().TotalProcessorTime, GC.GetTotalAllocatedBytes(precise: false));

        public string Stop(int allocations)
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - _cpu;
            var bytes = GC.GetTotalAllocatedBytes(precise: false) - _bytes;
            var n = Math.Max(1, allocations);
            return string.Create(CultureInfo.InvariantCulture, $"{cpu.TotalMilliseconds / n:0.00} ms CPU, {bytes / 1024.0 / n:0} KiB allocated per allocation");
        }
    }

    /// <summary>One watch on all sessions: when each is first seen Allocated (or Failed), against when it was sent.</summary>
    private sealed class SessionWatcher
    {
        private readonly ConcurrentDictionary<string, long> _sent = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, long> _seen = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, string> _failed = new(StringComparer.Ordinal);

        public int AllocatedCount => _seen.Count;

        public void Sent(string name, long timestamp) => _sent[name] = timestamp;

        public long SentAt(string name) => _sent[name];

        public long SeenAt(string name) => _seen[name];

        public bool IsAllocated(string name) => _seen.ContainsKey(name);

        public bool Done(IEnumerable<string> names) => names.All(n => _seen.ContainsKey(n) || _failed.ContainsKey(n));

        public int Allocated(IEnumerable<string> names) => names.Count(_seen.ContainsKey);

        public int FailedCount(IEnumerable<string> names) => names.Count(_failed.ContainsKey);

        public string FailureSummary() => _failed.IsEmpty ? "" : "(" + string.Join(", ", _failed.Values.GroupBy(v => v).Select(g => $"{g.Key} {g.Count()}")) + ")";

        public List<double> Latencies(IEnumerable<string> names) =>
            names.Where(_seen.ContainsKey).Select(n => (_seen[n] - _sent[n]) * 1000.0 / Stopwatch.Frequency).Order().ToList();

        public async Task WatchAsync(BenchmarkCluster cluster, string resourceVersion, CancellationToken cancellationToken)
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
                        _seen.TryAdd(e.Object.Metadata.Name, now);
                    }
                    else if (e.Object?.Status?.Phase == SessionPhase.Failed)
                    {
                        _failed.TryAdd(e.Object.Metadata.Name, e.Object.Status.Reason ?? "Failed");
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
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
