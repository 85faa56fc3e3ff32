using k8s.Models;

namespace GridGame.Operator.Runtime;

/// <summary>
/// A candidate's view of the Lease: the version it read, who held it for how long, and when by the candidate's own
/// clock it first saw that version. Expiry is judged from that local time, never from the renewTime in the Lease,
/// so clocks that disagree between replicas do not matter (client-go's rule).
/// </summary>
internal sealed record LeaseObservation(string ResourceVersion, string? Holder, int LeaseDurationSeconds, DateTimeOffset ObservedAt)
{
    public DateTimeOffset ExpiresAt => ObservedAt + TimeSpan.FromSeconds(LeaseDurationSeconds);
}

/// <summary>The decisions of Lease leader election, as pure functions of what was observed and the time now.</summary>
internal static class LeaseRules
{
    /// <summary>The observation after reading version <paramref name="resourceVersion"/>: unchanged if that version was seen before.</summary>
    public static LeaseObservation Observe(LeaseObservation? previous, string resourceVersion, V1LeaseSpec? spec, DateTimeOffset now) =>
        previous is not null && previous.ResourceVersion == resourceVersion
            ? previous
            : new LeaseObservation(resourceVersion, spec?.HolderIdentity, spec?.LeaseDurationSeconds ?? 0, now);

    /// <summary>True while someone else holds a lease that has not expired since this candidate saw it change.</summary>
    public static bool HeldByAnother(LeaseObservation observed, string identity, DateTimeOffset now) =>
        !string.IsNullOrEmpty(observed.Holder) && observed.Holder != identity && observed.ExpiresAt > now;

    /// <summary>
    /// The Lease to write to acquire or renew it (renewing keeps the acquire time and transition count; taking it over
    /// counts a transition), or null when another holder's lease is still valid. <paramref name="current"/> is null
    /// when there is no Lease yet.
    /// </summary>
    public static V1LeaseSpec? Claim(V1LeaseSpec? current, LeaseObservation? observed, string identity, TimeSpan leaseDuration, DateTimeOffset now)
    {
        if (observed is not null && HeldByAnother(observed, identity, now))
        {
            return null;
        }

        var renewing = current?.HolderIdentity == identity;
        return new V1LeaseSpec
        {
            HolderIdentity = identity,
            LeaseDurationSeconds = (int)leaseDuration.TotalSeconds,
            AcquireTime = renewing && current!.AcquireTime is { } acquired ? acquired : now.UtcDateTime,
            RenewTime = now.UtcDateTime,
            LeaseTransitions = current is null ? 0 : renewing ? current.LeaseTransitions ?? 0 : (current.LeaseTransitions ?? 0) + 1,
        };
    }

    /// <summary>
    /// The Lease that gives it up: no holder and a 1 s duration, so a standby takes it on its next try. The times stay
    /// set (a reader that finds them null may take the Lease for absent).
    /// </summary>
    public static V1LeaseSpec Release(V1LeaseSpec current, DateTimeOffset now) => new()
    {
        HolderIdentity = string.Empty,
        LeaseDurationSeconds = 1,
        AcquireTime = now.UtcDateTime,
        RenewTime = now.UtcDateTime,
        LeaseTransitions = current.LeaseTransitions,
    };

    /// <summary>
    /// A leader stays leader while its last successful renewal is less than the renew deadline ago. The deadline is
    /// shorter than the lease, so a leader that cannot renew stops working before anyone else may take over.
    /// </summary>
    public static bool StillLeading(DateTimeOffset lastRenewed, TimeSpan renewDeadline, DateTimeOffset now) => now - lastRenewed < renewDeadline;
}
