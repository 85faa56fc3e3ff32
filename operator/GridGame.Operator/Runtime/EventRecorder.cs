using System.Globalization;
using System.Net;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GridGame.Operator.Runtime;

/// <summary>
/// Records core/v1 Events about objects, like client-go's recorder: a repeat of the same event (same object,
/// type, reason and message) patches the existing Event's <c>count</c> and <c>lastTimestamp</c> instead of creating
/// another. Recording never blocks or throws: events go through a bounded queue and a token bucket, and a failure
/// to write one is logged and dropped.
/// </summary>
internal sealed class EventRecorder : IAsyncDisposable
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";

    private const int MaxRemembered = 4096;
    private readonly Kubernetes _client;
    private readonly string _component;
    private readonly string _host;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<PendingEvent> _pending = Channel.CreateBounded<PendingEvent>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly TokenBucketRateLimiter _limiter;
    private readonly Dictionary<string, Recorded> _recorded = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _inFlight;
    private int _dropped;

    public EventRecorder(Kubernetes client, string component, TimeProvider? time = null, ILogger? logger = null, string? host = null, double perSecond = 10, int burst = 50)
    {
        _client = client;
        _component = component;
        _host = host ?? Environment.MachineName;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _limiter = new TokenBucketRateLimiter(perSecond, burst, _time);
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>Events dropped by the rate limit, the full queue, or a failed write.</summary>
    public int Dropped => Volatile.Read(ref _dropped);

    public void Record(IKubernetesObject<V1ObjectMeta> involved, string type, string reason, string message)
    {
        try
        {
            var reference = new V1ObjectReference
            {
                ApiVersion = involved.ApiVersion,
                Kind = involved.Kind,
                Name = involved.Metadata.Name,
                NamespaceProperty = involved.Metadata.NamespaceProperty,
                Uid = involved.Metadata.Uid,
                ResourceVersion = involved.Metadata.ResourceVersion,
            };
            // Event timestamps have whole seconds on the wire (metav1.Time).
            var now = _time.GetUtcNow();
            var at = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
            Interlocked.Increment(ref _inFlight);
            if (!_pending.Writer.TryWrite(new PendingEvent(reference, type, reason, message, at)))
            {
                Interlocked.Decrement(ref _inFlight);
                Interlocked.Increment(ref _dropped);
            }
        }
        catch (Exception ex)
        {
            EventLog.NotRecorded(_logger, ex, reason);
        }
    }

    public void RecordNormal(IKubernetesObject<V1ObjectMeta> involved, string reason, string message) => Record(involved, Normal, reason, message);

    public void RecordWarning(IKubernetesObject<V1ObjectMeta> involved, string reason, string message) => Record(involved, Warning, reason, message);

    /// <summary>Waits until every event recorded so far has been written (or dropped).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        while (Volatile.Read(ref _inFlight) > 0)
        {
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var e in _pending.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    if (_limiter.When(e.Reference.Uid ?? e.Reference.Name) > TimeSpan.Zero)
                    {
                        Interlocked.Increment(ref _dropped);
                        continue;
                    }

                    await WriteAsync(e, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    Interlocked.Increment(ref _dropped);
                    EventLog.NotRecorded(_logger, ex, e.Reason);
                }
                finally
                {
                    Interlocked.Decrement(ref _inFlight);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task WriteAsync(PendingEvent e, CancellationToken cancellationToken)
    {
        var ns = string.IsNullOrEmpty(e.Reference.NamespaceProperty) ? "default" : e.Reference.NamespaceProperty;
        var key = string.Join('\n', e.Reference.Kind, ns, e.Reference.Name, e.Reference.Uid, e.Type, e.Reason, e.Message);
        if (_recorded.TryGetValue(key, out var seen))
        {
            var count = seen.Count + 1;
            var patch = KubernetesJson.Serialize(new Dictionary<string, object>
            {
                ["count"] = count,
                ["lastTimestamp"] = e.At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            });
            try
            {
                await _client.CoreV1.PatchNamespacedEventAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), seen.Name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
                _recorded[key] = seen with { Count = count };
                return;
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
            {
                // The Event expired or was deleted: start a new one.
                _recorded.Remove(key);
            }
        }

        var name = $"{e.Reference.Name}.{e.At.ToUnixTimeMilliseconds() * 1_000_000 + Random.Shared.Next(1_000_000):x}";
        var created = await _client.CoreV1.CreateNamespacedEventAsync(
            new Corev1Event
            {
                ApiVersion = "v1",
                Kind = "Event",
                Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
                InvolvedObject = e.Reference,
                Type = e.Type,
                Reason = e.Reason,
                Message = e.Message,
                Count = 1,
                FirstTimestamp = e.At.UtcDateTime,
                LastTimestamp = e.At.UtcDateTime,
                Source = new V1EventSource { Component = _component, Host = _host },
                ReportingComponent = _component,
                ReportingInstance = _host,
            },
            ns,
            cancellationToken: cancellationToken).ConfigureAwait(false);
        if (_recorded.Count >= MaxRemembered)
        {
            _recorded.Clear();
        }

        _recorded[key] = new Recorded(created.Metadata.Name, 1);
    }

    private sealed record PendingEvent(V1ObjectReference Reference, string Type, string Reason, string Message, DateTimeOffset At);

    private sealed record Recorded(string Name, int Count);
}

internal static partial class EventLog
{
    [LoggerMessage(EventId = EventIds.EventNotRecorded, Level = LogLevel.Warning, Message = "Could not record event {Reason}")]
    public static partial void NotRecorded(ILogger logger, Exception exception, string reason);
}
