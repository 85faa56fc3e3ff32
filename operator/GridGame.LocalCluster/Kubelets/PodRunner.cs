using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace GridGame.LocalCluster.Kubelets;

/// <summary>
/// One pod under the process kubelet: a loop per container (start, probe, restart with back-off per restartPolicy)
/// and a status publisher that patches <c>/status</c> whenever something the API should see changes.
/// </summary>
internal sealed partial class PodRunner : IDisposable
{
    private readonly ProcessKubelet _kubelet;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Channel<bool> _dirty = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly List<PodContainer> _containers;
    private readonly List<Task> _tasks = [];
    private readonly DateTime _startTime;
    private List<V1PodCondition>? _conditions;
    private Task? _stopped;
    private TimeSpan _stopGrace;

    public PodRunner(ProcessKubelet kubelet, V1Pod pod, string hostIP)
    {
        _kubelet = kubelet;
        Pod = pod;
        HostIP = hostIP;
        _startTime = kubelet.Time.GetUtcNow().UtcDateTime;
        _containers = [.. pod.Spec.Containers.Select(c => new PodContainer(c, PortMap.For(c, () => FreePort(hostIP))))];
    }

    public V1Pod Pod { get; set; }

    public string HostIP { get; }

    public ProcessKubelet Kubelet => _kubelet;

    /// <summary>The grace period the pod is being stopped with (zero until it is).</summary>
    public TimeSpan StopGrace => _stopGrace;

    public string Key => $"{Pod.Metadata.NamespaceProperty ?? "default"}/{Pod.Metadata.Name}";

    /// <summary>Process ids of the containers' running processes.</summary>
    public IReadOnlyList<int> Pids
    {
        get
        {
            var pids = new List<int>();
            foreach (var c in _containers)
            {
                lock (c)
                {
                    if (c.Pid > 0 && c.Exited is { IsCompleted: false })
                    {
                        pids.Add(c.Pid);
                    }
                }
            }
            return pids;
        }
    }

    /// <summary>For the log server: a container's state, last state and its running process's exit (null if none runs); null for no such container.</summary>
    public (V1ContainerState State, V1ContainerState? LastState, Task? Exited)? LogState(string container)
    {
        var c = _containers.FirstOrDefault(c => c.Spec.Name == container);
        if (c is null)
        {
            return null;
        }
        lock (c)
        {
            return (c.State, c.LastState, c.Process is not null ? c.Exited : null);
        }
    }

    /// <summary>For exec: the container's running process (its environment, working directory and exit); null for no such container.</summary>
    public ExecTarget? ExecTarget(string container)
    {
        var c = _containers.FirstOrDefault(c => c.Spec.Name == container);
        if (c is null)
        {
            return null;
        }
        var workingDirectory = c.Spec.WorkingDir ?? _kubelet.WorkingDirectory(Pod.Metadata.NamespaceProperty ?? "default", Pod.Metadata.Name);
        lock (c)
        {
            return c.Process is not null && c.Env is not null && c.Exited is { IsCompleted: false } exited
                ? new ExecTarget(c.Env, workingDirectory, exited)
                : new ExecTarget(null, workingDirectory, null);
        }
    }

    public int PortOf(string container) => _containers.Single(c => c.Spec.Name == container).Ports.Primary;

    public void Start()
    {
        _tasks.Add(Task.Run(() => PublishAsync(_stopping.Token)));
        foreach (var c in _containers)
        {
            _tasks.Add(Task.Run(() => new ContainerLoop(this, c).RunAsync(_stopping.Token)));
        }
        MarkDirty();
    }

    /// <summary>Stops every container: SIGTERM to its process group, SIGKILL after the grace period. Idempotent.</summary>
    public Task StopAsync(TimeSpan grace)
    {
        lock (_lock)
        {
            if (_stopped is null)
            {
                _stopGrace = grace;
                _stopped = Task.Run(() => StopCoreAsync(grace));
            }
            return _stopped;
        }
    }

