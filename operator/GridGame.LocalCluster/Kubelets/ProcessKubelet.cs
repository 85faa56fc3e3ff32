using System.Net;
using System.Text;
using GridGame.LocalCluster.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace GridGame.LocalCluster.Kubelets;

/// <summary>
/// A kubelet that runs each container of the pods bound to its nodes as a local process (see <see cref="PodRunner"/>),
/// and carries out graceful deletion: SIGTERM, the grace period, SIGKILL, then the pod object is removed with a
/// zero-grace delete preconditioned on its uid, as the real kubelet does.
/// </summary>
internal sealed partial class ProcessKubelet : IAsyncDisposable
{
    /// <summary>Shared by every LocalCluster on the machine, so one started after a crash can reap what the crashed one left.</summary>
    // The name carries the file-name format; versions with another format never read (or reap) each other's entries.
    public static readonly string RegistryDirectory = Path.Combine(Path.GetTempPath(), "gridgame-localcluster", "pids-v2");

    private readonly IReadOnlyDictionary<string, string> _nodeAddresses;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, PodRunner> _runners = new(StringComparer.Ordinal);
    private readonly List<Task> _terminations = [];
    private readonly HashSet<string> _terminating = new(StringComparer.Ordinal);
    private readonly string _logDirectory;
    private readonly string _stateDirectory;
    private bool _disposed;
    private KubeletLogServer? _logServer;

