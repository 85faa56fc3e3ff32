using System.Diagnostics;
using GridGame.LocalCluster.Nodes;
using GridGame.LocalCluster.Tests.Nodes;
using k8s;
using Xunit.Abstractions;
using static GridGame.LocalCluster.Tests.Scheduling.Build;

namespace GridGame.LocalCluster.Tests.Kubelets;

public sealed class SimulatedScaleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Two_thousand_pods_are_scheduled_and_become_ready()
    {
        await using var cluster = await Cluster.StartAsync(c => new LocalNodesOptions { Client = c, NodeCount = 20 });
        var watch = Stopwatch.StartNew();

        await Parallel.ForEachAsync(Enumerable.Range(0, 2000), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (i, ct) => await cluster.Client.CoreV1.CreateNamespacedPodAsync(Pod($"scale-{i}"), "default", cancellationToken: ct));
        var created = watch.Elapsed;
        var pods = await Eventually.ValueAsync(async () =>
        {
            var list = await cluster.Client.CoreV1.ListNamespacedPodAsync("default");
            return list.Items.Count(Cluster.IsReady) == 2000 ? list : null;
        }, TimeSpan.FromMinutes(3), "for 2,000 Ready pods");

        output.WriteLine($"created in {created.TotalSeconds:0.0}s, all Ready after {watch.Elapsed.TotalSeconds:0.0}s (see the kubelet benchmark for figures)");
        pods.Items.GroupBy(p => p.Spec.NodeName).Should().HaveCount(20);
        pods.Items.GroupBy(p => p.Spec.NodeName).Select(g => g.Count()).Should().OnlyContain(n => n == 100, "pods without requests spread evenly");
        pods.Items.Select(p => p.Status.PodIP).Should().OnlyHaveUniqueItems();
    }
}
