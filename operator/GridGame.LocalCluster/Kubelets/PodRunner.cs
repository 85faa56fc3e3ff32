using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
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
internal sealed class PodRunner : IDisposable
{
    private readonly ProcessKubelet _kubelet;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Channel<bool> _dirty = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly List<Container> _containers;
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
        _containers = [.. pod.Spec.Containers.Select(c => new Container(c, PortMap.For(c, () => FreePort(hostIP))))];
    }

    public V1Pod Pod { get; set; }

    public string HostIP { get; }

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
            _tasks.Add(Task.Run(() => RunContainerAsync(c, _stopping.Token)));
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
        List<Container> running;
        lock (_lock)
        {
            running = [.. _containers.Where(c => c.Process is not null)];
        }
        await Task.WhenAll(running.Select(c => TerminateAsync(c, grace))).ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_tasks).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _kubelet.Logger.LogWarning("Pod {Pod} did not stop in time; killing what is left", Key);
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

    private static async Task TerminateAsync(Container c, TimeSpan grace)
    {
        int pid;
        Task? exited;
        lock (c)
        {
            pid = c.Process is null ? 0 : c.Pid;
            exited = c.Exited;
        }
        if (pid == 0 || exited is null || exited.IsCompleted)
        {
            return;
        }
        ProcessLauncher.Signal(pid, ProcessLauncher.SigTerm);
        try
        {
            await exited.WaitAsync(grace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        // The group may still hold children even when the leader has gone.
        ProcessLauncher.Signal(pid, ProcessLauncher.SigKill);
        try
        {
            await exited.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }

    /// <summary>Call after <see cref="StopAsync"/> has completed.</summary>
    public void Dispose() => _stopping.Dispose();

    private void Event(string type, string reason, string message) =>
        _kubelet.Events.Record(Pod, "kubelet", Pod.Spec.NodeName, type, reason, message);

    private void MarkDirty() => _dirty.Writer.TryWrite(true);

    private TimeSpan Grace => TimeSpan.FromSeconds(Pod.Spec.TerminationGracePeriodSeconds ?? 30);

    private async Task RunContainerAsync(Container c, CancellationToken stopping)
    {
        TimeSpan? backoff = null;
        var policy = Pod.Spec.RestartPolicy ?? "Always";
        var options = _kubelet.Options;
        while (!stopping.IsCancellationRequested)
        {
            var (argv, env, error, reason) = await PrepareAsync(c, stopping).ConfigureAwait(false);
            if (argv is null || env is null)
            {
                SetWaiting(c, reason!, error!);
                if (!await DelayAsync(TimeSpan.FromSeconds(2), stopping).ConfigureAwait(false))
                {
                    break;
                }
                continue;
            }
            Process process;
            var logPath = _kubelet.LogPath(Pod.Metadata.NamespaceProperty ?? "default", Pod.Metadata.Name, c.Spec.Name);
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
                await File.AppendAllTextAsync(logPath, ContainerLogFile.MarkerLine(DateTime.UtcNow, c.Spec.Name, c.RestartCount, argv), stopping).ConfigureAwait(false);
                var workingDirectory = c.Spec.WorkingDir ?? _kubelet.WorkingDirectory(Pod.Metadata.NamespaceProperty ?? "default", Pod.Metadata.Name);
                Directory.CreateDirectory(workingDirectory);
                process = await _kubelet.Launcher.StartAsync(argv, env, logPath, workingDirectory).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                SetWaiting(c, "RunContainerError", e.Message);
                if (!await DelayAsync(TimeSpan.FromSeconds(2), stopping).ConfigureAwait(false))
                {
                    break;
                }
                continue;
            }
            catch (OperationCanceledException)
            {
                break;
            }
            var startedAt = _kubelet.Time.GetUtcNow().UtcDateTime;
            var exitedTask = process.WaitForExitAsync(CancellationToken.None);
            lock (c)
            {
                c.Process = process;
                c.Exited = exitedTask;
                c.Pid = process.Id;
                c.Env = env;
                c.State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = startedAt } };
                c.Started = c.Spec.StartupProbe is null;
                c.Ready = c.Spec.ReadinessProbe is null && c.Started;
            }
            MarkDirty();
            Event("Normal", "Started", $"Started container {c.Spec.Name}");
            if (stopping.IsCancellationRequested)
            {
                // Stopped while this process was starting: StopAsync did not see it, so terminate it here.
                _ = TerminateAsync(c, _stopGrace);
            }
            using var probes = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            var probing = ProbeAsync(c, process, exitedTask, probes.Token);
            await exitedTask.ConfigureAwait(false);
            await probes.CancelAsync().ConfigureAwait(false);
            await probing.ConfigureAwait(false);
            var finishedAt = _kubelet.Time.GetUtcNow().UtcDateTime;
            var exitCode = process.ExitCode;
            _kubelet.Launcher.Forget(process.Id);
            process.Dispose();
            var terminated = new V1ContainerState
            {
                Terminated = new V1ContainerStateTerminated
                {
                    ExitCode = exitCode,
                    Reason = exitCode == 0 ? "Completed" : "Error",
                    StartedAt = startedAt,
                    FinishedAt = finishedAt,
                    ContainerID = $"process://{c.Pid}",
                },
            };
            var restart = !stopping.IsCancellationRequested && PodLifecycle.ShouldRestart(policy, exitCode);
            lock (c)
            {
                c.Process = null;
                c.Ready = false;
                c.Started = false;
                c.LastState = terminated;
                c.State = terminated;
            }
            if (!restart)
            {
                MarkDirty();
                break;
            }
            // The first restart is immediate; later ones wait the back-off, doubling, as the kubelet does.
            var ranFor = finishedAt - startedAt;
            if (ranFor >= options.MaxRestartBackoff * 2)
            {
                backoff = null;
            }
            var delay = backoff ?? TimeSpan.Zero;
            backoff = PodLifecycle.NextBackoff(backoff, ranFor, options.RestartBackoff, options.MaxRestartBackoff);
            if (delay > TimeSpan.Zero)
            {
                Event("Warning", "BackOff", $"Back-off restarting failed container {c.Spec.Name} in pod {Pod.Metadata.Name}");
                SetWaiting(c, "CrashLoopBackOff", string.Create(CultureInfo.InvariantCulture,
                    $"back-off {delay.TotalSeconds:0.###}s restarting failed container={c.Spec.Name} pod={Pod.Metadata.Name}_{Pod.Metadata.NamespaceProperty}({Pod.Metadata.Uid})"));
            }
            if (!await DelayAsync(delay, stopping).ConfigureAwait(false))
            {
                break;
            }
            lock (c)
            {
                c.RestartCount++;
            }
        }
    }

    private void SetWaiting(Container c, string reason, string message)
    {
        lock (c)
        {
            c.State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = reason, Message = message } };
            c.Ready = false;
        }
        MarkDirty();
    }

    private async Task<(IReadOnlyList<string>? Argv, Dictionary<string, string>? Env, string? Error, string? Reason)> PrepareAsync(Container c, CancellationToken cancellationToken)
    {
        ReferencedData data;
        try
        {
            data = await _kubelet.FetchReferencesAsync(Pod, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return (null, null, "stopping", "ContainerCreating");
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or OperationCanceledException)
        {
            return (null, null, e.Message, "CreateContainerConfigError");
        }
        var (env, envError) = ContainerEnvironment.Build(Pod, c.Spec, HostIP, HostIP, c.Ports, _kubelet.Options.KubeconfigPath, data);
        if (env is null)
        {
            return (null, null, envError, "CreateContainerConfigError");
        }
        env["GRIDGAME_LOCALCLUSTER_POD"] = Pod.Metadata.Uid;
        // A process needs to find its programs and home like any login would; the pod's own variables win.
        foreach (var name in (string[])["PATH", "HOME", "USER", "LANG", "TMPDIR", "DOTNET_ROOT", "DOTNET_CLI_HOME", "DOTNET_NOLOGO"])
        {
            if (!env.ContainsKey(name) && Environment.GetEnvironmentVariable(name) is { } value)
            {
                env[name] = value;
            }
        }
        var (argv, argvError) = ContainerCommand.Resolve(c.Spec, _kubelet.Options.Images, env);
        return argv is null ? (null, null, argvError, "ErrImageNeverPull") : (argv, env, null, null);
    }

    private async Task ProbeAsync(Container c, Process process, Task exited, CancellationToken cancellationToken)
    {
        var spec = c.Spec;
        var env = c.Env ?? new Dictionary<string, string>();
        try
        {
            if (spec.StartupProbe is { } startup)
            {
                var counter = ProbeCounter.For(new V1Probe { SuccessThreshold = 1, FailureThreshold = startup.FailureThreshold }, initial: false);
                await DelayAsync(TimeSpan.FromSeconds(startup.InitialDelaySeconds ?? 0), cancellationToken).ConfigureAwait(false);
                while (!cancellationToken.IsCancellationRequested)
                {
                    var ok = await ProbeRunner.ProbeAsync(startup, HostIP, c.Ports, env, cancellationToken).ConfigureAwait(false);
                    if (cancellationToken.IsCancellationRequested)
                    {
                        return;
                    }
                    counter.Record(ok);
                    if (counter.Passing)
                    {
                        lock (c)
                        {
                            c.Started = true;
                            c.Ready = spec.ReadinessProbe is null;
                        }
                        MarkDirty();
                        break;
                    }
                    if (counter.FailuresWhileFailing >= (startup.FailureThreshold ?? 3))
                    {
                        _kubelet.Logger.LogInformation("Container {Container} of {Pod} failed its startup probe; restarting", spec.Name, Key);
                        Event("Warning", "Unhealthy", "Startup probe failed");
                        Event("Normal", "Killing", $"Container {spec.Name} failed startup probe, will be restarted");
                        await KillForRestartAsync(process.Id, exited).ConfigureAwait(false);
                        return;
                    }
                    await DelayAsync(Period(startup), cancellationToken).ConfigureAwait(false);
                }
            }
            var loops = new List<Task>();
            if (spec.ReadinessProbe is { } readiness)
            {
                loops.Add(ReadinessAsync(c, readiness, cancellationToken));
            }
            if (spec.LivenessProbe is { } liveness)
            {
                loops.Add(LivenessAsync(c, process.Id, exited, liveness, cancellationToken));
            }
            await Task.WhenAll(loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ReadinessAsync(Container c, V1Probe probe, CancellationToken cancellationToken)
    {
        var counter = ProbeCounter.For(probe, initial: false);
        await DelayAsync(TimeSpan.FromSeconds(probe.InitialDelaySeconds ?? 0), cancellationToken).ConfigureAwait(false);
        while (!cancellationToken.IsCancellationRequested)
        {
            var ok = await ProbeRunner.ProbeAsync(probe, HostIP, c.Ports, c.Env!, cancellationToken).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            if (counter.Record(ok))
            {
                lock (c)
                {
                    c.Ready = counter.Passing;
                }
                MarkDirty();
            }
            await DelayAsync(Period(probe), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task LivenessAsync(Container c, int pid, Task exited, V1Probe probe, CancellationToken cancellationToken)
    {
        var counter = ProbeCounter.For(probe, initial: true);
        await DelayAsync(TimeSpan.FromSeconds(probe.InitialDelaySeconds ?? 0), cancellationToken).ConfigureAwait(false);
        while (!cancellationToken.IsCancellationRequested)
        {
            var ok = await ProbeRunner.ProbeAsync(probe, HostIP, c.Ports, c.Env!, cancellationToken).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            if (counter.Record(ok) && !counter.Passing)
            {
                _kubelet.Logger.LogInformation("Container {Container} of {Pod} failed liveness probe, will be restarted", c.Spec.Name, Key);
                Event("Warning", "Unhealthy", "Liveness probe failed");
                Event("Normal", "Killing", $"Container {c.Spec.Name} failed liveness probe, will be restarted");
                await KillForRestartAsync(pid, exited).ConfigureAwait(false);
                return;
            }
            await DelayAsync(Period(probe), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task KillForRestartAsync(int pid, Task exited)
    {
        ProcessLauncher.Signal(pid, ProcessLauncher.SigTerm);
        try
        {
            await exited.WaitAsync(Grace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            ProcessLauncher.Signal(pid, ProcessLauncher.SigKill);
        }
    }

    private static TimeSpan Period(V1Probe probe) => TimeSpan.FromSeconds(Math.Max(1, probe.PeriodSeconds ?? 10));

    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
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
                    _kubelet.Logger.LogWarning(e, "Status of {Pod} not written; retrying", Key);
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
        var statuses = new List<V1ContainerStatus>();
        foreach (var c in _containers)
        {
            lock (c)
            {
                statuses.Add(new V1ContainerStatus
                {
                    Name = c.Spec.Name,
                    Image = c.Spec.Image ?? "",
                    ImageID = "process://" + (c.Spec.Image ?? c.Spec.Name),
                    ContainerID = c.Pid > 0 ? $"process://{c.Pid}" : null,
                    Ready = c.Ready,
                    Started = c.Started,
                    RestartCount = c.RestartCount,
                    State = c.State,
                    LastState = c.LastState ?? new V1ContainerState(),
                });
            }
        }
        var phase = PodLifecycle.Phase(Pod.Spec.RestartPolicy, statuses);
        lock (_lock)
        {
            _conditions = PodLifecycle.Conditions(phase, statuses.All(s => s.Ready), now, _conditions);
            return new V1PodStatus
            {
                Phase = phase,
                HostIP = HostIP,
                HostIPs = [new V1HostIP { Ip = HostIP }],
                PodIP = HostIP,
                PodIPs = [new V1PodIP { Ip = HostIP }],
                StartTime = _startTime,
                QosClass = "BestEffort",
                Conditions = _conditions,
                ContainerStatuses = statuses,
            };
        }
    }

    /// <summary>The pod shares its node's address (host networking), so a free port is one free on that address.</summary>
    private static int FreePort(string address)
    {
        using var listener = new TcpListener(IPAddress.Parse(address), 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class Container(V1Container spec, PortMap ports)
    {
        public V1Container Spec { get; } = spec;

        public PortMap Ports { get; } = ports;

        public Process? Process { get; set; }

        public Task? Exited { get; set; }

        public int Pid { get; set; }

        public Dictionary<string, string>? Env { get; set; }

        public V1ContainerState State { get; set; } = new() { Waiting = new V1ContainerStateWaiting { Reason = "ContainerCreating" } };

        public V1ContainerState? LastState { get; set; }

        public int RestartCount { get; set; }

        public bool Ready { get; set; }

        public bool Started { get; set; }
    }
}
