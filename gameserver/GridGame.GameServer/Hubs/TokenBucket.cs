namespace GridGame.GameServer.Hubs;

/// <summary>A token bucket: <see cref="Capacity"/> invocations at once, refilled at <see cref="PerSecond"/>. Not thread-safe; one per connection.</summary>
internal sealed class TokenBucket(double capacity, double perSecond, DateTimeOffset now)
{
    private double _tokens = capacity;
    private DateTimeOffset _last = now;

    public double Capacity { get; } = capacity;

    public double PerSecond { get; } = perSecond;

    public bool TryTake(DateTimeOffset now)
    {
        var elapsed = (now - _last).TotalSeconds;
        if (elapsed > 0)
        {
            _tokens = Math.Min(Capacity, _tokens + (elapsed * PerSecond));
            _last = now;
        }
        if (_tokens < 1)
        {
            return false;
        }
        _tokens -= 1;
        return true;
    }
}