    public ProcessKubelet(IKubernetes client, IReadOnlyDictionary<string, string> nodeAddresses, LocalNodesOptions options, EventRecorder events, ILogger logger)
    {
        Events = events;
        Client = client;
        _nodeAddresses = nodeAddresses;
        Options = options;
        Logger = logger;
        Time = options.TimeProvider;
        var state = options.StateDirectory ?? Path.Combine(Path.GetTempPath(), "gridgame-localcluster", $"run-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        _stateDirectory = state;
        _logDirectory = Path.Combine(state, "logs");
        Directory.CreateDirectory(_logDirectory);
        Launcher = new ProcessLauncher(RegistryDirectory);
    }

    public IKubernetes Client { get; }

    public LocalNodesOptions Options { get; }

    public ILogger Logger { get; }

    public EventRecorder Events { get; }

    public TimeProvider Time { get; }

    public ProcessLauncher Launcher { get; }

    /// <summary>Every process id of every container currently known (for tests that check nothing is left running).</summary>
    public IReadOnlyList<int> Pids
    {
        get
        {
            lock (_lock)
            {
                return [.. _runners.Values.SelectMany(r => r.Pids).Where(p => p > 0)];
            }
        }
    }

    /// <summary>The local port a container's first declared port is served on (its hostPort, else the free port picked for it).</summary>
    public int PortOf(string ns, string pod, string container)
    {
        lock (_lock)
        {
            var runner = _runners.Values.FirstOrDefault(r => r.Pod.Metadata.Name == pod && (r.Pod.Metadata.NamespaceProperty ?? "default") == ns)
                ?? throw new InvalidOperationException($"pod {ns}/{pod} is not running here");
            return runner.PortOf(container);
        }
    }

    /// <summary>Starts serving <c>/containerLogs</c> on every node address; returns the port the nodes publish.</summary>
    public async Task<int> StartLogServerAsync(CancellationToken cancellationToken)
    {
        var addresses = _nodeAddresses.Values.Distinct(StringComparer.Ordinal).Where(a => System.Net.IPAddress.TryParse(a, out _)).DefaultIfEmpty("127.0.0.1");
        _logServer = await KubeletLogServer.StartAsync(this, [.. addresses], cancellationToken).ConfigureAwait(false);
        return _logServer.Port;
    }

    /// <summary>The runner of a pod, if this kubelet runs it.</summary>
    public PodRunner? Runner(string ns, string pod)
    {
        lock (_lock)
        {
            return _runners.Values.LastOrDefault(r => r.Pod.Metadata.Name == pod && (r.Pod.Metadata.NamespaceProperty ?? "default") == ns);
        }
    }

    public int ReapOrphans()
    {
        var reaped = Launcher.ReapOrphans();
        if (reaped > 0)
        {
            Log.LeftoverProcessesKilled(Logger, reaped);
        }
        return reaped;
    }

    public string LogPath(string ns, string pod, string container) => Path.Combine(_logDirectory, $"{ns}_{pod}", container + ".log");

    /// <summary>A pod's working directory (its containers' cwd unless they name a workingDir), like a container's writable layer.</summary>
    public string WorkingDirectory(string ns, string pod) => Path.Combine(_stateDirectory, "pods", $"{ns}_{pod}");

    public void OnPod(V1Pod? old, V1Pod? pod)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            if (pod is null)
            {
                _terminating.Remove(old!.Metadata.Uid);
                // Deleted without going through us (a forced delete): stop what runs for it.
                if (_runners.Remove(old!.Metadata.Uid, out var orphan))
                {
                    _terminations.Add(orphan.StopAsync(GracePeriod(old)).ContinueWith(_ => orphan.Dispose(), TaskScheduler.Default));
                }
                return;
            }
            if (pod.Spec?.NodeName is not { } node || !_nodeAddresses.TryGetValue(node, out var hostIP))
            {
                return;
            }
            var uid = pod.Metadata.Uid;
            _runners.TryGetValue(uid, out var runner);
            if (pod.Metadata.DeletionTimestamp is not null)
            {
                if (_terminating.Add(uid))
                {
                    _terminations.Add(TerminateAsync(pod, runner));
                }
                return;
            }
            if (runner is not null)
            {
                runner.Pod = pod;
                return;
            }
            if (pod.Status?.Phase is "Succeeded" or "Failed")
            {
                return;
            }
            runner = new PodRunner(this, pod, hostIP);
            _runners[uid] = runner;
            runner.Start();
        }
    }

    public async Task<ReferencedData> FetchReferencesAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        var (secretNames, mapNames) = ReferencedData.Names(pod);
        if (secretNames.Count == 0 && mapNames.Count == 0)
        {
            return ReferencedData.None;
        }
        var ns = pod.Metadata.NamespaceProperty ?? "default";
        var secrets = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        var maps = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var name in secretNames)
        {
            try
            {
                var secret = await Client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
                var values = (secret.Data ?? new Dictionary<string, byte[]>()).ToDictionary(d => d.Key, d => Encoding.UTF8.GetString(d.Value), StringComparer.Ordinal);
                foreach (var (k, v) in secret.StringData ?? new Dictionary<string, string>())
                {
                    values[k] = v;
                }
                secrets[name] = values;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
            }
        }
        foreach (var name in mapNames)
        {
            try
            {
                var map = await Client.CoreV1.ReadNamespacedConfigMapAsync(name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
                maps[name] = new Dictionary<string, string>(map.Data ?? new Dictionary<string, string>(), StringComparer.Ordinal);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
            }
        }
        return new ReferencedData(secrets, maps);
    }

    public async ValueTask DisposeAsync()
    {
        if (_logServer is not null)
        {
            await _logServer.DisposeAsync().ConfigureAwait(false);
        }
        List<PodRunner> runners;
        List<Task> terminations;
        lock (_lock)
        {
            _disposed = true;
            runners = [.. _runners.Values];
            _runners.Clear();
            terminations = [.. _terminations];
        }
        // LocalCluster is going away: honour grace periods, but not beyond a few seconds.
        await Task.WhenAll(runners.Select(r => r.StopAsync(TimeSpan.FromSeconds(Math.Min(5, GracePeriod(r.Pod).TotalSeconds))))).ConfigureAwait(false);
        foreach (var r in runners)
        {
            r.Dispose();
        }
        try
        {
            await Task.WhenAll(terminations).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or HttpOperationException or HttpRequestException or OperationCanceledException)
        {
        }
        Launcher.Dispose();
    }

    private static TimeSpan GracePeriod(V1Pod pod) =>
        TimeSpan.FromSeconds(Math.Max(0, pod.Metadata.DeletionGracePeriodSeconds ?? pod.Spec?.TerminationGracePeriodSeconds ?? 30));

    private async Task TerminateAsync(V1Pod pod, PodRunner? runner)
    {
        try
        {
            if (runner is not null)
            {
                await runner.StopAsync(GracePeriod(pod)).ConfigureAwait(false);
            }
            // Until the object is gone, a restarted LocalNodes would see the pod again; remove it now.
            var options = new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = pod.Metadata.Uid } };
            await Client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty ?? "default", options).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or OperationCanceledException)
        {
            Log.TerminatedPodNotRemoved(Logger, e, pod.Metadata.NamespaceProperty, pod.Metadata.Name);
        }
        finally
        {
            lock (_lock)
            {
                _runners.Remove(pod.Metadata.Uid);
            }
            runner?.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.LeftoverProcessesKilled, Level = LogLevel.Warning, Message = "Killed {Count} container process groups left by a LocalCluster that is gone")]
        public static partial void LeftoverProcessesKilled(ILogger logger, int count);

        [LoggerMessage(EventId = EventIds.TerminatedPodNotRemoved, Level = LogLevel.Warning, Message = "Could not remove terminated pod {Namespace}/{Pod}")]
        public static partial void TerminatedPodNotRemoved(ILogger logger, Exception exception, string? @namespace, string pod);
    }
}
