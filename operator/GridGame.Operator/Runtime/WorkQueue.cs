namespace GridGame.Operator.Runtime;

/// <summary>Observes a work queue (metrics). All members are called outside the queue's lock.</summary>
internal interface IWorkQueueObserver
{
    void Depth(int depth);

    /// <summary>A key left the queue for a worker after waiting <paramref name="waited"/>.</summary>
    void Dequeued(TimeSpan waited);

    void Retried();
}

/// <summary>
/// A queue of keys (client-go's rate-limited work queue): a key is queued at most once; a key being processed
/// is never handed to a second worker, and if it is added again meanwhile it is queued once the first is
/// <see cref="Done"/>. Delayed adds (<see cref="AddAfter"/>) and retries (<see cref="AddRateLimited"/>) run on the
/// injected <see cref="TimeProvider"/>'s timers.
/// </summary>
internal sealed class WorkQueue : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Queue<string> _queue = new();
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly HashSet<string> _processing = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _addedAt = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (DateTimeOffset Due, ITimer Timer)> _delayed = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _available = new(0);
    private readonly TimeProvider _time;
    private readonly IRateLimiter _rateLimiter;
    private readonly IWorkQueueObserver? _observer;
    private bool _shutDown;

    public WorkQueue(TimeProvider time, IRateLimiter? rateLimiter = null, IWorkQueueObserver? observer = null)
    {
        _time = time;
        _rateLimiter = rateLimiter ?? MaxOfRateLimiter.Default(time);
        _observer = observer;
    }

    /// <summary>Keys waiting for a worker (not counting delayed ones or those being processed).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Keys waiting on a timer (<see cref="AddAfter"/>, <see cref="AddRateLimited"/>).</summary>
    public int DelayedCount
    {
        get
        {
            lock (_gate)
            {
                return _delayed.Count;
            }
        }
    }

    public bool IsProcessing(string key)
    {
        lock (_gate)
        {
            return _processing.Contains(key);
        }
    }

    public void Add(string key)
    {
        int depth;
        lock (_gate)
        {
            if (_shutDown || !_dirty.Add(key))
            {
                return;
            }

            _addedAt[key] = _time.GetTimestamp();
            if (_processing.Contains(key))
            {
                return;
            }

            _queue.Enqueue(key);
            depth = _queue.Count;
        }

        _available.Release();
        _observer?.Depth(depth);
    }

    /// <summary>Adds the key once <paramref name="delay"/> has passed; an earlier pending delay for the key wins.</summary>
    public void AddAfter(string key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }

        var due = _time.GetUtcNow() + delay;
        lock (_gate)
        {
            if (_shutDown)
            {
                return;
            }

            if (_delayed.TryGetValue(key, out var pending))
            {
                if (pending.Due <= due)
                {
                    return;
                }

                pending.Timer.Dispose();
            }

            var timer = _time.CreateTimer(static state => ((DelayedAdd)state!).Fire(), new DelayedAdd(this, key, due), delay, Timeout.InfiniteTimeSpan);
            _delayed[key] = (due, timer);
        }
    }

    /// <summary>Adds the key after its back-off (a failed reconcile).</summary>
    public void AddRateLimited(string key)
    {
        _observer?.Retried();
        AddAfter(key, _rateLimiter.When(key));
    }

    /// <summary>Clears the key's back-off (a successful reconcile).</summary>
    public void Forget(string key) => _rateLimiter.Forget(key);

    public int Failures(string key) => _rateLimiter.Failures(key);

    /// <summary>Waits for a key; the caller must call <see cref="Done"/> with it. Throws when cancelled or shut down.</summary>
    public async Task<string> GetAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await _available.WaitAsync(cancellationToken).ConfigureAwait(false);
            string key;
            long addedAt;
            int depth;
            lock (_gate)
            {
                if (_shutDown)
                {
                    throw new OperationCanceledException("the work queue is shut down");
                }

                if (!_queue.TryDequeue(out key!))
                {
                    continue;
                }

                _dirty.Remove(key);
                _processing.Add(key);
                addedAt = _addedAt.Remove(key, out var at) ? at : _time.GetTimestamp();
                depth = _queue.Count;
            }

            _observer?.Depth(depth);
            _observer?.Dequeued(_time.GetElapsedTime(addedAt));
            return key;
        }
    }

    /// <summary>Marks the key finished; if it was added while processing, it is queued again now.</summary>
    public void Done(string key)
    {
        int depth;
        lock (_gate)
        {
            _processing.Remove(key);
            if (_shutDown || !_dirty.Contains(key))
            {
                return;
            }

            _queue.Enqueue(key);
            depth = _queue.Count;
        }

        _available.Release();
        _observer?.Depth(depth);
    }

    /// <summary>Stops accepting keys and cancels pending timers; waiting workers are released with an exception.</summary>
    public void ShutDown()
    {
        lock (_gate)
        {
            if (_shutDown)
            {
                return;
            }

            _shutDown = true;
            foreach (var (_, pending) in _delayed)
            {
                pending.Timer.Dispose();
            }

            _delayed.Clear();
        }

        _available.Release(1024);
    }

    public void Dispose()
    {
        ShutDown();
        _available.Dispose();
    }

    private void FireDelayed(string key, DateTimeOffset due)
    {
        lock (_gate)
        {
            // A timer replaced by an earlier one may still fire; only the current one counts.
            if (!_delayed.TryGetValue(key, out var pending) || pending.Due != due)
            {
                return;
            }

            _delayed.Remove(key);
            pending.Timer.Dispose();
        }

        Add(key);
    }

    private sealed class DelayedAdd(WorkQueue queue, string key, DateTimeOffset due)
    {
        public void Fire() => queue.FireDelayed(key, due);
    }
}
