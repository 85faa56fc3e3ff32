using GridGame.GameServer.Hubs;

namespace GridGame.GameServer.Game;

/// <summary>
/// Announces one game's claims to its players in batches: at most one <c>CellsClaimed</c> message per interval. A
/// claim in a quiet game goes out at once; the claims that follow within the interval wait for its end and go out
/// together, in order.
/// </summary>
/// <remarks>
/// Why batch: every claim is announced to every player of its game, so one message per claim costs players × claims
/// frames, socket writes and wake-ups, on the server and on every player's device; under load that is most of the
/// server's CPU. A tick of a few tens of milliseconds is what real-time game servers send at anyway. Only the other
/// players' view waits, by at most the interval: the claimer's own answer is never held back.
/// <para>
/// <see cref="Announce"/> and <see cref="Flush"/> are called under the game's gate, the timer from a pool thread;
/// sends start under this class's lock, so every player gets the claims in order, and a message the game sends after
/// <see cref="Flush"/> comes after every claim before it: <c>LiveGame</c> sends all its other messages through one
/// accessor that flushes first, and flushes before a connection joins or leaves its group.
/// </para>
/// </remarks>
internal sealed class ClaimAnnouncer : IDisposable
{
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly Func<CellClaimed[], Task> _send;
    private readonly Action<Exception> _failed;
    private readonly Lock _lock = new();
    private readonly List<CellClaimed> _pending = [];
    private readonly ITimer _timer;
    private long? _lastSent;
    private bool _scheduled;

    public ClaimAnnouncer(TimeSpan interval, TimeProvider time, Func<CellClaimed[], Task> send, Action<Exception> failed)
    {
        _interval = interval;
        _time = time;
        _send = send;
        _failed = failed;
        _timer = time.CreateTimer(_ => OnTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Claims just applied, in order: sent now if the last message went out an interval ago or more, else at the end of the interval.</summary>
    public void Announce(IReadOnlyList<CellClaimed> claims)
    {
        if (claims.Count == 0)
        {
            return;
        }
        lock (_lock)
        {
            _pending.AddRange(claims);
            if (_scheduled)
            {
                return;
            }
            var wait = _lastSent is { } last ? _interval - _time.GetElapsedTime(last) : TimeSpan.Zero;
            if (wait <= TimeSpan.Zero)
            {
                SendPending();
            }
            else
            {
                _scheduled = true;
                _timer.Change(wait, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>Sends the waiting claims now: before any other message to the game's players, so it cannot overtake them.</summary>
    public void Flush()
    {
        lock (_lock)
        {
            SendPending();
        }
    }

    public void Dispose() => _timer.Dispose();

    private void OnTimer()
    {
        lock (_lock)
        {
            _scheduled = false;
            SendPending();
        }
    }

    private void SendPending()
    {
        if (_pending.Count == 0)
        {
            return;
        }
        var batch = _pending.ToArray();
        _pending.Clear();
        _lastSent = _time.GetTimestamp();
        Task sent;
        try
        {
            sent = _send(batch);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _failed(ex);
            return;
        }
        if (!sent.IsCompletedSuccessfully)
        {
            // The claims are stored and answered whatever happens here: a socket that missed them gets a snapshot when it rejoins.
            sent.ContinueWith(static (t, state) => ((Action<Exception>)state!)(t.Exception!.GetBaseException()), _failed,
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }
}
