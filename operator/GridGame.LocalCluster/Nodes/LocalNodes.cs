using k8s;
using k8s.Models;
using GridGame.LocalCluster.Kubelets;
using GridGame.LocalCluster.Scheduling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GridGame.LocalCluster.Nodes;

/// <summary>
/// LocalCluster's nodes: registers the fake nodes (kept Ready by heartbeats), and runs the scheduler and a kubelet
/// (simulated or process) against the API server, as clients over HTTP. Dispose to stop them; the process kubelet
/// stops every container it started.
/// </summary>
public sealed class LocalNodes : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly Kubernetes _client;
    private readonly SchedulerLoop? _scheduler;
    private readonly SimulatedKubelet? _simulated;
    private readonly ProcessKubelet? _process;

    private LocalNodes(LocalNodesOptions options)
    {
        var loggers = options.LoggerFactory ?? NullLoggerFactory.Instance;
        _client = new Kubernetes(options.Client);
        Kind = options.Kind;
        Specs = NodeFactory.Specs(options, options.Kind == KubeletKind.Simulated);
        Registrar = new NodeRegistrar(_client, Specs, options.Kind, options.TimeProvider, loggers.CreateLogger<NodeRegistrar>());
        Events = new EventRecorder(_client, options.TimeProvider, loggers.CreateLogger<EventRecorder>());
        if (options.Scheduler)
        {
            _scheduler = new SchedulerLoop(_client, options.TimeProvider, Events, loggers.CreateLogger<SchedulerLoop>());
        }
        var addresses = Specs.ToDictionary(s => s.Name, s => s.InternalIP, StringComparer.Ordinal);
        if (options.Kind == KubeletKind.Simulated)
        {
            _simulated = new SimulatedKubelet(_client, addresses, options.StartDelay, options.RestartBackoff, options.MaxRestartBackoff,
                options.TimeProvider, loggers.CreateLogger<SimulatedKubelet>(), options.SimulatedImages);
        }
        else
        {
            _process = new ProcessKubelet(_client, addresses, options, Events, loggers.CreateLogger<ProcessKubelet>());
        }
        var podLogger = loggers.CreateLogger("GridGame.LocalCluster.Nodes.PodFeed");
        Pods = new ResourceFeed<V1Pod, V1PodList>(
            "pods",
            async ct =>
            {
                // Pages of 500, as informers list: one consistent snapshot at the first page's resourceVersion.
                var first = await _client.CoreV1.ListPodForAllNamespacesAsync(limit: PageSize, cancellationToken: ct).ConfigureAwait(false);
                var items = new List<V1Pod>(first.Items);
                for (var next = first.Metadata?.ContinueProperty; !string.IsNullOrEmpty(next);)
                {
                    var page = await _client.CoreV1.ListPodForAllNamespacesAsync(continueParameter: next, limit: PageSize, cancellationToken: ct).ConfigureAwait(false);
                    items.AddRange(page.Items);
                    next = page.Metadata?.ContinueProperty;
                }
                return new V1PodList { Items = items, Metadata = new V1ListMeta { ResourceVersion = first.Metadata?.ResourceVersion } };
            },
            (rv, onError, ct) => _client.CoreV1.WatchListPodForAllNamespacesAsync(
                allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: 240, onError: onError, cancellationToken: ct),
            (old, pod) =>
            {
                _scheduler?.OnPod(old, pod);
                _simulated?.OnPod(old, pod);
                _process?.OnPod(old, pod);
            },
            options.TimeProvider,
            podLogger);
        Nodes = new ResourceFeed<V1Node, V1NodeList>(
            "nodes",
            ct => _client.CoreV1.ListNodeAsync(cancellationToken: ct),
            (rv, onError, ct) => _client.CoreV1.WatchListNodeAsync(
                allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: 240, onError: onError, cancellationToken: ct),
            (old, node) => _scheduler?.OnNode(old, node),
            options.TimeProvider,
            podLogger);
        HeartbeatInterval = options.HeartbeatInterval;
        NodeStatusInterval = options.NodeStatusInterval;
    }

    private const int PageSize = 500;

    /// <summary>Names of the registered nodes.</summary>
    public IReadOnlyList<string> NodeNames => [.. Specs.Select(s => s.Name)];

    public KubeletKind Kind { get; }

    internal IReadOnlyList<LocalNodeSpec> Specs { get; }

    internal SimulatedKubelet Simulated => _simulated ?? throw new InvalidOperationException("not a simulated kubelet");

    internal ProcessKubelet Process => _process ?? throw new InvalidOperationException("not a process kubelet");

    private NodeRegistrar Registrar { get; }

    internal EventRecorder Events { get; }

    internal ResourceFeed<V1Pod, V1PodList> Pods { get; }

    private ResourceFeed<V1Node, V1NodeList> Nodes { get; }

    private TimeSpan HeartbeatInterval { get; }

    private TimeSpan NodeStatusInterval { get; }

    /// <summary>Registers the nodes, starts the scheduler and kubelet, and returns once they have listed the cluster.</summary>
    public static async Task<LocalNodes> StartAsync(LocalNodesOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var nodes = new LocalNodes(options);
        try
        {
            if (nodes._process is not null)
            {
                nodes._process.ReapOrphans();
                nodes.Registrar.KubeletPort = await nodes._process.StartLogServerAsync(cancellationToken).ConfigureAwait(false);
            }
            await nodes.Registrar.RegisterAsync(cancellationToken).ConfigureAwait(false);
            var stop = nodes._stop.Token;
            nodes._loops.Add(Task.Run(() => nodes.Registrar.HeartbeatAsync(nodes.HeartbeatInterval, nodes.NodeStatusInterval, stop), CancellationToken.None));
            nodes._loops.Add(Task.Run(() => nodes.Events.RunAsync(stop), CancellationToken.None));
            nodes._loops.Add(Task.Run(() => nodes.Nodes.RunAsync(stop), CancellationToken.None));
            nodes._loops.Add(Task.Run(() => nodes.Pods.RunAsync(stop), CancellationToken.None));
            if (nodes._scheduler is not null)
            {
                nodes._loops.Add(Task.Run(() => nodes._scheduler.RunAsync(stop), CancellationToken.None));
            }
            if (nodes._simulated is not null)
            {
                nodes._loops.Add(Task.Run(() => nodes._simulated.RunAsync(stop), CancellationToken.None));
            }
            await Task.WhenAll(nodes.Nodes.Synced, nodes.Pods.Synced).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            return nodes;
        }
        catch
        {
            await nodes.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Simulated kubelet: the pod's containers fail and the pod goes Failed.</summary>
    public void FailPod(string ns, string name, string message = "simulated failure") => Simulated.Fail(ns, name, message);

    /// <summary>Simulated kubelet: the pod crash-loops, its restartCount rising on the back-off schedule.</summary>
    public void CrashLoopPod(string ns, string name) => Simulated.CrashLoop(ns, name);

    /// <summary>Simulated kubelet: the pod turns unready (false) or ready again (true).</summary>
    public void SetPodReady(string ns, string name, bool ready) => Simulated.SetReady(ns, name, ready);

    /// <summary>
    /// Simulated kubelet: takes a node down (heartbeats stop, its Ready condition goes Unknown, its pods turn unready
    /// and the scheduler avoids it) or brings it back.
    /// </summary>
    public async Task SetNodeReadyAsync(string node, bool ready, CancellationToken cancellationToken = default)
    {
        var kubelet = Simulated;
        await Registrar.SetReadyAsync(node, ready, cancellationToken).ConfigureAwait(false);
        kubelet.SetNodeReady(node, ready);
    }

    /// <summary>Process kubelet: the log file of a container (stdout and stderr, all restarts appended).</summary>
    public string ContainerLogPath(string ns, string pod, string container) => Process.LogPath(ns, pod, container);

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
        }
        if (_process is not null)
        {
            await _process.DisposeAsync().ConfigureAwait(false);
        }
        _simulated?.Dispose();
        _scheduler?.Dispose();
        _client.Dispose();
        _stop.Dispose();
    }
}
