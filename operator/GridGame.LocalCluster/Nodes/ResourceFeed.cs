using System.Net;
using GridGame.Kube;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace GridGame.LocalCluster.Nodes;

/// <summary>
/// A minimal informer: lists, then watches from the list's resourceVersion, and on a dropped watch resumes from the
/// last version seen (relisting on 410 Gone). Each change is handed to the handler as (old, new) — old null for an
/// add, new null for a delete — on the feed's own loop, so handlers must be quick (enqueue, don't block). A failed
/// list or watch is retried with jittered exponential back-off on <paramref name="time"/>.
/// </summary>
internal sealed class ResourceFeed<T, TList>(
    string name,
    Func<CancellationToken, Task<TList>> list,
    Func<string, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch,
    Action<T?, T?> handler,
    TimeProvider time,
    ILogger logger)
    where T : class, IKubernetesObject<V1ObjectMeta>
    where TList : class, IItems<T>, IMetadata<V1ListMeta>
{
    private readonly Dictionary<string, T> _cache = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Backoff _backoff = new(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2), time);

    private int _lists;
    private int _count;

    /// <summary>How many objects the feed knows (approximate while it is applying a change).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>How many times the feed has listed (1 + relists after 410 Gone).</summary>
    public int Lists => Volatile.Read(ref _lists);

    /// <summary>Completes once the first list has been delivered to the handler.</summary>
    public Task Synced => _synced.Task;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        string? version = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (version is null)
                {
                    version = await RelistAsync(cancellationToken).ConfigureAwait(false);
                    _synced.TrySetResult();
                }
                var gone = false;
                await foreach (var (type, item) in watch(
                    version!, e => gone |= e is KubernetesException { Status.Code: (int)HttpStatusCode.Gone }, cancellationToken).ConfigureAwait(false))
                {
                    _backoff.Reset();
                    version = item.Metadata?.ResourceVersion ?? version;
                    Apply(type, item);
                }
                if (gone)
                {
                    version = null;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Gone)
            {
                version = null;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested
                && e is HttpOperationException or HttpRequestException or IOException or KubernetesException or OperationCanceledException or System.Text.Json.JsonException)
            {
                var delay = _backoff.Next();
                ResourceFeedLog.WatchFailed(logger, e, name, _backoff.Failures);
                try
                {
                    await _backoff.WaitAsync(delay, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        _synced.TrySetCanceled(cancellationToken);
    }

    private async Task<string?> RelistAsync(CancellationToken cancellationToken)
    {
        var response = await list(cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _lists);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in response.Items)
        {
            var key = Key(item);
            seen.Add(key);
            _cache.TryGetValue(key, out var old);
            _cache[key] = item;
            Deliver(old, item);
        }
        foreach (var gone in _cache.Keys.Where(k => !seen.Contains(k)).ToList())
        {
            var old = _cache[gone];
            _cache.Remove(gone);
            Deliver(old, null);
        }
        return response.Metadata?.ResourceVersion ?? "0";
    }

    private void Apply(WatchEventType type, T item)
    {
        var key = Key(item);
        switch (type)
        {
            case WatchEventType.Added:
            case WatchEventType.Modified:
                _cache.TryGetValue(key, out var old);
                _cache[key] = item;
                Deliver(old, item);
                break;
            case WatchEventType.Deleted:
                _cache.Remove(key, out var removed);
                Deliver(removed ?? item, null);
                break;
            default:
                break;
        }
    }

    private void Deliver(T? old, T? current)
    {
        Volatile.Write(ref _count, _cache.Count);
        try
        {
            handler(old, current);
        }
#pragma warning disable CA1031 // one bad object must not stop the feed for everyone
        catch (Exception e)
#pragma warning restore CA1031
        {
            ResourceFeedLog.HandlerFailed(logger, e, name, (current ?? old)?.Metadata.Name);
        }
    }

    private static string Key(T item) => item.Metadata.NamespaceProperty + "/" + item.Metadata.Name;
}

/// <summary>The log lines of <see cref="ResourceFeed{T, TList}"/>, outside it so that they are not generic.</summary>
internal static partial class ResourceFeedLog
{
    [LoggerMessage(EventId = EventIds.FeedWatchFailed, Level = LogLevel.Debug, Message = "{Feed} watch failed ({Failures} in a row); retrying")]
    public static partial void WatchFailed(ILogger logger, Exception exception, string feed, int failures);

    [LoggerMessage(EventId = EventIds.FeedHandlerFailed, Level = LogLevel.Error, Message = "{Feed} handler failed for {Object}")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string feed, string? @object);
}
