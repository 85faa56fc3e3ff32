using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GridGame.Operator.Runtime;

/// <summary>Where the leader lease lives and its timings (client-go's defaults: 15 s / 10 s / 2 s).</summary>
internal sealed record LeaderElectionOptions
{
    public string LeaseName { get; init; } = "gridgame-operator";

    public string LeaseNamespace { get; init; } = "default";

    public string Identity { get; init; } = $"{Environment.MachineName}_{Guid.NewGuid():N}";

    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// Leader election on a coordination.k8s.io/v1 Lease with client-go's semantics, in a loop so that a replica which
/// loses the lease campaigns again. A candidate tries every retry period (<see cref="LeaseElector"/>); the leader
/// renews every retry period and stops leading when it has not renewed for the renew deadline; a standby takes an
/// unrenewed lease a lease duration after it last saw it change. While leading it runs the given work with a token
/// that is cancelled when leadership ends. A graceful stop releases the lease so a standby takes it at once. Every
/// wait is on the injected <see cref="TimeProvider"/>, so tests move through lease expiry without waiting for it.
/// </summary>
internal sealed class LeaderElection(Kubernetes client, LeaderElectionOptions options, TimeProvider time, ILogger? logger = null, OperatorMetrics? metrics = null)
{
    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly LeaseElector _elector = new(client, options, time);
    private volatile bool _isLeader;
    private volatile string? _leader;

    public bool IsLeader => _isLeader;

    /// <summary>The holder this replica last observed.</summary>
    public string? Leader => _leader;

    public string Identity => options.Identity;

    /// <summary>Cleared to simulate a crash (the lease is kept until it expires).</summary>
    public bool ReleaseOnCancel { get; set; } = true;

    /// <summary>Campaigns until <paramref name="cancellationToken"/> is cancelled; <paramref name="lead"/> runs during each term.</summary>
    public async Task RunAsync(Func<CancellationToken, Task> lead, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (await RunTermAsync(lead, cancellationToken).ConfigureAwait(false))
                {
                    LeaderLog.Lost(_logger, options.Identity);
                }

                await Task.Delay(options.RetryPeriod, time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        finally
        {
            // Also when this replica never heard that it leads: a write cancelled in flight may still have landed.
            // ReleaseAsync checks the holder.
            if (ReleaseOnCancel)
            {
                await ReleaseAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Acquires the lease, then leads until a renewal misses the deadline or the run is cancelled. True if it led.</summary>
    private async Task<bool> RunTermAsync(Func<CancellationToken, Task> lead, CancellationToken cancellationToken)
    {
        while (!await AttemptAsync(options.RenewDeadline, cancellationToken).ConfigureAwait(false))
        {
            if (!await DelayAsync(options.RetryPeriod, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }

        using var leading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _isLeader = true;
        metrics?.Leading(true);
        LeaderLog.Started(_logger, options.Identity, options.LeaseNamespace, options.LeaseName);
        var work = Task.Run(() => lead(leading.Token), CancellationToken.None);
        try
        {
            var renewed = time.GetUtcNow();
            while (await DelayAsync(options.RetryPeriod, cancellationToken).ConfigureAwait(false))
            {
                // Each attempt may take only what is left of the deadline, so a hung request cannot keep a stale leader.
                var left = options.RenewDeadline - (time.GetUtcNow() - renewed);
                if (left > TimeSpan.Zero && await AttemptAsync(left, cancellationToken).ConfigureAwait(false))
                {
                    renewed = time.GetUtcNow();
                }
                else if (!LeaseRules.StillLeading(renewed, options.RenewDeadline, time.GetUtcNow()))
                {
                    break;
                }
            }
        }
        finally
        {
            _isLeader = false;
            metrics?.Leading(false);
            await leading.CancelAsync().ConfigureAwait(false);
            try
            {
                await work.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception ex)
            {
                LeaderLog.WorkFailed(_logger, ex);
            }
        }

        return true;
    }

    /// <summary>One acquire-or-renew within <paramref name="timeout"/>; an API error is logged and counts as a failed attempt.</summary>
    private async Task<bool> AttemptAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(timeout, time);
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            return await _elector.TryAcquireOrRenewAsync(attempt.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LeaderLog.ElectionFailed(_logger, "Timeout", $"no answer within {timeout.TotalSeconds:0.###} s");
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (Exception ex)
        {
            // e.g. the API server is unreachable: try again after a retry period.
            LeaderLog.ElectionFailed(_logger, ex.GetType().Name, ex.Message);
            return false;
        }
        finally
        {
            ReportLeader();
        }
    }

    /// <summary>Waits on the injected clock; false when the run was cancelled meanwhile.</summary>
    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        await Task.Delay(delay, time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return !cancellationToken.IsCancellationRequested;
    }

    private void ReportLeader()
    {
        var holder = _elector.Holder;
        if (holder is not null && holder != _leader)
        {
            _leader = holder;
            LeaderLog.NewLeader(_logger, holder);
        }
    }

    private async Task ReleaseAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5), time);
        try
        {
            if (await _elector.ReleaseAsync(timeout.Token).ConfigureAwait(false))
            {
                LeaderLog.Released(_logger, options.Identity);
            }
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
        }
        catch (Exception ex)
        {
            LeaderLog.ReleaseFailed(_logger, ex);
        }
    }
}

internal static partial class LeaderLog
{
    [LoggerMessage(EventId = EventIds.LeaderStarted, Level = LogLevel.Information, Message = "{Identity} started leading (lease {Namespace}/{Lease})")]
    public static partial void Started(ILogger logger, string identity, string @namespace, string lease);

    [LoggerMessage(EventId = EventIds.LeaderLost, Level = LogLevel.Warning, Message = "{Identity} lost the lease; campaigning again")]
    public static partial void Lost(ILogger logger, string identity);

    [LoggerMessage(EventId = EventIds.LeaderChanged, Level = LogLevel.Information, Message = "Leader is now {Holder}")]
    public static partial void NewLeader(ILogger logger, string holder);

    [LoggerMessage(EventId = EventIds.LeaderReleased, Level = LogLevel.Information, Message = "{Identity} released the lease")]
    public static partial void Released(ILogger logger, string identity);

    [LoggerMessage(EventId = EventIds.LeaderReleaseFailed, Level = LogLevel.Warning, Message = "Could not release the lease; it will expire instead")]
    public static partial void ReleaseFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = EventIds.LeaderElectionFailed, Level = LogLevel.Warning, Message = "Leader election failed ({Error}: {Detail}); retrying")]
    public static partial void ElectionFailed(ILogger logger, string error, string detail);

    [LoggerMessage(EventId = EventIds.LeaderWorkFailed, Level = LogLevel.Error, Message = "The leader's work failed")]
    public static partial void WorkFailed(ILogger logger, Exception exception);
}
