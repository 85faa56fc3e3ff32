using GridGame.Kube;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace GridGame.Operator.Runtime;

/// <summary>Timings of an informer. Defaults suit a real cluster; tests shorten them.</summary>
internal sealed record InformerOptions
{
    public int PageSize { get; init; } = 500;

    /// <summary>The watch's <c>timeoutSeconds</c>; the server ends the stream then and we resume from the last version.</summary>
    public TimeSpan WatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The watchdog: a watch that delivers nothing (not even a bookmark) for this long is restarted.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5.5);

    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Watch errors in a row after which the informer lists again instead of resuming from its version.</summary>
    public int RelistAfterFailures { get; init; } = 3;

    /// <summary>How long lists and watches may fail without a success in between before <c>/healthz</c> reports the informer.</summary>
    public TimeSpan UnhealthyAfter { get; init; } = TimeSpan.FromMinutes(2);
}

/// <summary>Observes informers (metrics).</summary>
internal interface IInformerObserver
{
    /// <summary>A watch ended and is being restarted: <c>timeout</c>, <c>expired</c> (410, relist), <c>idle</c> or <c>error</c>.</summary>
    void WatchRestarted(ResourceType type, string reason);

    /// <summary>An object of a list or watch did not fit the model type and was skipped.</summary>
    void Undecodable(ResourceType type, UndecodableObject obj);
}

/// <summary>The non-generic face of an informer, for the host.</summary>
internal interface IInformer
{
    ResourceType Type { get; }

    bool HasSynced { get; }

    Task RunAsync(CancellationToken cancellationToken);

    Task WaitForSyncAsync(CancellationToken cancellationToken);

    /// <summary>Since when every list and watch has failed (null while the informer works): what <c>/healthz</c> reads.</summary>
    DateTimeOffset? FailingSince { get; }
}

