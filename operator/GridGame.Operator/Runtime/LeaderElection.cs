using k8s;
using k8s.Autorest;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using k8s.Models;
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
/// Leader election on a coordination.k8s.io/v1 Lease with KubernetesClient's <see cref="LeaderElector"/>, in a loop
/// so that a replica which loses the lease campaigns again. While leading it runs the given work with a token that is
/// cancelled when leadership ends. KubernetesClient 21.0.8 has no ReleaseOnCancel (its elector only stops renewing,
/// so a successor would wait out the lease), so on a graceful stop we release the lease ourselves: an empty holder
/// lets a standby take it on its next retry.
/// </summary>
internal sealed class LeaderElection(Kubernetes client, LeaderElectionOptions options, ILogger? logger = null, OperatorMetrics? metrics = null)
{
    private readonly ILogger _logger = logger ?? NullLogger.Instance;
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
        while (!cancellationToken.IsCancellationRequested)
        {
            var ledThisTerm = await RunTermAsync(lead, cancellationToken).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
            {
                // Also when this term never started leading: the elector may have written the Lease (an attempt that
                // outlived its own timeout) without having told us yet. ReleaseAsync checks the holder.
                if (ReleaseOnCancel)
                {
                    await ReleaseAsync().ConfigureAwait(false);
                }

                return;
            }

            if (ledThisTerm)
            {
                LeaderLog.Lost(_logger, options.Identity);
            }

            try
            {
                await Task.Delay(options.RetryPeriod, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<bool> RunTermAsync(Func<CancellationToken, Task> lead, CancellationToken cancellationToken)
    {
        // The elector leaves renew attempts running after a missed deadline; the term's token ends them.
        using var term = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var leading = CancellationTokenSource.CreateLinkedTokenSource(term.Token);
        using var elector = new LeaderElector(new LeaderElectionConfig(new LeaseLock(client, options.LeaseNamespace, options.LeaseName, options.Identity))
        {
            LeaseDuration = options.LeaseDuration,
            RenewDeadline = options.RenewDeadline,
            RetryPeriod = options.RetryPeriod,
        });
        Task? work = null;
        var led = false;
        elector.OnNewLeader += holder =>
        {
            _leader = holder;
            LeaderLog.NewLeader(_logger, holder ?? string.Empty);
        };
        elector.OnStartedLeading += () =>
        {
            led = true;
            _isLeader = true;
            metrics?.Leading(true);
            LeaderLog.Started(_logger, options.Identity, options.LeaseNamespace, options.LeaseName);
            work = Task.Run(() => lead(leading.Token), CancellationToken.None);
        };
        elector.OnStoppedLeading += () =>
        {
            _isLeader = false;
            metrics?.Leading(false);
            leading.Cancel();
        };
        try
        {
            await elector.RunUntilLeadershipLostAsync(term.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // e.g. the API server is unreachable while acquiring: campaign again after a retry period.
            LeaderLog.ElectionFailed(_logger, ex.GetType().Name, ex.Message);
        }
        finally
        {
            _isLeader = false;
            metrics?.Leading(false);
            await leading.CancelAsync().ConfigureAwait(false);
            await term.CancelAsync().ConfigureAwait(false);
            if (work is not null)
            {
                try
                {
                    await work.ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LeaderLog.WorkFailed(_logger, ex);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        return led;
    }

    /// <summary>
    /// Gives the lease up (empty holder, 1 s duration) if this replica still holds it, so a standby takes over at once.
    /// A renewal still in flight when the term ended may change the Lease under us: a conflict rereads and retries.
    /// </summary>
    private async Task ReleaseAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var lease = await client.CoordinationV1.ReadNamespacedLeaseAsync(options.LeaseName, options.LeaseNamespace, cancellationToken: timeout.Token).ConfigureAwait(false);
                if (lease.Spec?.HolderIdentity != options.Identity)
                {
                    return;
                }

                var now = DateTime.UtcNow;
                lease.Spec.HolderIdentity = string.Empty;
                lease.Spec.LeaseDurationSeconds = 1;
                lease.Spec.RenewTime = now;
                lease.Spec.AcquireTime ??= now;
                await client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, options.LeaseName, options.LeaseNamespace, cancellationToken: timeout.Token).ConfigureAwait(false);
                LeaderLog.Released(_logger, options.Identity);
                return;
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode == System.Net.HttpStatusCode.Conflict && attempt < 5)
            {
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                return;
            }
            catch (Exception ex)
            {
                LeaderLog.ReleaseFailed(_logger, ex);
                return;
            }
        }
    }
}

internal static partial class LeaderLog
{
    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "{Identity} started leading (lease {Namespace}/{Lease})")]
    public static partial void Started(ILogger logger, string identity, string @namespace, string lease);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "{Identity} lost the lease; campaigning again")]
    public static partial void Lost(ILogger logger, string identity);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Information, Message = "Leader is now {Holder}")]
    public static partial void NewLeader(ILogger logger, string holder);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Information, Message = "{Identity} released the lease")]
    public static partial void Released(ILogger logger, string identity);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Warning, Message = "Could not release the lease; it will expire instead")]
    public static partial void ReleaseFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1206, Level = LogLevel.Warning, Message = "Leader election failed ({Error}: {Detail}); retrying")]
    public static partial void ElectionFailed(ILogger logger, string error, string detail);

    [LoggerMessage(EventId = 1207, Level = LogLevel.Error, Message = "The leader's work failed")]
    public static partial void WorkFailed(ILogger logger, Exception exception);
}
