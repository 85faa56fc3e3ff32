using System.Globalization;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace GridGame.LocalCluster.Nodes;

/// <summary>
/// Writes core/v1 Events about pods (Scheduled, FailedScheduling, Started, Killing, BackOff, Unhealthy) the way the
/// scheduler and kubelet do, so <c>kubectl describe pod</c> tells the story. Best effort: a bounded queue drained by
/// one writer, dropping events under load rather than slowing the components that emit them.
/// </summary>
internal sealed partial class EventRecorder(IKubernetes client, TimeProvider time, ILogger logger)
{
    private readonly Channel<Corev1Event> _queue = Channel.CreateBounded<Corev1Event>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Record(V1Pod pod, string component, string? host, string type, string reason, string message)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var ns = pod.Metadata.NamespaceProperty ?? "default";
        _queue.Writer.TryWrite(new Corev1Event
        {
            ApiVersion = "v1",
            Kind = "Event",
            Metadata = new V1ObjectMeta
            {
                Name = string.Create(CultureInfo.InvariantCulture, $"{pod.Metadata.Name}.{now.Ticks:x}{Random.Shared.Next(0x1000):x3}"),
                NamespaceProperty = ns,
            },
            InvolvedObject = new V1ObjectReference
            {
                ApiVersion = "v1",
                Kind = "Pod",
                Name = pod.Metadata.Name,
                NamespaceProperty = ns,
                Uid = pod.Metadata.Uid,
                ResourceVersion = pod.Metadata.ResourceVersion,
            },
            Type = type,
            Reason = reason,
            Message = message,
            Source = new V1EventSource { Component = component, Host = host },
            ReportingComponent = component,
            ReportingInstance = host ?? component,
            FirstTimestamp = now,
            LastTimestamp = now,
            Count = 1,
        });
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var e in _queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await client.CoreV1.CreateNamespacedEventAsync(e, e.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is HttpOperationException or HttpRequestException or IOException or OperationCanceledException)
                {
                    Log.NotWritten(logger, ex, e.Reason, e.InvolvedObject.Name);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.EventNotWritten, Level = LogLevel.Debug, Message = "Event {Reason} for {Pod} not written")]
        public static partial void NotWritten(ILogger logger, Exception exception, string reason, string pod);
    }
}
