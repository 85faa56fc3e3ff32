using System.Net;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace GridGame.LocalCluster.Scheduling;

/// <summary>
/// The scheduler's I/O: keeps a view of nodes and pods from the feeds, runs <see cref="PodScheduler"/> over pending
/// pods whenever the cluster changes, binds through the <c>pods/binding</c> subresource (a merge patch of
/// <c>spec.nodeName</c> if the server lacks it) and marks pods it cannot place <c>PodScheduled=False/Unschedulable</c>.
/// A pod it has just bound is assumed on its node until the watch confirms it, as the real scheduler's cache does.
/// </summary>
internal sealed partial class SchedulerLoop(IKubernetes client, TimeProvider time, Nodes.EventRecorder events, ILogger logger) : IDisposable
{
    public const string SchedulerName = "default-scheduler";
    private const int MaxInFlight = 16;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, V1Node> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, V1Pod>> _podsByNode = new(StringComparer.Ordinal);
    private readonly Dictionary<string, V1Pod> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _assumed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _reported = new(StringComparer.Ordinal);
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly SemaphoreSlim _inFlight = new(MaxInFlight);
    private bool _bindingUnsupported;

    public void OnNode(V1Node? old, V1Node? node)
    {
        lock (_lock)
        {
            if (node is null)
            {
                _nodes.Remove(old!.Metadata.Name);
            }
            else
            {
                _nodes[node.Metadata.Name] = node;
            }
        }
        Wake();
    }

