using GridGame.Operator.Runtime;
using k8s.Models;

namespace GridGame.Operator.Tests.Runtime;

public sealed class LeaseRulesTests
{
    private const string Me = "me";
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(15);
    private static readonly DateTime Acquired = new(2030, 1, 1, 11, 0, 0, DateTimeKind.Utc);

    public static TheoryData<string, string?, int, double, bool> Claims => new()
    {
        // case, holder, leaseDurationSeconds, seconds since this candidate saw the Lease change, may claim
        { "another holds a lease seen renewed 5 s ago", "other", 15, 5, false },
        { "another holds a lease seen renewed 14.9 s ago", "other", 15, 14.9, false },
        { "another's lease expires exactly now", "other", 15, 15, true },
        { "another's lease expired a second ago", "other", 15, 16, true },
        { "another's short lease (2 s) seen 3 s ago", "other", 2, 3, true },
        { "a released lease (no holder), seen just now", "", 1, 0, true },
        { "a lease with a null holder", null, 15, 0, true },
        { "my own lease, even expired by my clock", Me, 15, 100, true },
        { "my own lease, just renewed", Me, 15, 0, true },
    };

    [Theory]
    [MemberData(nameof(Claims))]
    public void A_candidate_claims_the_lease_only_when_it_is_free_expired_or_its_own(string @case, string? holder, int seconds, double seenAgo, bool claims)
    {
        var current = Spec(holder, seconds, transitions: 3);
        var observed = new LeaseObservation("7", holder, seconds, Now - TimeSpan.FromSeconds(seenAgo));

        var claim = LeaseRules.Claim(current, observed, Me, LeaseDuration, Now);

        (claim is not null).Should().Be(claims, @case);
        LeaseRules.HeldByAnother(observed, Me, Now).Should().Be(!claims, @case);
    }

    [Fact]
    public void Renewing_keeps_the_acquire_time_and_the_transitions_and_moves_the_renew_time()
    {
        var claim = LeaseRules.Claim(Spec(Me, 15, transitions: 3), Observed(Me, secondsAgo: 2), Me, LeaseDuration, Now)!;

        claim.Should().BeEquivalentTo(new V1LeaseSpec { HolderIdentity = Me, LeaseDurationSeconds = 15, AcquireTime = Acquired, RenewTime = Now.UtcDateTime, LeaseTransitions = 3 });
    }

    [Fact]
    public void Taking_over_counts_a_transition_and_starts_a_new_acquire_time()
    {
        var claim = LeaseRules.Claim(Spec("other", 15, transitions: 3), Observed("other", secondsAgo: 20), Me, LeaseDuration, Now)!;

        claim.Should().BeEquivalentTo(new V1LeaseSpec { HolderIdentity = Me, LeaseDurationSeconds = 15, AcquireTime = Now.UtcDateTime, RenewTime = Now.UtcDateTime, LeaseTransitions = 4 });
    }

    [Fact]
    public void A_new_lease_starts_at_zero_transitions() =>
        LeaseRules.Claim(null, null, Me, LeaseDuration, Now).Should().BeEquivalentTo(
            new V1LeaseSpec { HolderIdentity = Me, LeaseDurationSeconds = 15, AcquireTime = Now.UtcDateTime, RenewTime = Now.UtcDateTime, LeaseTransitions = 0 });

    [Fact]
    public void Releasing_empties_the_holder_and_shortens_the_lease_to_a_second() =>
        LeaseRules.Release(Spec(Me, 15, transitions: 3), Now).Should().BeEquivalentTo(
            new V1LeaseSpec { HolderIdentity = string.Empty, LeaseDurationSeconds = 1, AcquireTime = Now.UtcDateTime, RenewTime = Now.UtcDateTime, LeaseTransitions = 3 });

    [Fact]
    public void Expiry_counts_from_when_the_candidate_saw_the_lease_change_not_from_its_renew_time()
    {
        var first = LeaseRules.Observe(null, "7", Spec("other", 15, transitions: 0), Now);

        var sameVersionLater = LeaseRules.Observe(first, "7", Spec("other", 15, transitions: 0), Now.AddSeconds(10));
        var newVersionLater = LeaseRules.Observe(first, "8", Spec("other", 15, transitions: 0), Now.AddSeconds(10));

        sameVersionLater.Should().BeSameAs(first);
        newVersionLater.ObservedAt.Should().Be(Now.AddSeconds(10));
        newVersionLater.ExpiresAt.Should().Be(Now.AddSeconds(25));
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(9.99, true)]
    [InlineData(10, false)]
    [InlineData(11, false)]
    public void A_leader_stays_leader_until_it_has_not_renewed_for_the_renew_deadline(double secondsSinceRenewal, bool leading) =>
        LeaseRules.StillLeading(Now - TimeSpan.FromSeconds(secondsSinceRenewal), TimeSpan.FromSeconds(10), Now).Should().Be(leading);

    private static LeaseObservation Observed(string holder, double secondsAgo) => new("7", holder, 15, Now - TimeSpan.FromSeconds(secondsAgo));

    private static V1LeaseSpec Spec(string? holder, int seconds, int transitions) => new()
    {
        HolderIdentity = holder,
        LeaseDurationSeconds = seconds,
        AcquireTime = Acquired,
        RenewTime = Acquired.AddMinutes(30),
        LeaseTransitions = transitions,
    };
}
