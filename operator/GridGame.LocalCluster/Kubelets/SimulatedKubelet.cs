using System.Globalization;
using System.Net;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace GridGame.LocalCluster.Kubelets;

/// <summary>
/// A kubelet without processes, for any number of fake nodes: a bound pod becomes Running and Ready after the start
/// delay, a terminating pod is removed at once. Work is driven by the pod feed and done by a few workers from one
/// queue, so thousands of pods cost a status patch each and no polling. Tests can fail a pod, make it crash-loop
/// (restartCount rising on the kubelet's back-off) or flip its readiness, and make every pod of an image glob never
/// turn Ready or crash-loop from the start (<see cref="Nodes.LocalNodesOptions.SimulatedImages"/>).
/// </summary>
internal sealed partial class SimulatedKubelet(
    IKubernetes client,
    IReadOnlyDictionary<string, string> nodeAddresses,
    TimeSpan startDelay,
    TimeSpan restartBackoff,
    TimeSpan maxRestartBackoff,
    TimeProvider time,
    ILogger logger,
    IReadOnlyDictionary<string, Nodes.SimulatedImageBehavior>? imageBehaviors = null) : IDisposable
{
    private const int Workers = 8;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, SimulatedPod> _pods = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _uidByName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _nextIp = new(StringComparer.Ordinal);
    private readonly Channel<(SimulatedPod Pod, bool Delete)> _work = Channel.CreateUnbounded<(SimulatedPod, bool)>();

    public void OnPod(V1Pod? old, V1Pod? pod)
    {
        if (pod is null)
        {
            lock (_lock)
            {
                if (_pods.Remove(old!.Metadata.Uid, out var gone))
                {
                    // A new pod of the same name may already have taken the name over.
                    if (_uidByName.TryGetValue(gone.Key, out var current) && current == old.Metadata.Uid)
                    {
                        _uidByName.Remove(gone.Key);
                    }
                    gone.Timer?.Dispose();
                }
            }
            return;
        }
        if (pod.Spec?.NodeName is not { } node || !nodeAddresses.TryGetValue(node, out var hostIP))
        {
            return;
        }
        SimulatedPod? enqueue = null;
        var delete = false;
        lock (_lock)
        {
            if (!_pods.TryGetValue(pod.Metadata.Uid, out var sim))
            {
                sim = new SimulatedPod(pod, hostIP, NextPodIP(node));
                _pods[pod.Metadata.Uid] = sim;
                _uidByName[sim.Key] = pod.Metadata.Uid;
                if (pod.Status?.Phase is "Running" or "Succeeded" or "Failed")
                {
                    // Adopted from an earlier run over the same store.
                    sim.Started = true;
                    sim.Ready = pod.Status.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;
                    sim.PodIP = pod.Status.PodIP ?? sim.PodIP;
                    sim.StartedAt = pod.Status.StartTime ?? time.GetUtcNow().UtcDateTime;
                }
                else if (pod.Metadata.DeletionTimestamp is null)
                {
                    if (startDelay <= TimeSpan.Zero)
                    {
                        StartLocked(sim);
                        enqueue = sim;
                    }
                    else
                    {
                        sim.Timer = time.CreateTimer(_ => Start(sim), null, startDelay, Timeout.InfiniteTimeSpan);
                    }
                }
            }
            sim.Pod = pod;
            if (pod.Metadata.DeletionTimestamp is not null && !sim.Deleting)
            {
                sim.Deleting = true;
                sim.Timer?.Dispose();
                enqueue = sim;
                delete = true;
            }
        }
        if (enqueue is not null)
        {
            _work.Writer.TryWrite((enqueue, delete));
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => WorkAsync(cancellationToken))).ConfigureAwait(false);
    }

    /// <summary>Test hook: the pod's containers exit with an error and the pod goes Failed.</summary>
    public void Fail(string ns, string name, string message = "simulated failure") =>
        Change(ns, name, sim =>
        {
            sim.Failed = true;
            sim.Ready = false;
            sim.Message = message;
        });

    /// <summary>Test hook: the pod's containers crash over and over; restartCount rises on the back-off schedule.</summary>
    public void CrashLoop(string ns, string name) =>
        Change(ns, name, sim =>
        {
            sim.CrashLooping = true;
            sim.Ready = false;
            Crash(sim, null);
        });

    /// <summary>Test hook: the pod turns unready (or ready again); a crash loop stops when made ready.</summary>
    public void SetReady(string ns, string name, bool ready) =>
        Change(ns, name, sim =>
        {
            sim.Ready = ready;
            if (ready)
            {
                sim.CrashLooping = false;
                sim.Timer?.Dispose();
            }
        });

    /// <summary>Test hook: a node goes down (its pods turn unready, as the node lifecycle controller marks them) or comes back.</summary>
    public void SetNodeReady(string node, bool ready)
    {
        List<SimulatedPod> changed;
        lock (_lock)
        {
            changed = [.. _pods.Values.Where(p => p.Pod.Spec?.NodeName == node && p.Started && !p.Failed && !p.CrashLooping)];
            foreach (var sim in changed)
            {
                sim.Ready = ready;
            }
        }
        foreach (var sim in changed)
        {
            _work.Writer.TryWrite((sim, false));
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var sim in _pods.Values)
            {
                sim.Timer?.Dispose();
            }
        }
    }

    private void Crash(SimulatedPod sim, TimeSpan? previous)
    {
        if (!sim.CrashLooping || sim.Deleting)
        {
            return;
        }
        sim.RestartCount++;
        sim.LastCrash = time.GetUtcNow().UtcDateTime;
        var next = Kubelets.PodLifecycle.NextBackoff(previous, TimeSpan.Zero, restartBackoff, maxRestartBackoff);
        sim.Backoff = next;
        sim.Timer?.Dispose();
        sim.Timer = time.CreateTimer(_ =>
        {
            lock (_lock)
            {
                Crash(sim, next);
            }
            _work.Writer.TryWrite((sim, false));
        }, null, next, Timeout.InfiniteTimeSpan);
    }

    private void Change(string ns, string name, Action<SimulatedPod> change)
    {
        SimulatedPod sim;
        lock (_lock)
        {
            if (!_uidByName.TryGetValue(ns + "/" + name, out var uid) || !_pods.TryGetValue(uid, out sim!))
            {
                throw new InvalidOperationException($"pod {ns}/{name} is not on a simulated node");
            }
            sim.Started = true;
            change(sim);
        }
        _work.Writer.TryWrite((sim, false));
    }

    private void Start(SimulatedPod sim)
    {
        lock (_lock)
        {
            if (sim.Deleting || sim.Started)
            {
                return;
            }
            StartLocked(sim);
        }
        _work.Writer.TryWrite((sim, false));
    }

    /// <summary>Starts the pod as its image says: Ready, running but never Ready, or crash-looping. Holds the lock.</summary>
    private void StartLocked(SimulatedPod sim)
    {
        sim.Started = true;
        sim.StartedAt = time.GetUtcNow().UtcDateTime;
        switch (BehaviorOf(sim.Pod))
        {
            case Nodes.SimulatedImageBehavior.NeverReady:
                sim.Ready = false;
                break;
            case Nodes.SimulatedImageBehavior.CrashLoop:
                sim.Ready = false;
                sim.CrashLooping = true;
                Crash(sim, null);
                break;
            default:
                sim.Ready = true;
                break;
        }
    }

    private Nodes.SimulatedImageBehavior BehaviorOf(V1Pod pod)
    {
        if (imageBehaviors is not { Count: > 0 })
        {
            return Nodes.SimulatedImageBehavior.Ready;
        }
        foreach (var (glob, behavior) in imageBehaviors.OrderBy(b => b.Key, StringComparer.Ordinal))
        {
            var table = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal) { [glob] = [] };
            if (pod.Spec?.Containers?.Any(c => ContainerCommand.MatchImage(c.Image, table) is not null) == true)
            {
                return behavior;
            }
        }
        return Nodes.SimulatedImageBehavior.Ready;
    }

    private string NextPodIP(string node)
    {
        var n = _nextIp.GetValueOrDefault(node);
        _nextIp[node] = n + 1;
        var nodeIndex = nodeAddresses.Keys.Order(StringComparer.Ordinal).ToList().IndexOf(node);
        // A /16 per node (10.64.0.0/16 for the first), so addresses stay unique through many pod generations.
        return string.Create(CultureInfo.InvariantCulture, $"10.{64 + (nodeIndex % 192)}.{n / 254 % 256}.{(n % 254) + 1}");
    }

    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var (sim, delete) in _work.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    if (delete)
                    {
                        await DeleteAsync(sim, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await PatchStatusAsync(sim, cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
                {
                    // Gone, or replaced by a new pod of the same name: nothing left to do for this one.
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is HttpOperationException or HttpRequestException or IOException or OperationCanceledException)
                {
                    Log.NotUpdated(logger, e, sim.Key);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private Task DeleteAsync(SimulatedPod sim, CancellationToken cancellationToken)
    {
        var options = new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = sim.Pod.Metadata.Uid } };
        return client.CoreV1.DeleteNamespacedPodAsync(sim.Pod.Metadata.Name, sim.Pod.Metadata.NamespaceProperty ?? "default", options, cancellationToken: cancellationToken);
    }

    private Task PatchStatusAsync(SimulatedPod sim, CancellationToken cancellationToken)
    {
        V1PodStatus status;
        lock (_lock)
        {
            if (sim.Deleting)
            {
                return Task.CompletedTask;
            }
            status = Status(sim, time.GetUtcNow().UtcDateTime);
            sim.LastConditions = status.Conditions.ToList();
        }
        var patch = KubernetesJson.Serialize(new V1Pod { Status = status });
        return client.CoreV1.PatchNamespacedPodStatusAsync(
            new V1Patch(patch, V1Patch.PatchType.MergePatch), sim.Pod.Metadata.Name, sim.Pod.Metadata.NamespaceProperty ?? "default",
            cancellationToken: cancellationToken);
    }

    private static V1PodStatus Status(SimulatedPod sim, DateTime now)
    {
        var containers = (sim.Pod.Spec?.Containers ?? []).Select(c =>
        {
            var state = sim.Failed
                ? new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = 1, Reason = "Error", Message = sim.Message, StartedAt = sim.StartedAt, FinishedAt = now } }
                : sim.CrashLooping
                    ? new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "CrashLoopBackOff", Message = $"back-off {sim.Backoff.TotalSeconds:0}s restarting failed container={c.Name} pod={sim.Pod.Metadata.Name}" } }
                    : new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = sim.StartedAt } };
            return new V1ContainerStatus
            {
                Name = c.Name,
                Image = c.Image,
                ImageID = "simulated://" + c.Image,
                ContainerID = $"simulated://{sim.Pod.Metadata.Uid}/{c.Name}",
                Ready = sim.Ready && state.Running is not null,
                Started = state.Running is not null,
                RestartCount = sim.RestartCount,
                State = state,
                LastState = sim.RestartCount > 0
                    ? new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = 1, Reason = "Error", FinishedAt = sim.LastCrash } }
                    : new V1ContainerState(),
            };
        }).ToList();
        // A test asked for a failed pod: it is reported Failed whatever the restart policy, as an evicted pod would be.
        var phase = sim.Failed ? "Failed" : Kubelets.PodLifecycle.Phase(sim.Pod.Spec?.RestartPolicy, containers);
        return new V1PodStatus
        {
            Phase = phase,
            Message = sim.Failed ? sim.Message : null,
            Reason = sim.Failed ? "Error" : null,
            HostIP = sim.HostIP,
            HostIPs = [new V1HostIP { Ip = sim.HostIP }],
            PodIP = sim.PodIP,
            PodIPs = [new V1PodIP { Ip = sim.PodIP }],
            StartTime = sim.StartedAt,
            QosClass = "BestEffort",
            Conditions = Kubelets.PodLifecycle.Conditions(phase, containers.All(c => c.Ready), now, sim.LastConditions),
            ContainerStatuses = containers,
        };
    }

    private sealed class SimulatedPod(V1Pod pod, string hostIP, string podIP)
    {
        public V1Pod Pod { get; set; } = pod;

        public string Key { get; } = (pod.Metadata.NamespaceProperty ?? "default") + "/" + pod.Metadata.Name;

        public string HostIP { get; } = hostIP;

        public string PodIP { get; set; } = podIP;

        public bool Started { get; set; }

        public bool Ready { get; set; }

        public bool Failed { get; set; }

        public bool CrashLooping { get; set; }

        public bool Deleting { get; set; }

        public int RestartCount { get; set; }

        public TimeSpan Backoff { get; set; }

        public DateTime? StartedAt { get; set; }

        public DateTime? LastCrash { get; set; }

        public string? Message { get; set; }

        public ITimer? Timer { get; set; }

        public List<V1PodCondition>? LastConditions { get; set; }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.SimulatedPodNotUpdated, Level = LogLevel.Warning, Message = "Simulated kubelet could not update {Pod}")]
        public static partial void NotUpdated(ILogger logger, Exception exception, string pod);
    }
}