    public void OnPod(V1Pod? old, V1Pod? pod)
    {
        var uid = (pod ?? old)!.Metadata.Uid;
        lock (_lock)
        {
            if (old?.Spec?.NodeName is { } oldNode && _podsByNode.TryGetValue(oldNode, out var was))
            {
                was.Remove(uid);
            }
            _pending.Remove(uid);
            if (pod is null)
            {
                _assumed.Remove(uid);
                _reported.Remove(uid);
            }
            else if (pod.Spec?.NodeName is { Length: > 0 } node)
            {
                _assumed.Remove(uid);
                _reported.Remove(uid);
                // Finished pods no longer hold resources or ports.
                if (pod.Status?.Phase is not ("Succeeded" or "Failed"))
                {
                    PodsOn(node)[uid] = pod;
                }
            }
            else if (pod.Metadata.DeletionTimestamp is null && (pod.Spec?.SchedulerName ?? SchedulerName) == SchedulerName && !_assumed.ContainsKey(uid))
            {
                _pending[uid] = pod;
            }
        }
        Wake();
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _wake.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                _wake.Reader.TryRead(out _);
                await PassAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        // Let in-flight binds finish so nothing writes after disposal.
        for (var i = 0; i < MaxInFlight; i++)
        {
            await _inFlight.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    public void Dispose() => _inFlight.Dispose();

    private void Wake() => _wake.Writer.TryWrite(true);

    private Dictionary<string, V1Pod> PodsOn(string node)
    {
        if (!_podsByNode.TryGetValue(node, out var pods))
        {
            _podsByNode[node] = pods = new Dictionary<string, V1Pod>(StringComparer.Ordinal);
        }
        return pods;
    }

    private async Task PassAsync(CancellationToken cancellationToken)
    {
        List<V1Pod> pending;
        Dictionary<string, NodeState> states;
        lock (_lock)
        {
            pending = _pending.Values
                .OrderByDescending(p => p.Spec?.Priority ?? 0)
                .ThenBy(p => p.Metadata.CreationTimestamp ?? DateTime.MinValue)
                .ThenBy(p => p.Metadata.NamespaceProperty, StringComparer.Ordinal)
                .ThenBy(p => p.Metadata.Name, StringComparer.Ordinal)
                .ToList();
            if (pending.Count == 0)
            {
                return;
            }
            states = _nodes.Values.ToDictionary(
                n => n.Metadata.Name,
                n => new NodeState(n, _podsByNode.TryGetValue(n.Metadata.Name, out var pods) ? [.. pods.Values] : []),
                StringComparer.Ordinal);
        }
        foreach (var pod in pending)
        {
            SchedulingDecision decision;
            try
            {
                decision = PodScheduler.Decide(pod, [.. states.Values]);
            }
#pragma warning disable CA1031 // a pod the scheduler cannot read must not stop scheduling for the others
            catch (Exception e)
#pragma warning restore CA1031
            {
                Log.SchedulingFailed(logger, e, pod.Metadata.NamespaceProperty, pod.Metadata.Name);
                continue;
            }
            var uid = pod.Metadata.Uid;
            if (decision.NodeName is { } node)
            {
                lock (_lock)
                {
                    if (!_pending.Remove(uid))
                    {
                        continue; // deleted or bound meanwhile
                    }
                    _assumed[uid] = node;
                    PodsOn(node)[uid] = pod;
                }
                states[node] = states[node].With(pod);
                await _inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
                _ = BindAsync(pod, node, cancellationToken);
            }
            else
            {
                lock (_lock)
                {
                    if (_reported.TryGetValue(uid, out var message) && message == decision.Message)
                    {
                        continue;
                    }
                    _reported[uid] = decision.Message;
                }
                await _inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
                _ = ReportUnschedulableAsync(pod, decision.Message, cancellationToken);
            }
        }
    }

    private async Task BindAsync(V1Pod pod, string node, CancellationToken cancellationToken)
    {
        var name = pod.Metadata.Name;
        var ns = pod.Metadata.NamespaceProperty ?? "default";
        try
        {
            if (!_bindingUnsupported)
            {
                try
                {
                    var binding = new V1Binding
                    {
                        ApiVersion = "v1",
                        Kind = "Binding",
                        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Uid = pod.Metadata.Uid },
                        Target = new V1ObjectReference { ApiVersion = "v1", Kind = "Node", Name = node },
                    };
                    await client.CoreV1.CreateNamespacedPodBindingAsync(binding, name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
                    events.Record(pod, SchedulerName, null, "Normal", "Scheduled", $"Successfully assigned {ns}/{name} to {node}");
                    return;
                }
                catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.MethodNotAllowed
                    || (e.Response.StatusCode == HttpStatusCode.NotFound && !e.Response.Content.Contains("\"kind\":\"pods\"", StringComparison.Ordinal)))
                {
                    _bindingUnsupported = true;
                    Log.BindingNotServed(logger);
                }
            }
            var patch = KubernetesJson.Serialize(new V1Pod { Spec = new V1PodSpec { NodeName = node } });
            await client.CoreV1.PatchNamespacedPodAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            events.Record(pod, SchedulerName, null, "Normal", "Scheduled", $"Successfully assigned {ns}/{name} to {node}");
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or OperationCanceledException)
        {
            if (e is not OperationCanceledException)
            {
                Log.BindingFailed(logger, e, ns, name, node);
            }
            lock (_lock)
            {
                // Forget the assumption; the watch says what really happened (bound elsewhere, deleted, or still pending).
                // A 4xx (gone, already bound, being deleted) is settled by the watch; only a failed transport is retried here.
                if (_assumed.Remove(pod.Metadata.Uid) && _podsByNode.TryGetValue(node, out var pods) && pods.Remove(pod.Metadata.Uid)
                    && e is not HttpOperationException { Response.StatusCode: < HttpStatusCode.InternalServerError } && e is not OperationCanceledException)
                {
                    _pending[pod.Metadata.Uid] = pod;
                }
            }
            Wake();
        }
        finally
        {
            _inFlight.Release();
        }
    }

    private async Task ReportUnschedulableAsync(V1Pod pod, string message, CancellationToken cancellationToken)
    {
        try
        {
            var status = new V1Pod
            {
                Status = new V1PodStatus
                {
                    Phase = "Pending",
                    Conditions =
                    [
                        new V1PodCondition
                        {
                            Type = "PodScheduled",
                            Status = "False",
                            Reason = "Unschedulable",
                            Message = message,
                            LastTransitionTime = time.GetUtcNow().UtcDateTime,
                        },
                    ],
                },
            };
            await client.CoreV1.PatchNamespacedPodStatusAsync(
                new V1Patch(KubernetesJson.Serialize(status), V1Patch.PatchType.MergePatch),
                pod.Metadata.Name, pod.Metadata.NamespaceProperty ?? "default", cancellationToken: cancellationToken).ConfigureAwait(false);
            events.Record(pod, SchedulerName, null, "Warning", "FailedScheduling", message);
            Log.Unschedulable(logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, message);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or OperationCanceledException)
        {
            lock (_lock)
            {
                _reported.Remove(pod.Metadata.Uid);
            }
        }
        finally
        {
            _inFlight.Release();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.SchedulingFailed, Level = LogLevel.Error, Message = "Cannot schedule {Namespace}/{Pod}")]
        public static partial void SchedulingFailed(ILogger logger, Exception exception, string? @namespace, string pod);

        [LoggerMessage(EventId = EventIds.BindingNotServed, Level = LogLevel.Information, Message = "pods/binding is not served; binding by patching spec.nodeName")]
        public static partial void BindingNotServed(ILogger logger);

        [LoggerMessage(EventId = EventIds.BindingFailed, Level = LogLevel.Debug, Message = "Binding {Namespace}/{Pod} to {Node} failed")]
        public static partial void BindingFailed(ILogger logger, Exception exception, string @namespace, string pod, string node);

        [LoggerMessage(EventId = EventIds.PodUnschedulable, Level = LogLevel.Information, Message = "Pod {Namespace}/{Pod} is unschedulable: {Message}")]
        public static partial void Unschedulable(ILogger logger, string? @namespace, string pod, string message);
    }
}
