using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace GridGame.Operator.Runtime;

/// <summary>
/// One candidate's reads and writes of the leader Lease: try to acquire or renew it, and give it up. Every write
/// replaces the Lease at the resourceVersion that was read, so of two candidates racing for it one wins and the
/// other gets a conflict. What to write is <see cref="LeaseRules"/>'s decision; the clock is the injected
/// <see cref="TimeProvider"/>.
/// </summary>
internal sealed class LeaseElector(Kubernetes client, LeaderElectionOptions options, TimeProvider time)
{
    private volatile LeaseObservation? _observed;

    /// <summary>The holder seen in the Lease last read or written (empty once released; null before the first read).</summary>
    public string? Holder => _observed?.Holder;

    /// <summary>
    /// One attempt: reads the Lease (creating it when absent) and writes this candidate as the holder unless another
    /// holds a lease that has not expired. True when this candidate holds the Lease now; false when it is held by
    /// another or a concurrent write won. API errors other than a conflict are thrown.
    /// </summary>
    public async Task<bool> TryAcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        var lease = await ReadAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        if (lease is null)
        {
            var created = new V1Lease
            {
                Metadata = new V1ObjectMeta { Name = options.LeaseName, NamespaceProperty = options.LeaseNamespace },
                Spec = LeaseRules.Claim(null, null, options.Identity, options.LeaseDuration, now),
            };
            return await WriteAsync(() => client.CoordinationV1.CreateNamespacedLeaseAsync(created, options.LeaseNamespace, cancellationToken: cancellationToken), now)
                .ConfigureAwait(false);
        }

        var observed = _observed = LeaseRules.Observe(_observed, lease.Metadata.ResourceVersion, lease.Spec, now);
        if (LeaseRules.Claim(lease.Spec, observed, options.Identity, options.LeaseDuration, now) is not { } claim)
        {
            return false;
        }

        lease.Spec = claim;
        return await WriteAsync(() => client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, options.LeaseName, options.LeaseNamespace, cancellationToken: cancellationToken), now)
            .ConfigureAwait(false);
    }

    /// <summary>
    /// Gives the Lease up if this candidate holds it, so a standby takes over at once instead of waiting for expiry.
    /// A renewal still in flight may change the Lease under us: a conflict reads again and retries. True when released.
    /// </summary>
    public async Task<bool> ReleaseAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var lease = await ReadAsync(cancellationToken).ConfigureAwait(false);
            if (lease?.Spec?.HolderIdentity != options.Identity)
            {
                return false;
            }

            var now = time.GetUtcNow();
            lease.Spec = LeaseRules.Release(lease.Spec, now);
            try
            {
                var written = await client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, options.LeaseName, options.LeaseNamespace, cancellationToken: cancellationToken)
                    .ConfigureAwait(false);
                _observed = LeaseRules.Observe(null, written.Metadata.ResourceVersion, written.Spec, now);
                return true;
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.Conflict && attempt < 5)
            {
            }
        }
    }

    private async Task<V1Lease?> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await client.CoordinationV1.ReadNamespacedLeaseAsync(options.LeaseName, options.LeaseNamespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<bool> WriteAsync(Func<Task<V1Lease>> write, DateTimeOffset now)
    {
        try
        {
            var written = await write().ConfigureAwait(false);
            _observed = LeaseRules.Observe(null, written.Metadata.ResourceVersion, written.Spec, now);
            return true;
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Another candidate wrote first (or created it first); the next read shows who.
            return false;
        }
    }
}
