namespace GridGame.Operator.Tests.Fleets;

/// <summary>
/// The system clock plus an offset a test moves forward with <see cref="Advance"/>; timers made through it fire as
/// if that much time had really passed. For the operator running against LocalCluster, where everything else
/// (watches, the kubelet) must keep real time: a <c>FakeTimeProvider</c> would stop the work queue's timers, so a
/// 10-minute progress deadline is reached by jumping the operator's clock, not by waiting.
/// </summary>
internal sealed class ShiftedTimeProvider : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly HashSet<ShiftedTimer> _timers = [];
    private TimeSpan _offset;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
        {
            return System.GetUtcNow() + _offset;
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ShiftedTimer(this, callback, state);
        lock (_lock)
        {
            _timers.Add(timer);
        }
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Moves the clock forward; timers that fall due meanwhile fire now, the others are re-armed for what is left.</summary>
    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        List<ShiftedTimer> timers;
        lock (_lock)
        {
            _offset += by;
            timers = [.. _timers];
        }
        foreach (var timer in timers)
        {
            timer.Rearm();
        }
    }

    private void Forget(ShiftedTimer timer)
    {
        lock (_lock)
        {
            _timers.Remove(timer);
        }
    }

    private sealed class ShiftedTimer : ITimer
    {
        private readonly ShiftedTimeProvider _owner;
        private readonly ITimer _inner;
        private readonly Lock _lock = new();
        private DateTimeOffset? _due;
        private TimeSpan _period = Timeout.InfiniteTimeSpan;

        public ShiftedTimer(ShiftedTimeProvider owner, TimerCallback callback, object? state)
        {
            _owner = owner;
            _inner = System.CreateTimer(s =>
            {
                lock (_lock)
                {
                    _due = _period == Timeout.InfiniteTimeSpan ? null : _owner.GetUtcNow() + _period;
                }
                callback(s);
            }, state, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (_lock)
            {
                _due = dueTime == Timeout.InfiniteTimeSpan ? null : _owner.GetUtcNow() + dueTime;
                _period = period;
                return _inner.Change(dueTime, period);
            }
        }

        public void Rearm()
        {
            lock (_lock)
            {
                if (_due is { } due)
                {
                    var left = due - _owner.GetUtcNow();
                    _inner.Change(left > TimeSpan.Zero ? left : TimeSpan.Zero, _period);
                }
            }
        }

        public void Dispose()
        {
            _owner.Forget(this);
            _inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
