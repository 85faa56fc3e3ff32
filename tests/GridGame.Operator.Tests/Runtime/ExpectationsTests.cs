using GridGame.Operator.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace GridGame.Operator.Tests.Runtime;

public sealed class ExpectationsTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void An_owner_with_nothing_expected_is_satisfied() =>
        new Expectations(_time).Satisfied("ns/arena").Should().BeTrue();

    [Fact]
    public void Expected_creations_are_satisfied_once_all_are_observed()
    {
        var expectations = new Expectations(_time);
        expectations.ExpectCreations("ns/arena", 2);
        expectations.Satisfied("ns/arena").Should().BeFalse();

        expectations.CreationObserved("ns/arena");
        expectations.Satisfied("ns/arena").Should().BeFalse();
        expectations.Pending("ns/arena").Should().Be((1, 0));

        expectations.CreationObserved("ns/arena");
        expectations.Satisfied("ns/arena").Should().BeTrue();
    }

    [Fact]
    public void Deletions_are_tracked_apart_from_creations()
    {
        var expectations = new Expectations(_time);
        expectations.ExpectCreations("ns/arena", 1);
        expectations.ExpectDeletions("ns/arena", 1);
        expectations.CreationObserved("ns/arena");
        expectations.Satisfied("ns/arena").Should().BeFalse();
        expectations.DeletionObserved("ns/arena");
        expectations.Satisfied("ns/arena").Should().BeTrue();
    }

    [Fact]
    public void Observations_without_expectations_do_not_go_negative()
    {
        var expectations = new Expectations(_time);
        expectations.CreationObserved("ns/arena");
        expectations.ExpectCreations("ns/arena", 1);
        expectations.Satisfied("ns/arena").Should().BeFalse();
    }

    [Fact]
    public void Expectations_expire_after_their_ttl()
    {
        var expectations = new Expectations(_time, TimeSpan.FromMinutes(5));
        expectations.ExpectCreations("ns/arena", 3);

        _time.Advance(TimeSpan.FromMinutes(5));
        expectations.Satisfied("ns/arena").Should().BeFalse();
        _time.Advance(TimeSpan.FromSeconds(1));
        expectations.Satisfied("ns/arena").Should().BeTrue();
    }

    [Fact]
    public void Forget_drops_an_owners_expectations()
    {
        var expectations = new Expectations(_time);
        expectations.ExpectDeletions("ns/arena", 4);
        expectations.Forget("ns/arena");
        expectations.Satisfied("ns/arena").Should().BeTrue();
    }
}
