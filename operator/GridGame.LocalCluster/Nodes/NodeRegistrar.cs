using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace GridGame.LocalCluster.Nodes;

/// <summary>Registers the fake nodes and keeps them Ready: a Lease in kube-node-lease and the node's Ready condition, renewed every heartbeat.</summary>
internal sealed partial class NodeRegistrar(IKubernetes client, IReadOnlyList<LocalNodeSpec> specs, KubeletKind kind, TimeProvider time, ILogger logger)
{
    private readonly HashSet<string> _down = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Published as <c>status.daemonEndpoints.kubeletEndpoint.Port</c>; 0 when the kubelet serves no logs (simulated).</summary>
    public int KubeletPort { get; set; }

    /// <summary>Stops (or resumes) a node's heartbeats and reports its Ready condition Unknown (or True) at once.</summary>
    public async Task SetReadyAsync(string node, bool ready, CancellationToken cancellationToken)
    {
        if (!specs.Any(s => s.Name == node))
        {
            throw new ArgumentException($"no node {node}", nameof(node));
        }
        lock (_lock)
        {
            if (ready)
            {
                _down.Remove(node);
            }
            else
            {
                _down.Add(node);
            }
        }
        var now = time.GetUtcNow().UtcDateTime;
        var condition = ready
            ? NodeFactory.ReadyCondition(now, now)
            : new V1NodeCondition
            {
                Type = "Ready",
                Status = "Unknown",
                Reason = "NodeStatusUnknown",
                Message = "Kubelet stopped posting node status.",
                LastHeartbeatTime = now,
                LastTransitionTime = now,
            };
        var patch = KubernetesJson.Serialize(new V1Node { Status = new V1NodeStatus { Conditions = [condition] } });
        await client.CoreV1.PatchNodeStatusAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), node, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private bool IsDown(string node)
    {
        lock (_lock)
        {
            return _down.Contains(node);
        }
    }

    public async Task RegisterAsync(CancellationToken cancellationToken)
    {
        await EnsureNamespaceAsync(NodeFactory.LeaseNamespace, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow().UtcDateTime;
        foreach (var spec in specs)
        {
            var node = NodeFactory.Node(spec);
            try
            {
                await client.CoreV1.CreateNodeAsync(node, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                // Registered by an earlier run over the same store: bring labels up to date.
                var patch = KubernetesJson.Serialize(new V1Node { Metadata = new V1ObjectMeta { Labels = node.Metadata.Labels } });
                await client.CoreV1.PatchNodeAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), spec.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            var status = KubernetesJson.Serialize(new V1Node { Status = NodeFactory.Status(spec, kind, now, KubeletPort) });
            await client.CoreV1.PatchNodeStatusAsync(new V1Patch(status, V1Patch.PatchType.MergePatch), spec.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
            try
            {
                await client.CoordinationV1.CreateNamespacedLeaseAsync(NodeFactory.Lease(spec.Name, now), NodeFactory.LeaseNamespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                await RenewLeaseAsync(spec.Name, now, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Renews every node's Lease each <paramref name="interval"/>, and posts its Ready condition (a new
    /// lastHeartbeatTime) each <paramref name="statusInterval"/>, as the kubelet does (lease every 10 s, unchanged
    /// status every 5 min), so watchers of nodes are not woken every few seconds.
    /// </summary>
    public async Task HeartbeatAsync(TimeSpan interval, TimeSpan statusInterval, CancellationToken cancellationToken)
    {
        var readySince = time.GetUtcNow().UtcDateTime;
        var lastStatus = readySince;
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var now = time.GetUtcNow().UtcDateTime;
                var postStatus = now - lastStatus >= statusInterval;
                if (postStatus)
                {
                    lastStatus = now;
                }
                foreach (var spec in specs.Where(s => !IsDown(s.Name)))
                {
                    try
                    {
                        await RenewLeaseAsync(spec.Name, now, cancellationToken).ConfigureAwait(false);
                        if (!postStatus)
                        {
                            continue;
                        }
                        var patch = KubernetesJson.Serialize(new V1Node { Status = new V1NodeStatus { Conditions = [NodeFactory.ReadyCondition(now, readySince)] } });
                        await client.CoreV1.PatchNodeStatusAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), spec.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is HttpOperationException or HttpRequestException or IOException or OperationCanceledException)
                    {
                        Log.HeartbeatFailed(logger, e, spec.Name);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private Task RenewLeaseAsync(string node, DateTime now, CancellationToken cancellationToken)
    {
        var patch = KubernetesJson.Serialize(new V1Lease { Spec = new V1LeaseSpec { HolderIdentity = node, RenewTime = now } });
        return client.CoordinationV1.PatchNamespacedLeaseAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), node, NodeFactory.LeaseNamespace, cancellationToken: cancellationToken);
    }

    private async Task EnsureNamespaceAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } }, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.HeartbeatFailed, Level = LogLevel.Warning, Message = "Heartbeat of node {Node} failed")]
        public static partial void HeartbeatFailed(ILogger logger, Exception exception, string node);
    }
}
