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
    private readonly ConcurrentDictionary<string, GameView> _pending = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);

    /// <summary>Reports changes of this session from now on (a game opened for a GameSession).</summary>
    public void Track(string session) => _tracked.TryAdd(session, 0);

    public void Untrack(string session)
    {
        _tracked.TryRemove(session, out _);
        _pending.TryRemove(session, out _);
    }

    public bool WantsClaimsOf(string gameId) => _tracked.ContainsKey(gameId);

    public void OnGameChanged(GameChange change)
    {
        if (!_tracked.ContainsKey(change.GameId))
        {
            return;
        }

        _pending[change.GameId] = change.Game;
        if (_signal.CurrentCount == 0)
        {
            _signal.Release();
        }
    }

    /// <summary>Waits until something changed, then returns and clears the newest view of each changed game.</summary>
    public async Task<IReadOnlyList<GameView>> TakeAsync(CancellationToken cancellationToken)
    {
        await _signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        var taken = new List<GameView>();
        foreach (var key in _pending.Keys)
        {
            if (_pending.TryRemove(key, out var view))
            {
                taken.Add(view);
            }
        }

        return taken;
    }

    public void Dispose() => _signal.Dispose();

    /// <summary>Puts back a view whose patch failed, unless a newer one arrived meanwhile.</summary>
    public void Retry(GameView view)
    {
        if (_tracked.ContainsKey(view.Id) && _pending.TryAdd(view.Id, view) && _signal.CurrentCount == 0)
        {
            _signal.Release();
        }
    }
}
