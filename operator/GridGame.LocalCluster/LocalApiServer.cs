using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using GridGame.LocalCluster.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GridGame.LocalCluster;

/// <summary>
/// An in-process Kubernetes API server on 127.0.0.1 over a <see cref="ClusterStore"/>: what the operator's tests,
/// <c>gridgame-operator local</c> and the real kubectl talk to (docs/design.md, "Why a LocalCluster").
/// </summary>
public sealed class LocalApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private CancellationTokenSource _watches = new();

    private LocalApiServer(WebApplication app, ClusterStore store, Uri baseAddress)
    {
        _app = app;
        Store = store;
        BaseAddress = baseAddress;
    }

    /// <summary>http://127.0.0.1:PORT</summary>
    public Uri BaseAddress { get; }

    public ClusterStore Store { get; }

    public static async Task<LocalApiServer> StartAsync(LocalApiServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var store = options.Store ?? new ClusterStore(options.WatchHistory);
        var time = options.TimeProvider;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // A library must not take over Ctrl-C/SIGTERM: the host process decides when to stop the server.
        builder.Services.AddSingleton<IHostLifetime, PassiveLifetime>();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, options.Port);
            k.Limits.MaxRequestBodySize = 16 * 1024 * 1024;
            k.Limits.MinResponseDataRate = null;
        });
        var app = builder.Build();
        LocalApiServer? server = null;
        var operations = new ResourceOperations(store, time);
        var watches = new WatchStreamer(store, time, () => server!._watches.Token, options.BookmarkInterval, options.WatcherBuffer);
        var handler = new ApiHandler(store, operations, watches, time);
        SeedNamespaces(operations);
        // pods/exec is a WebSocket (v5/v4 channel protocols); the middleware only marks upgrade requests.
        app.UseWebSockets();
        app.Run(handler.HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address).Port;
        server = new LocalApiServer(app, store, new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"));
        return server;
    }

    /// <summary>A client configuration for <c>new k8s.Kubernetes(config)</c>.</summary>
    public k8s.KubernetesClientConfiguration ClientConfiguration() => new() { Host = BaseAddress.ToString().TrimEnd('/') };

    /// <summary>
    /// Writes a kubeconfig that kubectl and KubernetesClient use unchanged; returns its path. The server does not
    /// authenticate; the token is there because KubernetesClient refuses a user without credentials.
    /// </summary>
    public string WriteKubeconfig(string path)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }
        var server = BaseAddress.ToString().TrimEnd('/');
        File.WriteAllText(full, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: gridgame-local
              cluster:
                server: {server}
            users:
            - name: gridgame-local
              user:
                token: gridgame-local
            contexts:
            - name: gridgame-local
              context:
                cluster: gridgame-local
                user: gridgame-local
                namespace: default
            current-context: gridgame-local
            preferences: {"{}"}

            """);
        return full;
    }

    /// <summary>Test hook: ends every open watch; clients must reconnect.</summary>
    public void DropWatches()
    {
        var old = Interlocked.Exchange(ref _watches, new CancellationTokenSource());
        old.Cancel();
        old.Dispose();
    }

    /// <summary>Test hook: forgets the watch history, so a watch from an older resourceVersion gets 410 Expired.</summary>
    public void CompactHistory() => Store.CompactHistory();

    public async ValueTask DisposeAsync()
    {
        _watches.Cancel();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stop.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _watches.Dispose();
    }

    private static void SeedNamespaces(ResourceOperations operations)
    {
        var type = operations.Store.FindType("", "v1", "namespaces")!;
        foreach (var name in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
        {
            if (operations.Store.Get(type.StorageKey, "", name) is null)
            {
                operations.Create(type, null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = name } });
            }
        }
    }
}

/// <summary>A host lifetime that neither listens to signals nor blocks: the owner of the server stops it.</summary>
internal sealed class PassiveLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
