using System.Collections.Concurrent;
using GridGame.GameServer.Game;

namespace GridGame.GameServer.Agent;

/// <summary>
/// Collects game changes for the sessions this server was given, keeping only the newest picture of each game,
/// so a burst of claims becomes one status patch rather than one write per claim.
/// </summary>
internal sealed class SessionReporter : IGameObserver, IDisposable
{
    private readonly ConcurrentDictionary<string, byte> _tracked = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SessionReport> _pending = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);

    /// <summary>Reports changes of this session from now on (a game opened for a GameSession); false if it already was.</summary>
    public bool Track(string session) => _tracked.TryAdd(session, 0);

    public void Untrack(string session)
    {
        _tracked.TryRemove(session, out _);
        _pending.TryRemove(session, out _);
    }

    public bool WantsClaimsOf(string gameId) => _tracked.ContainsKey(gameId);

    public void OnGameChanged(GameChange change) => Report(change.Game);

    /// <summary>Reports a game as it is now, if its session is tracked: a game recovered from the store has changed unseen.</summary>
    public void Report(GameView game)
    {
        if (_tracked.ContainsKey(game.Id))
        {
            Put(new GameReport(game));
        }
    }

    /// <summary>Reports a session that failed without a game on this server (a game it cannot recover).</summary>
    public void Fail(string session, string reason, string message, DateTimeOffset at)
    {
        _tracked.TryAdd(session, 0);
        Put(new FailureReport(session, reason, message, at));
    }

    /// <summary>Waits until something changed, then returns and clears the newest report of each changed session.</summary>
    public async Task<IReadOnlyList<SessionReport>> TakeAsync(CancellationToken cancellationToken)
    {
        await _signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        var taken = new List<SessionReport>();
        foreach (var key in _pending.Keys)
        {
            if (_pending.TryRemove(key, out var report))
            {
                taken.Add(report);
            }
        }

        return taken;
    }

    public void Dispose() => _signal.Dispose();

    /// <summary>Puts back a report whose patch failed, unless a newer one arrived meanwhile.</summary>
    public void Retry(SessionReport report)
    {
        if (_tracked.ContainsKey(report.Session) && _pending.TryAdd(report.Session, report) && _signal.CurrentCount == 0)
        {
            _signal.Release();
        }
    }

    private void Put(SessionReport report)
    {
        _pending[report.Session] = report;
        if (_signal.CurrentCount == 0)
        {
            _signal.Release();
        }
    }
}

/// <summary>What the agent writes into one session's status.</summary>
internal abstract record SessionReport(string Session);

/// <summary>The newest view of the session's game.</summary>
internal sealed record GameReport(GameView Game) : SessionReport(Game.Id);

/// <summary>The session failed without a game on this server to show for it.</summary>
internal sealed record FailureReport(string Session, string Reason, string Message, DateTimeOffset At) : SessionReport(Session);
