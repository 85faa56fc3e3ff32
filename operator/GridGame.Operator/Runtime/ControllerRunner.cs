using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace GridGame.Operator.Runtime;

/// <summary>Runs one controller's workers over its queue while this replica leads.</summary>
internal sealed class ControllerRunner(IController controller, ControllerSetup setup, TimeSpan resyncPeriod, ILogger logger, OperatorMetrics? metrics)
{
    private readonly string _spanName = $"{controller.Name} reconcile";

    public string Name => controller.Name;

    public WorkQueue Queue => setup.Queue;

    /// <summary>
    /// Enqueues every primary object, then runs <paramref name="workers"/> workers until cancelled; returns once the
    /// reconciles in flight have finished. Can be called again after a new election.
    /// </summary>
    public async Task RunAsync(int workers, CancellationToken cancellationToken)
    {
        EnqueueAll();
        using var resync = setup.Time.CreateTimer(static state => ((ControllerRunner)state!).EnqueueAll(), this, resyncPeriod, resyncPeriod);
        var tasks = Enumerable.Range(0, workers).Select(_ => Task.Run(() => WorkAsync(cancellationToken), CancellationToken.None)).ToArray();
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private void EnqueueAll()
    {
        foreach (var key in setup.PrimaryKeys())
        {
            setup.Queue.Add(key);
        }
    }

    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            string key;
            try
            {
                key = await setup.Queue.GetAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await ProcessAsync(key, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One reconcile of one key: success forgets its back-off (and requeues if asked), an exception retries it with back-off.</summary>
    internal async Task ProcessAsync(string key, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var activity = OperatorTracing.Source.StartActivity(_spanName);
        activity?.SetTag(OperatorTracing.ControllerTag, Name).SetTag(OperatorTracing.KeyTag, key);
        try
        {
            var result = await controller.ReconcileAsync(key, cancellationToken).ConfigureAwait(false);
            setup.Queue.Forget(key);
            if (result.RequeueAfterDelay is { } delay)
            {
                setup.Queue.AddAfter(key, delay);
            }

            metrics?.Reconciled(Name, result.RequeueAfterDelay is null ? "done" : "requeue", Stopwatch.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping (lost the lease or shutting down): the next leader reconciles it.
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            metrics?.Reconciled(Name, "error", Stopwatch.GetElapsedTime(started));
            metrics?.ReconcileFailed(Name);
            ControllerLog.ReconcileFailed(logger, ex, Name, key, setup.Queue.Failures(key) + 1);
            setup.Queue.AddRateLimited(key);
        }
        finally
        {
            setup.Queue.Done(key);
        }
    }
}

internal static partial class ControllerLog
{
    [LoggerMessage(EventId = EventIds.ReconcileFailed, Level = LogLevel.Warning, Message = "{Controller} failed to reconcile {Key} (attempt {Attempt}); retrying with back-off")]
    public static partial void ReconcileFailed(ILogger logger, Exception exception, string controller, string key, int attempt);
}
