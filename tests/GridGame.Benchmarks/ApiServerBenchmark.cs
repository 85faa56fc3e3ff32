using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using GridGame.LocalCluster;
using k8s;
using k8s.Models;

namespace GridGame.Benchmarks;

/// <summary>LocalCluster's API server: writes per second (create, merge patch) and watch delivery to 10 watchers.</summary>
internal sealed class ApiServerBenchmark : IBenchmarkSuite
{
    private const int Watchers = 10;
    private const int Writers = 16;
    private const string SentAnnotation = "bench/sent";

    public string Name => "apiserver";

    public string Description => "LocalCluster API server: creates and patches per second over HTTP, events delivered to 10 watchers and their latency";

    public string Command => "dotnet run -c Release --project tests/GridGame.Benchmarks -- apiserver [count]";

    public async Task<string> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
        var md = new StringBuilder();
        md.AppendLine("Raw HTTP clients (the server's own cost):");
        md.AppendLine();
        md.AppendLine(await MeasureAsync(count, raw: true, cancellationToken));
        md.AppendLine("KubernetesClient writers and watchers (what the operator sees):");
        md.AppendLine();
        md.AppendLine(await MeasureAsync(count, raw: false, cancellationToken));
        md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{Writers} writers and {Watchers} watchers (label-selected ConfigMap watches) in the server's process, over HTTP on loopback; delivery latency is from a write's send to a watcher reading its event."));
        return md.ToString();
    }

    private static async Task<string> MeasureAsync(int count, bool raw, CancellationToken cancellationToken)
    {
        await using var api = await LocalApiServer.StartAsync(new LocalApiServerOptions { WatchHistory = 4 * count }, cancellationToken);
        var clients = Enumerable.Range(0, Writers).Select(_ => new Kubernetes(api.ClientConfiguration())).ToList();
        var watchClients = Enumerable.Range(0, Watchers).Select(_ => new Kubernetes(api.ClientConfiguration())).ToList();
        try
        {
            // Warm up the JIT and the connections, outside the measurement.
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = api.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
            Func<int, string, bool, CancellationToken, Task<Phase>> write = raw
                ? (n, run, create, ct) => WriteRawAsync(http, n, run, create, ct)
                : (n, run, create, ct) => WriteAsync(clients, n, run, create, ct);
            await write(2000, "warm", true, cancellationToken);
            await write(2000, "warm", false, cancellationToken);
            var startRv = api.Store.ResourceVersion.ToString(CultureInfo.InvariantCulture);

            var delivery = new ConcurrentBag<double>[Watchers];
            var received = new int[Watchers];
            var expected = 2 * count;
            var lastDelivery = new long[Watchers];
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var watchTasks = Enumerable.Range(0, Watchers).Select(w =>
            {
                delivery[w] = [];
                return Task.Run(async () =>
                {
                    if (raw)
                    {
                        await WatchRawAsync(http, startRv, expected, delivery[w], () => lastDelivery[w] = Stopwatch.GetTimestamp(), n => received[w] = n, stop.Token);
                        return;
                    }
                    try
                    {
                        await foreach (var (type, cm) in watchClients[w].CoreV1.WatchListNamespacedConfigMapAsync(
                            "default", resourceVersion: startRv, labelSelector: "bench=run", cancellationToken: stop.Token))
                        {
                            if (type is WatchEventType.Added or WatchEventType.Modified &&
                                cm.Metadata.Annotations?.TryGetValue(SentAnnotation, out var sent) == true)
                            {
                                var latency = Stopwatch.GetElapsedTime(long.Parse(sent, CultureInfo.InvariantCulture)).TotalMilliseconds;
                                delivery[w].Add(latency);
                                lastDelivery[w] = Stopwatch.GetTimestamp();
                                if (Interlocked.Increment(ref received[w]) == expected)
                                {
                                    return;
                                }
                            }
                        }
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }, CancellationToken.None);
            }).ToList();
            await Task.Delay(500, cancellationToken); // let every watch connect

            var firstWrite = Stopwatch.GetTimestamp();
            var creates = await write(count, "run", true, cancellationToken);
            var patches = await write(count, "run", false, cancellationToken);
            var allDone = Task.WhenAll(watchTasks);
            if (await Task.WhenAny(allDone, Task.Delay(TimeSpan.FromSeconds(60), cancellationToken)) != allDone)
            {
                await stop.CancelAsync();
            }
            await allDone;
            var deliveredAll = received.Sum();
            var deliverySpan = Stopwatch.GetElapsedTime(firstWrite, lastDelivery.Max()).TotalSeconds;
            var latencies = delivery.SelectMany(d => d).Order().ToList();
            var within50 = latencies.Count(l => l <= 50) * 100.0 / Math.Max(1, Watchers * expected);

            var md = new StringBuilder();
            md.AppendLine("| operation | count | writes/s | p50 ms | p95 ms | p99 ms | max ms |");
            md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
            md.AppendLine(Row("create (POST)", creates));
            md.AppendLine(Row("merge patch (PATCH)", patches));
            md.AppendLine();
            md.AppendLine("| watch delivery | events | events/s | p50 ms | p95 ms | p99 ms | max ms | within 50 ms |");
            md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {Watchers} watchers × {expected} writes | {deliveredAll} of {Watchers * expected} | {deliveredAll / deliverySpan:F0} | {P(latencies, 0.50):F1} | {P(latencies, 0.95):F1} | {P(latencies, 0.99):F1} | {(latencies.Count > 0 ? latencies[^1] : 0):F1} | {within50:F1}% |"));
            return md.ToString();
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
            watchClients.ForEach(c => c.Dispose());
        }
    }

    private sealed record Phase(int Count, double Seconds, List<double> Latencies);

    private static async Task<Phase> WriteRawAsync(HttpClient http, int count, string run, bool create, CancellationToken cancellationToken)
    {
        var latencies = new ConcurrentBag<double>();
        var next = -1;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var name = $"{run}-{i.ToString(CultureInfo.InvariantCulture)}";
                var sent = Stopwatch.GetTimestamp();
                var stamp = sent.ToString(CultureInfo.InvariantCulture);
                using var request = create
                    ? new HttpRequestMessage(HttpMethod.Post, "/api/v1/namespaces/default/configmaps")
                    {
                        Content = new StringContent(
                            "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" + name + "\",\"labels\":{\"bench\":\"" + run + "\"},\"annotations\":{\"" + SentAnnotation + "\":\"" + stamp + "\"}},\"data\":{\"i\":\"" + i.ToString(CultureInfo.InvariantCulture) + "\"}}",
                            Encoding.UTF8, "application/json"),
                    }
                    : new HttpRequestMessage(HttpMethod.Patch, "/api/v1/namespaces/default/configmaps/" + name)
                    {
                        Content = new StringContent("{\"metadata\":{\"annotations\":{\"" + SentAnnotation + "\":\"" + stamp + "\"}},\"data\":{\"patched\":\"yes\"}}", Encoding.UTF8, "application/merge-patch+json"),
                    };
                using var response = await http.SendAsync(request, cancellationToken);
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsByteArrayAsync(cancellationToken);
                latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            }
        }, cancellationToken)));
        return new Phase(count, Stopwatch.GetElapsedTime(started).TotalSeconds, latencies.Order().ToList());
    }

    private static async Task WatchRawAsync(HttpClient http, string fromRv, int expected, ConcurrentBag<double> delivery, Action delivered, Action<int> count, CancellationToken cancellationToken)
    {
        const string Marker = "\"" + SentAnnotation + "\":\"";
        try
        {
            using var response = await http.GetAsync($"/api/v1/namespaces/default/configmaps?watch=true&labelSelector=bench%3Drun&resourceVersion={fromRv}", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
            var n = 0;
            while (n < expected && await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                var at = line.IndexOf(Marker, StringComparison.Ordinal);
                if (at < 0)
                {
                    continue;
                }
                var start = at + Marker.Length;
                var stamp = long.Parse(line.AsSpan(start, line.IndexOf('"', start) - start), CultureInfo.InvariantCulture);
                delivery.Add(Stopwatch.GetElapsedTime(stamp).TotalMilliseconds);
                delivered();
                count(++n);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task<Phase> WriteAsync(List<Kubernetes> clients, int count, string run, bool create, CancellationToken cancellationToken)
    {
        var latencies = new ConcurrentBag<double>();
        var next = -1;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(clients.Select(client => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var name = $"{run}-{i.ToString(CultureInfo.InvariantCulture)}";
                var sent = Stopwatch.GetTimestamp();
                var stamp = sent.ToString(CultureInfo.InvariantCulture);
                if (create)
                {
                    var cm = new V1ConfigMap
                    {
                        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["bench"] = run }, Annotations = new Dictionary<string, string> { [SentAnnotation] = stamp } },
                        Data = new Dictionary<string, string> { ["i"] = i.ToString(CultureInfo.InvariantCulture) },
                    };
                    await client.CoreV1.CreateNamespacedConfigMapAsync(cm, "default", cancellationToken: cancellationToken);
                }
                else
                {
                    var patch = "{\"metadata\":{\"annotations\":{\"" + SentAnnotation + "\":\"" + stamp + "\"}},\"data\":{\"patched\":\"yes\"}}";
                    await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), name, "default", cancellationToken: cancellationToken);
                }
                latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            }
        }, cancellationToken)));
        return new Phase(count, Stopwatch.GetElapsedTime(started).TotalSeconds, latencies.Order().ToList());
    }

    private static string Row(string name, Phase p) => string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {p.Count} | {p.Count / p.Seconds:F0} | {P(p.Latencies, 0.50):F2} | {P(p.Latencies, 0.95):F2} | {P(p.Latencies, 0.99):F2} | {p.Latencies[^1]:F2} |");

    private static double P(List<double> sorted, double q) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
}
