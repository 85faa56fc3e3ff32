using GridGame.GameServer.Hubs;

namespace GridGame.GameServer.Tests.Hubs;

public sealed class TokenBucketTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(3, 1, 0, 3)]      // a full bucket allows a burst of its capacity
    [InlineData(3, 1, 1000, 4)]   // one second later, one more token
    [InlineData(3, 1, 500, 3)]    // half a token is not a token
    [InlineData(3, 10, 1000, 6)]  // refills at its rate, but never holds more than its capacity
    public void A_bucket_allows_its_burst_then_its_rate(double capacity, double perSecond, int afterMs, int allowed)
    {
        var bucket = new TokenBucket(capacity, perSecond, T0);
        var taken = 0;
        for (var i = 0; i < 100; i++)
        {
            taken += bucket.TryTake(T0) ? 1 : 0;
        }
        var later = T0.AddMilliseconds(afterMs);
        for (var i = 0; i < 100; i++)
        {
            taken += bucket.TryTake(later) ? 1 : 0;
        }

        taken.Should().Be(allowed);
    }
}
