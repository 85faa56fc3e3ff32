using GridGame.LocalCluster;
using k8s;
using k8s.Models;

namespace GridGame.Operator.Tests.Runtime;

/// <summary>A LocalCluster API server on a free loopback port and a real KubernetesClient for it; restartable over its store.</summary>
internal sealed class LocalApi : IAsyncDisposable
{
    private LocalApi(LocalApiServer server, LocalApiServerOptions options)
    {
        Server = server;
        Options = options;
        Client = new Kubernetes(server.ClientConfiguration());
    }

    public LocalApiServer Server { get; private set; }

    public LocalApiServerOptions Options { get; }

    public Kubernetes Client { get; }

    public static async Task<LocalApi> StartAsync(TimeSpan? bookmarkInterval = null)
    {
        var options = new LocalApiServerOptions { Port = 0, BookmarkInterval = bookmarkInterval ?? TimeSpan.FromSeconds(30) };
        return new LocalApi(await LocalApiServer.StartAsync(options), options);
    }

    /// <summary>Stops the server and starts a new one on the same port over the same store.</summary>
    public async Task RestartAsync(Func<Task>? whileDown = null)
    {
        var port = Server.BaseAddress.Port;
        var store = Server.Store;
        await Server.DisposeAsync();
        if (whileDown is not null)
        {
            await whileDown();
        }

        Server = await LocalApiServer.StartAsync(new LocalApiServerOptions { Port = port, Store = store, BookmarkInterval = Options.BookmarkInterval });
    }

    public Task<V1Pod> CreatePodAsync(string name, string ns = "default") =>
        Client.CoreV1.CreateNamespacedPodAsync(PodBuilder.Pod(name, rv: null, ns: ns), ns);

    public async Task<IReadOnlyList<string>> PodNamesAsync(string ns = "default") =>
        [.. (await Client.CoreV1.ListNamespacedPodAsync(ns)).Items.Select(p => p.Metadata.Name).Order(StringComparer.Ordinal)];

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}
