namespace GridGame.Operator.Runtime;

/// <summary>
/// Lets one caller through per interval, however many workers ask at once: for work that is worth doing now and
/// then but not on every reconcile (recounting a gauge). The first call always passes.
/// </summary>
internal sealed class IntervalGate(TimeSpan interval)
{
    /// <summary>UTC ticks of the last pass; 0 (the year 1) until the first.</summary>
    private long _passedAt;

    /// <summary>True for exactly one caller once more than the interval has passed since the last pass at <paramref name="now"/>.</summary>
    public bool TryPass(DateTimeOffset now)
    {
        var last = Interlocked.Read(ref _passedAt);
        if (now.UtcTicks - last <= interval.Ticks)
        {
            return false;
        }
        // Of the workers that saw the same last pass, only the one whose exchange lands goes through.
        return Interlocked.CompareExchange(ref _passedAt, now.UtcTicks, last) == last;
    }
}
