using System.Text.Json;
using GridGame.GameServer.History;
using GridGame.GameServer.Hubs;
using GridGame.GameServer.Operations;
using GridGame.GameServer.Stores;
using Microsoft.AspNetCore.SignalR;

namespace GridGame.GameServer.Game;

/// <summary>
/// One game open on this server: its rules, its players' connections and the SignalR group they share. Commands
/// run one at a time behind a gate; each is checked by the rules, made durable in the store, applied, then announced.
/// </summary>
internal sealed partial class LiveGame : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, HubCallerContext> _connections = new(StringComparer.Ordinal);
    private readonly GameRules _rules;
    private readonly IGameStore _store;
    private readonly IHubContext<GameHub, IGameClient> _hub;
    private readonly TimeProvider _time;
    private readonly GameMetrics _metrics;
    private readonly IReadOnlyList<IGameObserver> _observers;
    private readonly ILogger _logger;
    private readonly ClaimAnnouncer _announcer;
    private readonly UnwrittenEvents _unwritten;

    /// <summary>This game's events the store took and the history has not been seen to write: its copy, should the store lose them.</summary>
    private readonly UnwrittenEvents.GameLog _log;
    private readonly Lock _queueLock = new();
    private List<PendingClaim> _queued = [];

    /// <summary>The list of the last batch committed, kept for the next batch so the queue allocates nothing per batch.</summary>
    private List<PendingClaim>? _spareQueue;
    private bool _committing;

    /// <summary>Set when a claim call failed without an answer, so the store may hold claims the rules lack.</summary>
    private bool _reloadBeforeClaims;

    /// <summary>The refusal a player reads when the store cannot be reached: nothing was claimed.</summary>
    public const string StoreUnavailable = "store unavailable: the claim was not made, try again";

    /// <summary>The refusal a player reads when the store answers but lost the game: nothing was made, and the game is over.</summary>
    public const string StateLostRefusal = "game lost: its state vanished from the store; the game has ended";

    public LiveGame(GameRules rules, IGameStore store, IHubContext<GameHub, IGameClient> hub, TimeProvider time, GameMetrics metrics,
        IReadOnlyList<IGameObserver> observers, ILogger logger, TimeSpan announceInterval, UnwrittenEvents unwritten)
    {
        _unwritten = unwritten;
        _log = unwritten.For(rules.Id);
        _rules = rules;
        _store = store;
        _hub = hub;
        _time = time;
        _metrics = metrics;
        _observers = observers;
        _logger = logger;
        Group = "game:" + rules.Id;
        _announcer = new ClaimAnnouncer(announceInterval, time, claims => _hub.Clients.Group(Group).CellsClaimed(claims), ex => Log.AnnounceFailed(_logger, Id, ex));
    }

    public string Id => _rules.Id;

    /// <summary>The SignalR group of this game's connections.</summary>
    public string Group { get; }

    public GamePhase Phase => _rules.Phase;

    public DateTimeOffset? FinishedAt => _rules.FinishedAt;

    /// <summary>Adds (or re-adds) the player; returns their snapshot and the connection this one replaces, if any.</summary>
    public async Task<(BoardSnapshot Snapshot, HubCallerContext? Replaced)> JoinAsync(string player, HubCallerContext connection, CancellationToken cancellationToken)
    {
        var changes = new List<GameChange>();
        HubCallerContext? replaced;
        BoardSnapshot snapshot;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_rules.CheckJoin(player) is var refusal and not Refusal.None)
            {
                throw new HubException(refusal.Message());
            }
            _connections.TryGetValue(player, out replaced);
            if (replaced?.ConnectionId == connection.ConnectionId)
            {
                replaced = null;
            }
            // Claims still waiting to be announced are in the snapshot this player gets: send them before it joins the group.
            _announcer.Flush();
            await _hub.Groups.AddToGroupAsync(connection.ConnectionId, Group, cancellationToken);
            if (!(_rules.Player(player)?.Connected ?? false))
            {
                var before = _rules.ToState();
                var now = _time.GetUtcNow();
                var outcome = _rules.ApplyJoin(player, now);
                var events = new List<GameEvent> { new(Id, outcome.Started ? _rules.Seq - 1 : _rules.Seq, GameEventType.Joined, player, 0, 0, now) };
                if (outcome.Started)
                {
                    events.Add(new GameEvent(Id, _rules.Seq, GameEventType.Started, null, 0, 0, now));
                }
                try
                {
                    await RecordOrRollBackAsync(events, before, cancellationToken);
                }
                catch (Exception ex)
                {
                    await _hub.Groups.RemoveFromGroupAsync(connection.ConnectionId, Group, CancellationToken.None);
                    if (ex is GameStateLostException)
                    {
                        await EndBecauseStateLostAsync(changes);
                        throw new HubException(StateLostRefusal, ex);
                    }
                    throw;
                }
                await Players(except: connection.ConnectionId).PlayerJoined(new PlayerChange(player, events[0].Seq));
                changes.Add(Change(GameChangeKind.PlayerJoined, player));
                if (outcome.Started)
                {
                    await Players().GameStarted(new GameStarted(_rules.StartedAt!.Value.ToUnixTimeMilliseconds(), _rules.EndsAt!.Value.ToUnixTimeMilliseconds()));
                    changes.Add(Change(GameChangeKind.Started, null));
                }
            }
            _connections[player] = connection;
            snapshot = Snapshot(player);
        }
        finally
        {
            _gate.Release();
            Notify(changes);
        }
        return (snapshot, replaced);
    }

    /// <summary>
    /// Claims a cell. Claims are group-committed: while one batch of this game's claims is in the store, the claims
    /// that arrive queue up, and the next batch takes them all to the store in one call. Each claim is still checked
    /// in arrival order, stored all or nothing, and answered only once the store has it. The claim (or its refusal)
    /// and its time are counted here, for the metrics. It takes no cancellation token: a queued claim is committed
    /// whatever happens to the connection that sent it.
    /// </summary>
    public async Task<CellClaimed> ClaimAsync(string player, int row, int col)
    {
        var pending = new PendingClaim(new ClaimRequest(player, row, col), _time.GetTimestamp());
        bool lead;
        lock (_queueLock)
        {
            _queued.Add(pending);
            lead = !_committing;
            _committing = true;
        }
        if (lead)
        {
            await CommitQueuedAsync(pending);
        }
        try
        {
            var claimed = await pending.Task;
            _metrics.Claims.Inc();
            _metrics.ClaimDuration.Observe(_time.GetElapsedTime(pending.Started).TotalSeconds);
            return claimed;
        }
        catch (HubException)
        {
            _metrics.Refused.Inc();
            throw;
        }
    }

    /// <summary>
    /// Commits queued batches until the queue is empty. The caller whose claim started it commits the batch with its
    /// own claim and hands any later batches to a pool thread, so its own answer never waits for other players' claims.
    /// </summary>
    private async Task CommitQueuedAsync(PendingClaim? own)
    {
        while (true)
        {
            List<PendingClaim> batch;
            lock (_queueLock)
            {
                if (_queued.Count == 0)
                {
                    _committing = false;
                    return;
                }
                if (own is not null && own.Task.IsCompleted)
                {
                    // Still _committing: the pool thread owns the queue now.
                    _ = Task.Run(() => CommitQueuedAsync(null));
                    return;
                }
                batch = _queued;
                _queued = _spareQueue ?? [];
                _spareQueue = null;
            }
            try
            {
                await CommitAsync(batch);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                foreach (var claim in batch)
                {
                    claim.TrySetException(ex as HubException ?? new HubException(StoreUnavailable));
                }
                Log.ClaimsFailed(_logger, Id, batch.Count, ex);
            }
            // Every claim of the batch is answered: its list takes the next claims that arrive.
            batch.Clear();
            lock (_queueLock)
            {
                _spareQueue = batch;
            }
        }
    }

    /// <summary>One group commit: check the batch in order, store the allowed claims in one call, apply and announce them.</summary>
    private async Task CommitAsync(List<PendingClaim> batch)
    {
        var changes = new List<GameChange>();
        var answered = new List<PendingClaim>(batch.Count);
        var claims = new List<CellClaimed>(batch.Count);
        await _gate.WaitAsync(CancellationToken.None);
        try
        {
            if (_reloadBeforeClaims)
            {
                // A claim call failed without an answer: Redis may or may not have run it. Start again from what it has;
                // a store that answers with nothing lost the game (a Redis that restarted empty).
                _rules.RestoreFrom(await _store.LoadAsync(Id, CancellationToken.None) ?? throw new GameStateLostException(Id));
                _reloadBeforeClaims = false;
            }
            var now = _time.GetUtcNow();
            await FinishIfDueAsync(now, changes, CancellationToken.None);
            // A plain array: a collection expression over Select built an iterator and a list around it for every batch.
            var requests = new ClaimRequest[batch.Count];
            for (var i = 0; i < requests.Length; i++)
            {
                requests[i] = batch[i].Request;
            }
            var refusals = _rules.CheckClaims(requests, now);
            var allowed = new List<PendingClaim>(batch.Count);
            var events = new List<GameEvent>(batch.Count);
            for (var i = 0; i < batch.Count; i++)
            {
                if (refusals[i] != Refusal.None)
                {
                    batch[i].TrySetException(new HubException(refusals[i].Message()));
                    continue;
                }
                var request = batch[i].Request;
                allowed.Add(batch[i]);
                events.Add(new GameEvent(Id, _rules.Seq + 1 + events.Count, GameEventType.Claimed, request.Player, request.Row, request.Col, now));
            }
            if (allowed.Count == 0)
            {
                return;
            }
            IReadOnlyList<StoreClaim> stored;
            // Copied before the store has them, so the history pump cannot confirm one before the copy holds it.
            _log.Add(events);
            try
            {
                // Not cancellable once sent: a claim applied in the store but abandoned here would leave the two apart.
                stored = await _store.ClaimAllAsync(events, _rules.Settings.BoardSize, CancellationToken.None);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _log.Remove(events);
                if (ex is GameStateLostException)
                {
                    throw;
                }
                _reloadBeforeClaims = true;
                throw new HubException(StoreUnavailable, ex);
            }
            var storedAsPlanned = AllClaimed(stored);
            if (!storedAsPlanned)
            {
                // The store numbered the claims it took without the refused ones: copy those, by their stored seqs.
                _log.Remove(events);
            }
            var finished = false;
            var observed = ClaimsObserved();
            for (var i = 0; i < allowed.Count; i++)
            {
                var request = allowed[i].Request;
                if (stored[i].Status != StoreClaimStatus.Claimed)
                {
                    // Only another writer of the same game (a second server, by mistake) gets here; catch up with it.
                    _reloadBeforeClaims = true;
                    allowed[i].TrySetException(new HubException(stored[i].Status == StoreClaimStatus.CellTaken ? Refusal.CellTaken.Message() : Refusal.GameOver.Message()));
                    continue;
                }
                var seq = _rules.Seq + 1;
                if (!storedAsPlanned)
                {
                    _log.Add(new GameEvent(Id, seq, GameEventType.Claimed, request.Player, request.Row, request.Col, now));
                }
                var outcome = _rules.ApplyClaim(request.Player, request.Row, request.Col, now);
                answered.Add(allowed[i]);
                claims.Add(new CellClaimed(request.Row, request.Col, request.Player, outcome.Score, seq));
                if (observed)
                {
                    changes.Add(Change(GameChangeKind.CellClaimed, request.Player));
                }
                finished |= outcome.Finished;
            }
            // Under the gate, so every connection gets the claims in order (the announcer may hold them for a moment).
            _announcer.Announce(claims);
            if (finished)
            {
                try
                {
                    await AnnounceFinishAsync(changes, CancellationToken.None);
                }
                catch (GameStateLostException)
                {
                    // The claims are stored (and copied for the history), and still answered below; the game cannot go on.
                    await EndBecauseStateLostAsync(changes);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // The claims are stored and still answered below; the store missed the finish, so the rules catch
                    // up with it before the next claim (a full board refuses every claim; the clock ends the game).
                    _reloadBeforeClaims = true;
                    Log.FinishFailed(_logger, Id, ex);
                }
            }
        }
        catch (GameStateLostException ex)
        {
            await EndBecauseStateLostAsync(changes);
            throw new HubException(StateLostRefusal, ex);
        }
        finally
        {
            _gate.Release();
            Notify(changes);
        }
        // Answered whatever becomes of the announcement: the claim is stored and applied.
        for (var i = 0; i < answered.Count; i++)
        {
            answered[i].TrySetResult(claims[i]);
        }
    }

    /// <summary>
    /// The player leaves, if <paramref name="connectionId"/> is still their connection (a replaced one leaves nothing).
    /// With <paramref name="connectionOnly"/> (the server is draining) only the connection goes: the player has not left
    /// the game, so it neither ends nor records anything, and the player can rejoin on a server that recovers it.
    /// </summary>
    public async Task LeaveAsync(string player, string connectionId, CancellationToken cancellationToken, bool connectionOnly = false)
    {
        var changes = new List<GameChange>();
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_connections.TryGetValue(player, out var current) || current.ConnectionId != connectionId)
            {
                return;
            }
            _connections.Remove(player);
            // The claims made while this connection was in the game go to it before it leaves the group.
            _announcer.Flush();
            await _hub.Groups.RemoveFromGroupAsync(connectionId, Group, cancellationToken);
            if (_rules.Phase == GamePhase.Finished || connectionOnly)
            {
                return;
            }
            var before = _rules.ToState();
            var now = _time.GetUtcNow();
            var outcome = _rules.ApplyLeave(player, now);
            if (!outcome.Left)
            {
                return;
            }
            var left = new GameEvent(Id, outcome.Finished ? _rules.Seq - 1 : _rules.Seq, GameEventType.Left, player, 0, 0, now);
            await RecordOrRollBackAsync([left], before, cancellationToken);
            await Players().PlayerLeft(new PlayerChange(player, left.Seq));
            changes.Add(Change(GameChangeKind.PlayerLeft, player));
            if (outcome.Finished)
            {
                await AnnounceFinishAsync(changes, cancellationToken);
            }
        }
        catch (GameStateLostException)
        {
            // The player is gone either way; the game cannot go on.
            await EndBecauseStateLostAsync(changes);
        }
        finally
        {
            _gate.Release();
            Notify(changes);
        }
    }

    /// <summary>Ends the game if its time is up; called by the game clock.</summary>
    public async Task TickAsync(CancellationToken cancellationToken)
    {
        if (_rules.Phase != GamePhase.Playing)
        {
            return;
        }
        var changes = new List<GameChange>();
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await FinishIfDueAsync(_time.GetUtcNow(), changes, cancellationToken);
        }
        catch (GameStateLostException)
        {
            await EndBecauseStateLostAsync(changes);
        }
        finally
        {
            _gate.Release();
            Notify(changes);
        }
    }

    /// <summary>Tells every player of this game that the server is going away.</summary>
    public Task AnnounceDrainingAsync(string message) => Players().ServerDraining(new ServerDraining(message));

    public BoardSnapshot Snapshot(string you) => new(
        Id,
        _rules.Settings.BoardSize,
        _rules.Phase.ToString(),
        [.. _rules.Cells],
        Scores(),
        _rules.Phase == GamePhase.Finished ? _rules.Winners() : [],
        _rules.Seq,
        _rules.EndsAt?.ToUnixTimeMilliseconds(),
        _rules.Settings.ClaimCooldownMs,
        _rules.Settings.MinPlayers,
        you);

    public GameView View() => new(Id, _rules.Phase, _rules.FinishReason, [.. _rules.Players],
        _rules.Phase == GamePhase.Finished ? _rules.Winners() : [], _rules.StartedAt, _rules.FinishedAt);

    private List<PlayerScore> Scores() => [.. _rules.Players.Select(p => new PlayerScore(p.Id, p.Score, p.Connected))];

    private async Task FinishIfDueAsync(DateTimeOffset now, List<GameChange> changes, CancellationToken cancellationToken)
    {
        if (_rules.DueFinish(now) is var reason and not FinishReason.None)
        {
            var before = _rules.ToState();
            _rules.Finish(reason, now);
            await RecordFinishAsync(before, cancellationToken);
            await AnnounceAsync(changes);
        }
    }

    /// <summary>The rules have just finished the game (inside a claim or a leave): store and announce it.</summary>
    private async Task AnnounceFinishAsync(List<GameChange> changes, CancellationToken cancellationToken)
    {
        await RecordFinishAsync(null, cancellationToken);
        await AnnounceAsync(changes);
    }

    private async Task RecordFinishAsync(GameState? before, CancellationToken cancellationToken)
    {
        var result = new FinishedData(_rules.FinishReason.ToString(), _rules.Winners(), Scores());
        var finished = new GameEvent(Id, _rules.Seq, GameEventType.Finished, null, 0, 0, _rules.FinishedAt!.Value, JsonSerializer.Serialize(result));
        if (before is null)
        {
            _log.Add(finished);
            try
            {
                await _store.RecordAsync(finished, _rules.ToState(), CancellationToken.None);
            }
            catch
            {
                _log.Remove([finished]);
                throw;
            }
        }
        else
        {
            await RecordOrRollBackAsync([finished], before, cancellationToken);
        }
        _metrics.GamesActive.Dec();
        Log.Finished(_logger, Id, _rules.FinishReason, string.Join(",", _rules.Winners()));
    }

    private async Task AnnounceAsync(List<GameChange> changes)
    {
        var message = _rules.FinishReason == FinishReason.StateLost ? StateLostRefusal : null;
        await Players().GameOver(new GameOver(_rules.FinishReason.ToString(), _rules.Winners(), Scores(), message));
        changes.Add(Change(GameChangeKind.Finished, null));
    }

    /// <summary>
    /// The store answered but lost the game (a Redis that restarted empty): the game ends here, as StateLost. Its
    /// acknowledged events the history lacks, and its finish, go straight to the history from this server's copy;
    /// nothing is written to the store, which would bring back a game without its board. Players get the GameOver,
    /// and observers the finish (the agent fails the session).
    /// </summary>
    private async Task EndBecauseStateLostAsync(List<GameChange> changes)
    {
        if (_rules.FinishReason == FinishReason.StateLost)
        {
            return;
        }
        _rules.Lose(_time.GetUtcNow());
        // Nothing to reload: the store has nothing, and the rules now refuse every claim as game over.
        _reloadBeforeClaims = false;
        var result = new FinishedData(_rules.FinishReason.ToString(), _rules.Winners(), Scores());
        _unwritten.Orphan(Id, new GameEvent(Id, _rules.Seq, GameEventType.Finished, null, 0, 0, _rules.FinishedAt!.Value, JsonSerializer.Serialize(result)));
        _metrics.GamesActive.Dec();
        Log.StateLost(_logger, Id);
        await AnnounceAsync(changes);
    }

    private async Task RecordOrRollBackAsync(IReadOnlyList<GameEvent> events, GameState before, CancellationToken cancellationToken)
    {
        _log.Add(events);
        try
        {
            var after = _rules.ToState();
            foreach (var gameEvent in events)
            {
                await _store.RecordAsync(gameEvent, after, CancellationToken.None);
            }
        }
        catch
        {
            _log.Remove(events);
            _rules.RestoreFrom(before);
            throw;
        }
    }

    private static bool AllClaimed(IReadOnlyList<StoreClaim> stored)
    {
        for (var i = 0; i < stored.Count; i++)
        {
            if (stored[i].Status != StoreClaimStatus.Claimed)
            {
                return false;
            }
        }
        return true;
    }

    public void Dispose()
    {
        _announcer.Dispose();
        _gate.Dispose();
    }

    /// <summary>
    /// The game's players (but <paramref name="except"/>), for every message except the claims' own: the claims waiting
    /// to be announced go out first, so no message overtakes a claim made before it.
    /// </summary>
    private IGameClient Players(string? except = null)
    {
        _announcer.Flush();
        return except is null ? _hub.Clients.Group(Group) : _hub.Clients.GroupExcept(Group, except);
    }

    private GameChange Change(GameChangeKind kind, string? player) => new(kind, Id, player, View());

    private bool ClaimsObserved()
    {
        // A for loop: a foreach over the interface would allocate an enumerator on every claim.
        for (var i = 0; i < _observers.Count; i++)
        {
            if (_observers[i].WantsClaimsOf(Id))
            {
                return true;
            }
        }
        return false;
    }

    private void Notify(List<GameChange> changes)
    {
        foreach (var change in changes)
        {
            foreach (var observer in _observers)
            {
                try
                {
                    observer.OnGameChanged(change);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    Log.ObserverFailed(_logger, Id, ex);
                }
            }
        }
    }

    /// <summary>A claim waiting for its group commit; completed with the answer or the refusal.</summary>
    private sealed class PendingClaim(ClaimRequest request, long started) : TaskCompletionSource<CellClaimed>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public ClaimRequest Request { get; } = request;

        public long Started { get; } = started;
    }

    /// <summary>The data of a Finished event, as written to the history.</summary>
    internal sealed record FinishedData(string Reason, IReadOnlyList<string> Winners, IReadOnlyList<PlayerScore> Players);

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.GameFinished, EventName = "GameFinished", Level = LogLevel.Information, Message = "Game {Session} finished ({Reason}); winners: {Winners}")]
        public static partial void Finished(ILogger logger, string session, FinishReason reason, string winners);

        [LoggerMessage(EventId = EventIds.GameObserverFailed, Level = LogLevel.Warning, Message = "A game observer failed on a change of game {Session}")]
        public static partial void ObserverFailed(ILogger logger, string session, Exception ex);

        [LoggerMessage(EventId = EventIds.ClaimsFailed, Level = LogLevel.Warning, Message = "Game {Session}: a batch of {Count} claims failed in the store; none of them was acknowledged")]
        public static partial void ClaimsFailed(ILogger logger, string session, int count, Exception ex);

        [LoggerMessage(EventId = EventIds.AnnounceFailed, Level = LogLevel.Warning, Message = "Game {Session}: announcing stored claims failed")]
        public static partial void AnnounceFailed(ILogger logger, string session, Exception ex);

        [LoggerMessage(EventId = EventIds.FinishFailed, Level = LogLevel.Warning, Message = "Game {Session}: the board is full but storing the finish failed; the game ends on time")]
        public static partial void FinishFailed(ILogger logger, string session, Exception ex);

        [LoggerMessage(EventId = EventIds.GameStateLost, EventName = "GameStateLost", Level = LogLevel.Error, Message = "Game {Session}: the store is reachable but lost the game's state (a Redis without persistence that restarted?); the game ends, and its acknowledged events go to the history from this server's copy")]
        public static partial void StateLost(ILogger logger, string session);
    }
}
