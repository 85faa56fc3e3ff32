using System.Collections.Concurrent;
using System.Text.Json;
using GridGame.GameServer.History;
using GridGame.GameServer.Hubs;
using GridGame.GameServer.Operations;
using GridGame.GameServer.Stores;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace GridGame.GameServer.Game;

/// <summary>
/// The games open on this server, by session name. The Kubernetes agent opens a game with
/// <see cref="OpenAsync"/>; in standalone mode a join opens any session with the configured settings.
/// A game found in the store but not in memory (after a restart) is recovered from the store.
/// </summary>
internal sealed partial class GameDirectory(
    IGameStore store,
    IHubContext<GameHub, IGameClient> hub,
    TimeProvider time,
    GameMetrics metrics,
    IEnumerable<IGameObserver> observers,
    IOptions<GameServerOptions> options,
    UnwrittenEvents unwritten,
    ILogger<GameDirectory> logger) : IDisposable
{
    private readonly ConcurrentDictionary<string, LiveGame> _games = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _opening = new(1, 1);
    private readonly IReadOnlyList<IGameObserver> _observers = [.. observers];
    private readonly ConcurrentDictionary<string, TaskCompletionSource<LiveGame>> _waiting = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _lost = new(StringComparer.Ordinal);
    private static readonly TimeSpan JoinWaitForAgent = TimeSpan.FromSeconds(5);

    public bool Standalone => options.Value.Standalone ?? true;

    public IEnumerable<LiveGame> Games => _games.Values;

    public LiveGame? Find(string session) => _games.GetValueOrDefault(session);

    /// <summary>The refusal a player reads when joining a session whose game this server lost.</summary>
    public static string LostRefusal(string why) => "game lost: " + why;

    /// <summary>Whether this server lost the session's game (<see cref="MarkLost"/>).</summary>
    public bool IsLost(string session) => _lost.ContainsKey(session);

    /// <summary>
    /// Marks a session whose game this server cannot recover: no game is ever opened here under its name again, and a
    /// join (one waiting for the agent included) is refused saying why.
    /// </summary>
    public void MarkLost(string session, string why)
    {
        _lost[session] = why;
        if (_waiting.TryRemove(session, out var waiting))
        {
            waiting.TrySetException(new HubException(LostRefusal(why)));
        }
    }

    /// <summary>Opens a game (or returns the one open, or recovers the stored one) with these settings and allowed players (empty = anyone up to maxPlayers).</summary>
    public async Task<LiveGame> OpenAsync(string session, GameSettings settings, IReadOnlyCollection<string> allowedPlayers, CancellationToken cancellationToken)
    {
        if (_games.TryGetValue(session, out var open))
        {
            return open;
        }
        await _opening.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_games.TryGetValue(session, out open))
            {
                return open;
            }
            if (_lost.TryGetValue(session, out var why))
            {
                throw new InvalidOperationException($"game {session} was lost on this server and is not opened again: {why}");
            }
            var now = time.GetUtcNow();
            var fresh = new GameRules(session, settings, allowedPlayers, now).ToState();
            var opened = new GameEvent(session, 0, GameEventType.Opened, null, 0, 0, now, JsonSerializer.Serialize(settings));
            var state = await store.CreateAsync(fresh, opened, cancellationToken).ConfigureAwait(false);
            var game = Add(GameRules.FromState(state));
            Notify(new GameChange(GameChangeKind.Opened, session, null, game.View()));
            return game;
        }
        finally
        {
            _opening.Release();
        }
    }

    /// <summary>The game a player may join under this name: open here, recovered from the store, or (standalone) opened now.</summary>
    public async Task<LiveGame?> FindForJoinAsync(string session, CancellationToken cancellationToken)
    {
        if (_games.TryGetValue(session, out var open))
        {
            return open;
        }
        if (_lost.TryGetValue(session, out var why))
        {
            throw new HubException(LostRefusal(why));
        }
        if (await RecoverAsync(session, cancellationToken).ConfigureAwait(false) is { } recovered)
        {
            return recovered;
        }
        return Standalone
            ? await OpenAsync(session, options.Value.Game, [], cancellationToken).ConfigureAwait(false)
            : await WaitForOpenAsync(session, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// In Kubernetes a matchmaker learns a session's address as soon as the operator binds it, and a player may
    /// join before the agent's watch has delivered that session here: give the agent a moment rather than refuse.
    /// </summary>
    private async Task<LiveGame?> WaitForOpenAsync(string session, CancellationToken cancellationToken)
    {
        var opened = _waiting.GetOrAdd(session, _ => new TaskCompletionSource<LiveGame>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (_games.TryGetValue(session, out var open))
        {
            return open;
        }
        if (_lost.TryGetValue(session, out var why))
        {
            throw new HubException(LostRefusal(why));
        }
        try
        {
            return await opened.Task.WaitAsync(JoinWaitForAgent, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _waiting.TryRemove(session, out _);
            return null;
        }
    }

    /// <summary>Loads a stored game into memory, as after a restart; null when the store has none.</summary>
    public async Task<LiveGame?> RecoverAsync(string session, CancellationToken cancellationToken)
    {
        await _opening.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_games.TryGetValue(session, out var open))
            {
                return open;
            }
            var state = await store.LoadAsync(session, cancellationToken).ConfigureAwait(false);
            if (state is null)
            {
                return null;
            }
            // Nobody is connected to a server that just started; players come back by joining again.
            state = state with { Players = [.. state.Players.Select(p => p with { Connected = false })] };
            Log.Recovered(logger, session, state.Phase, null);
            return Add(GameRules.FromState(state));
        }
        finally
        {
            _opening.Release();
        }
    }

    /// <summary>Recovers every unfinished game of the store (at start).</summary>
    public async Task<int> RecoverAllAsync(CancellationToken cancellationToken)
    {
        var count = 0;
        foreach (var id in await store.ListUnfinishedAsync(cancellationToken).ConfigureAwait(false))
        {
            if (await RecoverAsync(id, cancellationToken).ConfigureAwait(false) is not null)
            {
                count++;
            }
        }
        return count;
    }

    /// <summary>Forgets a game here (its session was deleted); the store keeps it.</summary>
    public bool Close(string session)
    {
        if (_games.TryRemove(session, out var game))
        {
            if (game.Phase != GamePhase.Finished)
            {
                metrics.GamesActive.Dec();
            }
            game.Dispose();
            unwritten.Forget(session);
            return true;
        }
        return false;
    }

    public void Dispose()
    {
        _opening.Dispose();
        foreach (var game in _games.Values)
        {
            game.Dispose();
        }
    }

    private LiveGame Add(GameRules rules)
    {
        var game = new LiveGame(rules, store, hub, time, metrics, _observers, logger, TimeSpan.FromMilliseconds(options.Value.ClaimAnnounceIntervalMs), unwritten);
        _games[rules.Id] = game;
        if (_waiting.TryRemove(rules.Id, out var waiting))
        {
            waiting.TrySetResult(game);
        }
        if (rules.Phase != GamePhase.Finished)
        {
            metrics.GamesActive.Inc();
        }
        return game;
    }

    private void Notify(GameChange change)
    {
        foreach (var observer in _observers)
        {
            try
            {
                observer.OnGameChanged(change);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Log.ObserverFailed(logger, change.GameId, ex);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.GameRecovered, EventName = "GameRecovered", Level = LogLevel.Information, Message = "Recovered game {Session} ({Phase}) from the store")]
        public static partial void Recovered(ILogger logger, string session, GamePhase phase, Exception? ex);

        [LoggerMessage(EventId = EventIds.GameOpenObserverFailed, EventName = "ObserverFailed", Level = LogLevel.Warning, Message = "A game observer failed when game {Session} opened")]
        public static partial void ObserverFailed(ILogger logger, string session, Exception ex);
    }
}
