using k8s;
using k8s.Autorest;
using k8s.Models;

namespace GridGame.EndToEnd.Tests;

/// <summary>
/// What a watch saw of some objects, one projected value per change (repeats of the last value dropped): polling
/// could miss a state that lasts a moment, such as a rollout's Progressing phase or a green pod that fails at once.
/// </summary>
internal sealed class WatchLog<T> : IAsyncDisposable
    where T : IKubernetesObject<V1ObjectMeta>
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string?> _values = [];
    private readonly Func<T, string?> _projection;
    private Task _watching = Task.CompletedTask;
    private Exception? _error;

    private WatchLog(Func<T, string?> projection) => _projection = projection;

    /// <summary>The values in the order seen, starting with the objects as they were when the watch began.</summary>
    public IReadOnlyList<string?> Values
    {
        get
        {
            lock (_values)
            {
                return [.. _values];
            }
        }
    }

    /// <summary>Why the watch stopped early, if it did.</summary>
    public Exception? Error => _error;

    /// <summary>
    /// Starts a watch with no resourceVersion, so it opens with an ADDED event per existing object; returns once the
    /// first event has arrived, so that whatever the caller does next is seen.
    /// </summary>
    public static async Task<WatchLog<T>> StartAsync<TList>(
        Func<CancellationToken, Task<HttpOperationResponse<TList>>> watch, Func<T, string?> projection, TimeSpan bound)
    {
        var log = new WatchLog<T>(projection);
        log._watching = log.RunAsync(watch(log._stop.Token));
        await Eventually.UntilAsync(() => Task.FromResult(log.Values.Count > 0 || log.Error is not null), bound, $"the first event of a watch of {typeof(T).Name}");
        return log;
    }

    private async Task RunAsync<TList>(Task<HttpOperationResponse<TList>> response)
    {
        try
        {
            // The typed watch over a list call, as the game server's agent does (21.x marks it obsolete in favour of an
            // API that is untyped for custom objects).
#pragma warning disable CS0618
            await foreach (var (type, item) in response.WatchAsync<T, TList>(e => _error = e, _stop.Token))
#pragma warning restore CS0618
            {
                if (type is WatchEventType.Added or WatchEventType.Modified)
                {
                    Record(_projection(item));
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or HttpOperationException)
        {
            _error = ex;
        }
    }

    private void Record(string? value)
    {
        lock (_values)
        {
            if (_values.Count == 0 || _values[^1] != value)
            {
                _values.Add(value);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _watching;
        _stop.Dispose();
    }
}
