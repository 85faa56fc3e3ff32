using System.Collections.Concurrent;
using GridGame.GameServer.Stores;

namespace GridGame.GameServer.History;

/// <summary>
/// The events of this server's games that the store has acknowledged but the history has not yet been seen to write:
/// a second copy of the store's event log, kept in memory until the history pump confirms each event. When a store
/// loses a game's state (a Redis that restarted empty) its log goes with it; this copy, with the game's finish, is then
/// handed to the pump to write straight to the history. Bounded by a game's events (a board's cells and its players'
/// comings and goings); an event written by another server's pump stays until its game closes here, and writing it
/// again changes nothing.
/// </summary>
internal sealed class UnwrittenEvents : IDisposable
{
    private readonly ConcurrentDictionary<string, GameLog> _games = new(StringComparer.Ordinal);
    private readonly Lock _orphansLock = new();
    private readonly List<GameEvent> _orphans = [];
    private readonly SemaphoreSlim _orphaned = new(0, int.MaxValue);

    /// <summary>The copy of one game's log; its owner adds to it under the game's gate, the pump removes from it.</summary>
    public GameLog For(string gameId) => _games.GetOrAdd(gameId, _ => new GameLog());

    /// <summary>The history has these events: they need no copy any more.</summary>
    public void Written(IReadOnlyList<GameEvent> events)
    {
        foreach (var game in events.GroupBy(e => e.GameId, StringComparer.Ordinal))
        {
            if (_games.TryGetValue(game.Key, out var log))
            {
                log.Remove(game);
            }
        }
    }

    /// <summary>The game is closed here: its copy goes (the store keeps what the history still lacks).</summary>
    public void Forget(string gameId) => _games.TryRemove(gameId, out _);

    /// <summary>The store lost the game: its unwritten events and <paramref name="finished"/> go straight to the history.</summary>
    public void Orphan(string gameId, GameEvent finished)
    {
        var events = _games.TryRemove(gameId, out var log) ? log.InOrder() : [];
        events.Add(finished);
        lock (_orphansLock)
        {
            _orphans.AddRange(events);
        }
        _orphaned.Release();
    }

    /// <summary>The events of lost games waiting to be written, oldest first; <see cref="Requeue"/> puts back a batch that failed.</summary>
    public IReadOnlyList<GameEvent> TakeOrphans(int max)
    {
        lock (_orphansLock)
        {
            var batch = _orphans.Take(max).ToList();
            _orphans.RemoveRange(0, batch.Count);
            return batch;
        }
    }

    /// <summary>Puts a batch that could not be written back in front, so each game's events still go in order.</summary>
    public void Requeue(IReadOnlyList<GameEvent> batch)
    {
        lock (_orphansLock)
        {
            _orphans.InsertRange(0, batch);
        }
    }

    /// <summary>Completes when a game was orphaned (at once if one waits), so the pump need not wait out its poll.</summary>
    public Task WaitForOrphansAsync(CancellationToken cancellationToken)
    {
        lock (_orphansLock)
        {
            return _orphans.Count == 0 ? _orphaned.WaitAsync(cancellationToken) : Task.CompletedTask;
        }
    }

    public void Dispose() => _orphaned.Dispose();

    /// <summary>One game's unwritten events by seq.</summary>
    internal sealed class GameLog
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<long, GameEvent> _events = [];

        public void Add(GameEvent gameEvent)
        {
            lock (_lock)
            {
                _events[gameEvent.Seq] = gameEvent;
            }
        }

        public void Add(IReadOnlyList<GameEvent> events)
        {
            lock (_lock)
            {
                for (var i = 0; i < events.Count; i++)
                {
                    _events[events[i].Seq] = events[i];
                }
            }
        }

        /// <summary>Takes back events the store did not take after all (its call failed).</summary>
        public void Remove(IEnumerable<GameEvent> events)
        {
            lock (_lock)
            {
                foreach (var gameEvent in events)
                {
                    _events.Remove(gameEvent.Seq);
                }
            }
        }

        public List<GameEvent> InOrder()
        {
            lock (_lock)
            {
                return [.. _events.Values.OrderBy(e => e.Seq)];
            }
        }
    }
}