    private async Task StopCoreAsync(TimeSpan grace)
    {
        foreach (var c in _containers.Where(c => c.Pid > 0 && c.Exited is { IsCompleted: false }))
        {
            Event("Normal", "Killing", $"Stopping container {c.Spec.Name}");
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        List<PodContainer> running;
        lock (_lock)
        {
            running = [.. _containers.Where(c => c.Process is not null)];
        }
        await Task.WhenAll(running.Select(c => c.TerminateAsync(grace))).ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_tasks).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.StopTimedOut(_kubelet.Logger, Key);
            foreach (var c in _containers)
            {
                lock (c)
                {
                    if (c.Exited is { IsCompleted: false })
                    {
                        ProcessLauncher.Signal(c.Pid, ProcessLauncher.SigKill);
                    }
                }
            }
        }
    }

    /// <summary>Call after <see cref="StopAsync"/> has completed.</summary>
    public void Dispose() => _stopping.Dispose();

    public void Event(string type, string reason, string message) =>
        _kubelet.Events.Record(Pod, "kubelet", Pod.Spec.NodeName, type, reason, message);

    /// <summary>Something the pod's status shows has changed: the publisher writes it (once for any number of calls in between).</summary>
    public void MarkDirty() => _dirty.Writer.TryWrite(true);

    /// <summary>The pod's termination grace period.</summary>
    public TimeSpan Grace => TimeSpan.FromSeconds(Pod.Spec.TerminationGracePeriodSeconds ?? 30);

    /// <summary>Waits on the kubelet's clock; false when cancelled first.</summary>
    public async Task<bool> DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        if (delay <= TimeSpan.Zero)
        {
            return !cancellationToken.IsCancellationRequested;
        }
        try
        {
            await Task.Delay(delay, _kubelet.Time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task PublishAsync(CancellationToken stopping)
    {
        try
        {
            await foreach (var _ in _dirty.Reader.ReadAllAsync(stopping).ConfigureAwait(false))
            {
                var status = BuildStatus();
                var patch = KubernetesJson.Serialize(new V1Pod { Status = status });
                try
                {
                    await _kubelet.Client.CoreV1.PatchNamespacedPodStatusAsync(
                        new V1Patch(patch, V1Patch.PatchType.MergePatch), Pod.Metadata.Name, Pod.Metadata.NamespaceProperty ?? "default",
                        cancellationToken: stopping).ConfigureAwait(false);
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
                {
                    return;
                }
                catch (Exception e) when (!stopping.IsCancellationRequested && e is HttpOperationException or HttpRequestException or IOException or OperationCanceledException)
                {
                    Log.StatusNotWritten(_kubelet.Logger, e, Key);
                    await DelayAsync(TimeSpan.FromMilliseconds(500), stopping).ConfigureAwait(false);
                    MarkDirty();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    internal V1PodStatus BuildStatus()
    {
        var now = _kubelet.Time.GetUtcNow().UtcDateTime;
        var statuses = _containers.Select(PodStatusBuilder.ContainerStatus).ToList();
        lock (_lock)
        {
            var status = PodStatusBuilder.Build(Pod.Spec.RestartPolicy, statuses, HostIP, _startTime, now, _conditions);
            _conditions = (List<V1PodCondition>)status.Conditions;
            return status;
        }
    }

    /// <summary>The pod shares its node's address (host networking), so a free port is one free on that address.</summary>
    private static int FreePort(string address)
    {
        using var listener = new TcpListener(IPAddress.Parse(address), 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.PodStopTimedOut, Level = LogLevel.Warning, Message = "Pod {Pod} did not stop in time; killing what is left")]
        public static partial void StopTimedOut(ILogger logger, string pod);

        [LoggerMessage(EventId = EventIds.PodStatusNotWritten, Level = LogLevel.Warning, Message = "Status of {Pod} not written; retrying")]
        public static partial void StatusNotWritten(ILogger logger, Exception exception, string pod);
    }
}
