namespace GridGame.Operator.Runtime;

/// <summary>Decides how long a key waits before it is retried.</summary>
internal interface IRateLimiter
{
    /// <summary>The delay for the next retry of <paramref name="key"/>; each call counts as one more failure.</summary>
    TimeSpan When(string key);

    /// <summary>The key succeeded: its failures are forgotten.</summary>
    void Forget(string key);

    int Failures(string key);
}

/// <summary>Per-key exponential back-off: <c>baseDelay * 2^failures</c>, capped.</summary>
internal sealed class ExponentialRateLimiter(TimeSpan baseDelay, TimeSpan maxDelay) : IRateLimiter
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);

    public TimeSpan When(string key)
    {
        int exponent;
        lock (_gate)
        {
            exponent = _failures.GetValueOrDefault(key);
            _failures[key] = exponent + 1;
        }

        var ticks = baseDelay.Ticks * Math.Pow(2, Math.Min(exponent, 62));
        return ticks >= maxDelay.Ticks ? maxDelay : TimeSpan.FromTicks((long)ticks);
    }

    public void Forget(string key)
    {
        lock (_gate)
        {
            _failures.Remove(key);
        }
    }

    public int Failures(string key)
    {
        lock (_gate)
        {
            return _failures.GetValueOrDefault(key);
        }
    }
}

/// <summary>An overall token bucket: <c>burst</c> retries at once, then <c>perSecond</c>; it answers with the wait until a token is free.</summary>
internal sealed class TokenBucketRateLimiter(double perSecond, int burst, TimeProvider time) : IRateLimiter
{
    private readonly Lock _gate = new();
    private double _tokens = burst;
    private long _last = time.GetTimestamp();

    public TimeSpan When(string key)
    {
        lock (_gate)
        {
            var now = time.GetTimestamp();
            _tokens = Math.Min(burst, _tokens + (time.GetElapsedTime(_last, now).TotalSeconds * perSecond));
            _last = now;
            _tokens -= 1;
            return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / perSecond);
        }
    }

    public void Forget(string key)
    {
    }

    public int Failures(string key) => 0;
}

/// <summary>The longest delay of several limiters (client-go's MaxOfRateLimiter).</summary>
internal sealed class MaxOfRateLimiter(params IRateLimiter[] limiters) : IRateLimiter
{
    /// <summary>Per-key back-off from 5 ms to 5 minutes, and 10 retries a second (burst 100) overall.</summary>
    public static IRateLimiter Default(TimeProvider time) => new MaxOfRateLimiter(
        new ExponentialRateLimiter(TimeSpan.FromMilliseconds(5), TimeSpan.FromMinutes(5)),
        new TokenBucketRateLimiter(10, 100, time));

    public TimeSpan When(string key)
    {
        var max = TimeSpan.Zero;
        foreach (var limiter in limiters)
        {
            var delay = limiter.When(key);
            if (delay > max)
            {
                max = delay;
            }
        }

        return max;
    }

    public void Forget(string key)
    {
        foreach (var limiter in limiters)
        {
            limiter.Forget(key);
        }
    }

    public int Failures(string key) => limiters.Max(l => l.Failures(key));
}
