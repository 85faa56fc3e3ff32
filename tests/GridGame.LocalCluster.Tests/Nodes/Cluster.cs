using GridGame.LocalCluster.Nodes;
using k8s;
using k8s.Models;

namespace GridGame.LocalCluster.Tests.Nodes;

/// <summary>A LocalApiServer with LocalNodes on it, and a client, for tests of nodes, scheduling and kubelets.</summary>
internal sealed class Cluster : IAsyncDisposable
{
    private Cluster(ApiServer api, LocalNodes nodes)
    {
        Api = api;
        Nodes = nodes;
    }

    public ApiServer Api { get; }

    public LocalNodes Nodes { get; }

    public Kubernetes Client => Api.Client;

    public static async Task<Cluster> StartAsync(Func<KubernetesClientConfiguration, LocalNodesOptions> options, LocalApiServerOptions? apiOptions = null)
    {
        var api = await ApiServer.StartAsync(apiOptions);
        try
        {
            var nodes = await LocalNodes.StartAsync(options(api.Server.ClientConfiguration()));
            return new Cluster(api, nodes);
        }
        catch
        {
            await api.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Nodes.DisposeAsync();
        await Api.DisposeAsync();
    }

    public Task<V1Pod> CreatePodAsync(V1Pod pod) => Client.CoreV1.CreateNamespacedPodAsync(pod, pod.Metadata.NamespaceProperty ?? "default");

    /// <summary>Polls the pod until <paramref name="condition"/> holds (bounded), and returns it.</summary>
    public Task<V1Pod> PodWhenAsync(string name, Func<V1Pod, bool> condition, TimeSpan? within = null, string ns = "default") =>
        Eventually.ValueAsync(async () =>
        {
            var pod = await Client.CoreV1.ReadNamespacedPodAsync(name, ns);
            return condition(pod) ? pod : null;
        }, within ?? TimeSpan.FromSeconds(20), $"for pod {name}");

    public async Task PodGoneAsync(string name, TimeSpan? within = null, string ns = "default") =>
        await Eventually.ValueAsync<object>(async () =>
        {
            var list = await Client.CoreV1.ListNamespacedPodAsync(ns, fieldSelector: "metadata.name=" + name);
            return list.Items.Count == 0 ? new object() : null;
        }, within ?? TimeSpan.FromSeconds(20), $"for pod {name} to go");

    public static bool IsReady(V1Pod pod) => pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;
}
