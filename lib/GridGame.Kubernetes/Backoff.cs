namespace GridGame.Kube;

/// <summary>
/// Jittered exponential back-off for one retry loop: the n-th failure in a row waits
/// <c>min(max, initial·2ⁿ⁻¹)</c>, scaled by a random factor in <c>[1 − jitter, 1 + jitter)</c> so that many clients
/// failing together do not retry together. Not thread-safe: one instance per loop.
/// </summary>
public sealed class Backoff
{
    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private readonly double _jitter;
    private readonly TimeProvider _time;

    /// <param name="initial">The wait after the first failure.</param>
    /// <param name="max">The longest wait before jitter.</param>
    /// <param name="time">The clock the waits run on (the system's by default).</param>
    /// <param name="jitter">How far a wait may stray either side, as a fraction of it: 0 (exact) to 1.</param>
    public Backoff(TimeSpan initial, TimeSpan max, TimeProvider? time = null, double jitter = 0.5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(initial, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, initial);
        ArgumentOutOfRangeException.ThrowIfNegative(jitter);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(jitter, 1.0);
        _initial = initial;
        _max = max;
        _jitter = jitter;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Failures in a row since the last <see cref="Reset"/>.</summary>
    public int Failures { get; private set; }

    /// <summary>Records a success: the next failure waits the initial delay again.</summary>
    public void Reset() => Failures = 0;

    /// <summary>Records a failure and returns how long to wait before the next attempt.</summary>
    public TimeSpan Next()
    {
        Failures = Failures == int.MaxValue ? Failures : Failures + 1;
        return Delay(Failures, _initial, _max, _jitter, Random.Shared.NextDouble());
    }

    /// <summary>Waits <paramref name="delay"/> on the back-off's clock; cancelling throws <see cref="OperationCanceledException"/>.</summary>
    public Task WaitAsync(TimeSpan delay, CancellationToken cancellationToken) => Task.Delay(delay, _time, cancellationToken);

    /// <summary>The wait after <paramref name="failures"/> failures in a row, for a <paramref name="sample"/> drawn from [0, 1).</summary>
    public static TimeSpan Delay(int failures, TimeSpan initial, TimeSpan max, double jitter, double sample)
    {
        if (failures <= 0)
        {
            return TimeSpan.Zero;
        }
        var ms = Math.Min(max.TotalMilliseconds, initial.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 30)));
        return TimeSpan.FromMilliseconds(ms * (1 - jitter + (2 * jitter * sample)));
    }
}
