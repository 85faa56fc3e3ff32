using GridGame.Crds;
using k8s;

namespace GridGame.EndToEnd.Tests;

/// <summary>
/// Every rollout phase one fleet passes through, from a watch: polling could miss a phase that lasts a moment
/// (Progressing lasts only as long as green takes to start).
/// </summary>
internal sealed class FleetPhaseWatch : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<RolloutPhase?> _phases = [];
    private Task _watching = Task.CompletedTask;
    private Exception? _error;

    private FleetPhaseWatch()
    {
    }

    /// <summary>The distinct phases in the order seen, starting with the one the watch began at.</summary>
    public IReadOnlyList<RolloutPhase?> Phases
    {
        get
        {
            lock (_phases)
            {
                return [.. _phases];
            }
        }
    }

    /// <summary>Why the watch stopped early, if it did.</summary>
    public Exception? Error => _error;

    public static async Task<FleetPhaseWatch> StartAsync(Kubernetes client, string ns, string name)
    {
        var watch = new FleetPhaseWatch();
        var list = await client.CustomObjects.ListNamespacedCustomObjectAsync<GameFleetList>(GridGameApi.Group, GridGameApi.Version, ns, GameFleet.KubePluralName);
        if (list.Items.FirstOrDefault(f => f.Metadata.Name == name) is { } fleet)
        {
            watch.Record(fleet);
        }

        var response = client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync(
            GridGameApi.Group, GridGameApi.Version, ns, GameFleet.KubePluralName,
            resourceVersion: list.Metadata.ResourceVersion, timeoutSeconds: 600, watch: true, cancellationToken: watch._stop.Token);
        watch._watching = watch.RunAsync(response, name);
        return watch;
    }

    private async Task RunAsync(Task<k8s.Autorest.HttpOperationResponse<object>> response, string name)
    {
        try
        {
            // The typed watch over a list call, as the game server's agent does (21.x marks it obsolete in favour of an untyped API).
#pragma warning disable CS0618
            await foreach (var (type, fleet) in response.WatchAsync<GameFleet, object>(e => _error = e, _stop.Token))
#pragma warning restore CS0618
            {
                if (type is WatchEventType.Added or WatchEventType.Modified && fleet.Metadata.Name == name)
                {
                    Record(fleet);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or k8s.Autorest.HttpOperationException)
        {
            _error = ex;
        }
    }

    private void Record(GameFleet fleet)
    {
        var phase = fleet.Status?.Rollout?.Phase;
        lock (_phases)
        {
            if (_phases.Count == 0 || _phases[^1] != phase)
            {
                _phases.Add(phase);
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