/// <summary>
/// Keeps a <see cref="ResourceCache{T}"/> equal to the server's view of one resource type (YARP's ResourceInformer,
/// client-go's reflector): a paged list, then a watch from the list's resourceVersion with bookmarks and a
/// <c>timeoutSeconds</c>; the remembered version follows every event, bookmarks included. A 410 (as an ERROR event
/// or as the HTTP status) relists and deletes what vanished; errors reconnect with jittered exponential back-off,
/// and relist after a few in a row; a watchdog restarts a watch that has gone silent. An object that does not fit
/// the type is reported and skipped (the cache keeps the last version it could read), never retried forever.
/// One list/watch loop runs per namespace (or one for all).
/// </summary>
internal sealed class Informer<T> : IInformer
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly ResourceApi _api;
    private readonly IReadOnlyList<string?> _namespaces;
    private readonly InformerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IInformerObserver? _observer;
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Per namespace loop, when its current run of failures began.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _failing = new(StringComparer.Ordinal);
    private int _unsynced;
    private int _listCount;
    private int _watchCount;
    private string? _lastResourceVersion;

    public Informer(
        ResourceApi api, ResourceType type, IReadOnlyCollection<string>? namespaces = null, InformerOptions? options = null,
        TimeProvider? time = null, ILogger? logger = null, IInformerObserver? observer = null, ResourceCache<T>? cache = null)
    {
        _api = api;
        Type = type;
        _namespaces = namespaces is { Count: > 0 } && type.Namespaced ? [.. namespaces] : [null];
        _options = options ?? new InformerOptions();
        _time = time ?? TimeProvider.System;
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _observer = observer;
        Cache = cache ?? new ResourceCache<T>();
        _unsynced = _namespaces.Count;
    }

    public ResourceType Type { get; }

    public ResourceCache<T> Cache { get; }

    public bool HasSynced => _synced.Task.IsCompleted;

    /// <summary>Lists done since start (the first, and every relist after a 410); for tests and logs.</summary>
    public int ListCount => Volatile.Read(ref _listCount);

    /// <summary>Watches opened since start (each with its idle watchdog already armed); for tests.</summary>
    public int WatchCount => Volatile.Read(ref _watchCount);

    /// <summary>The resourceVersion the informer would resume from (the last list, event or bookmark it saw).</summary>
    public string? LastResourceVersion => Volatile.Read(ref _lastResourceVersion);

    public Task WaitForSyncAsync(CancellationToken cancellationToken) => _synced.Task.WaitAsync(cancellationToken);

    public DateTimeOffset? FailingSince => _failing.IsEmpty ? null : _failing.Values.Min();

    private void Succeeded(string? @namespace) => _failing.TryRemove(@namespace ?? "*", out _);

    private void Failed(string? @namespace) => _failing.TryAdd(@namespace ?? "*", _time.GetUtcNow());

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(_namespaces.Select(ns => Task.Run(() => ReflectAsync(ns, cancellationToken), cancellationToken))).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task ReflectAsync(string? @namespace, CancellationToken cancellationToken)
    {
        string? resourceVersion = null;
        var backoff = new Backoff(_options.InitialBackoff, _options.MaxBackoff, _time);
        var synced = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            string reason;
            try
            {
                if (resourceVersion is null)
                {
                    resourceVersion = await ListAsync(@namespace, cancellationToken).ConfigureAwait(false);
                    if (!synced)
                    {
                        synced = true;
                        if (Interlocked.Decrement(ref _unsynced) == 0)
                        {
                            _synced.TrySetResult();
                        }
                    }
                }

                var started = _time.GetTimestamp();
                var outcome = await WatchAsync(@namespace, resourceVersion, cancellationToken).ConfigureAwait(false);
                resourceVersion = outcome.ResourceVersion;
                reason = outcome.Reason;
                Succeeded(@namespace);

                // A server that ends every watch at once would otherwise be hammered: back off as for an error.
                if (reason == "timeout" && outcome.Events == 0 && _time.GetElapsedTime(started) < TimeSpan.FromSeconds(1))
                {
                    await backoff.WaitAsync(backoff.Next(), cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    backoff.Reset();
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ResourceApi.IsGone(ex))
            {
                InformerLog.Expired(_logger, Type.ToString(), @namespace ?? "*");
                resourceVersion = null;
                reason = "expired";
            }
            catch (Exception ex)
            {
                var delay = backoff.Next();
                Failed(@namespace);
                InformerLog.WatchFailed(_logger, ex, Type.ToString(), @namespace ?? "*", delay.TotalMilliseconds);
                _observer?.WatchRestarted(Type, "error");
                if (backoff.Failures >= _options.RelistAfterFailures && resourceVersion is not null)
                {
                    // Resuming from the same version may meet the same trouble every time: start over from a list.
                    InformerLog.Relisting(_logger, Type.ToString(), @namespace ?? "*", backoff.Failures);
                    resourceVersion = null;
                }
                try
                {
                    await backoff.WaitAsync(delay, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            _observer?.WatchRestarted(Type, reason);
        }
    }

    /// <summary>Lists every page and replaces the namespace's contents; returns the list's resourceVersion.</summary>
    private async Task<string> ListAsync(string? @namespace, CancellationToken cancellationToken)
    {
        var items = new List<T>();
        var unreadable = new HashSet<string>(StringComparer.Ordinal);
        string? continueToken = null;
        string? resourceVersion;
        do
        {
            var page = await _api.ListPageAsync<T>(Type, @namespace, _options.PageSize, continueToken, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items)
            {
                items.Add(WithTypeMeta(item));
            }

            foreach (var bad in page.Undecodable ?? [])
            {
                Skip(bad);
                unreadable.Add(bad.Key);
            }

            resourceVersion = page.ResourceVersion;
            continueToken = page.Continue;
        }
        while (!string.IsNullOrEmpty(continueToken));

        var deleted = Cache.Replace(@namespace, items, resourceVersion, unreadable);
        Succeeded(@namespace);
        Interlocked.Increment(ref _listCount);
        Volatile.Write(ref _lastResourceVersion, resourceVersion);
        InformerLog.Listed(_logger, Type.ToString(), @namespace ?? "*", items.Count, deleted, resourceVersion ?? string.Empty);
        return resourceVersion ?? "0";
    }

    private async Task<(string? ResourceVersion, string Reason, int Events)> WatchAsync(string? @namespace, string resourceVersion, CancellationToken cancellationToken)
    {
        var events = 0;
        using var idle = new CancellationTokenSource(_options.IdleTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, idle.Token);
        var timeoutSeconds = Math.Max(1, (int)_options.WatchTimeout.TotalSeconds);
        Interlocked.Increment(ref _watchCount);
        try
        {
            await foreach (var e in _api.WatchAsync<T>(Type, @namespace, resourceVersion, timeoutSeconds, linked.Token).ConfigureAwait(false))
            {
                idle.CancelAfter(_options.IdleTimeout);
                events++;
                Succeeded(@namespace);
                if (e.Undecodable is { } bad)
                {
                    if (e.Type == WatchEventType.Deleted)
                    {
                        Cache.Remove(bad.Key, bad.ResourceVersion);
                    }
                    else
                    {
                        Skip(bad);
                    }

                    if (bad.ResourceVersion is { Length: > 0 } badVersion)
                    {
                        resourceVersion = badVersion;
                        Volatile.Write(ref _lastResourceVersion, badVersion);
                    }

                    continue;
                }

                switch (e.Type)
                {
                    case WatchEventType.Error:
                        if (e.Status?.Code == 410)
                        {
                            InformerLog.Expired(_logger, Type.ToString(), @namespace ?? "*");
                            return (null, "expired", events);
                        }

                        throw new InvalidOperationException($"watch of {Type} returned an error: {e.Status?.Code} {e.Status?.Reason} {e.Status?.Message}");
                    case WatchEventType.Bookmark:
                        break;
                    case WatchEventType.Deleted:
                        Cache.Remove(ObjectKey.Of(e.Object!), e.Object!.Metadata.ResourceVersion);
                        break;
                    default:
                        Cache.Upsert(WithTypeMeta(e.Object!));
                        break;
                }

                if (e.Object?.Metadata?.ResourceVersion is { Length: > 0 } rv)
                {
                    resourceVersion = rv;
                    Volatile.Write(ref _lastResourceVersion, rv);
                }
            }
        }
        catch (OperationCanceledException) when (idle.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            InformerLog.Idle(_logger, Type.ToString(), @namespace ?? "*", _options.IdleTimeout.TotalSeconds);
            return (resourceVersion, "idle", events);
        }

        return (resourceVersion, "timeout", events);
    }

    /// <summary>An object that does not fit the type: said in the log and to the observer (metric, Event), then left out.</summary>
    private void Skip(UndecodableObject bad)
    {
        InformerLog.Undecodable(_logger, Type.ToString(), bad.Namespace ?? "", bad.Name ?? "?", bad.ResourceVersion ?? "", bad.Error);
        _observer?.Undecodable(Type, bad);
    }

    /// <summary>List items come without apiVersion and kind (as from a real API server); Events and owner references need them.</summary>
    private T WithTypeMeta(T obj)
    {
        if (string.IsNullOrEmpty(obj.ApiVersion))
        {
            obj.ApiVersion = Type.ApiVersion;
        }

        if (string.IsNullOrEmpty(obj.Kind))
        {
            obj.Kind = Type.Kind;
        }

        return obj;
    }
}

internal static partial class InformerLog
{
    [LoggerMessage(EventId = EventIds.InformerListed, Level = LogLevel.Debug, Message = "Listed {Resource} in {Namespace}: {Count} objects, {Deleted} vanished, resourceVersion {ResourceVersion}")]
    public static partial void Listed(ILogger logger, string resource, string @namespace, int count, int deleted, string resourceVersion);

    [LoggerMessage(EventId = EventIds.InformerWatchExpired, Level = LogLevel.Information, Message = "Watch of {Resource} in {Namespace} expired (410); relisting")]
    public static partial void Expired(ILogger logger, string resource, string @namespace);

    [LoggerMessage(EventId = EventIds.InformerWatchFailed, Level = LogLevel.Warning, Message = "Watch of {Resource} in {Namespace} failed; reconnecting in {DelayMs} ms")]
    public static partial void WatchFailed(ILogger logger, Exception exception, string resource, string @namespace, double delayMs);

    [LoggerMessage(EventId = EventIds.InformerWatchIdle, Level = LogLevel.Warning, Message = "Watch of {Resource} in {Namespace} was silent for {Seconds} s; restarting")]
    public static partial void Idle(ILogger logger, string resource, string @namespace, double seconds);

    [LoggerMessage(EventId = EventIds.InformerUndecodable, Level = LogLevel.Warning, Message = "Cannot read {Resource} {Namespace}/{Name} (resourceVersion {ResourceVersion}); skipped until it changes: {Error}")]
    public static partial void Undecodable(ILogger logger, string resource, string @namespace, string name, string resourceVersion, string error);

    [LoggerMessage(EventId = EventIds.InformerRelisting, Level = LogLevel.Warning, Message = "Watch of {Resource} in {Namespace} failed {Failures} times in a row; relisting")]
    public static partial void Relisting(ILogger logger, string resource, string @namespace, int failures);
}
