using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using GridGame.GameServer.Game;
using GridGame.GameServer.Operations;
using StackExchange.Redis;

namespace GridGame.GameServer.Stores;

/// <summary>
/// Games in Redis, one hash tag per game so a cluster keeps them together: <c>gg:{id}:meta</c> (phase and state
/// JSON), <c>:board</c> (cell → player), <c>:scores</c>, <c>:last</c> (last claim time per player) and <c>:events</c>,
/// a Stream read by the history through the consumer group <c>history</c>. <c>gg:games</c> lists unfinished games,
/// <c>gg:history</c> games whose events may not all be in the history yet. The prefix <c>gg</c> is
/// <c>GridGame:RedisPrefix</c>.
/// </summary>
internal sealed class RedisGameStore(IConnectionMultiplexer redis, string prefix = "gg", TimeSpan? orphanAfter = null) : IGameStore
{
    public const string HistoryGroup = "history";
    private const int MaxStreamsPerRead = 64;
    private static readonly TimeSpan FinishedGameTtl = TimeSpan.FromHours(1);
    private long _idleReads;
    // A claim batch's five keys, built once per game: building them per batch was half of the server's string garbage.
    // Keyed by the game id's own string, which its LiveGame holds for the game's life, so an entry goes with its game.
    private readonly ConditionalWeakTable<string, RedisKey[]> _claimKeys = new();
    private readonly string _gamesKey = prefix + ":games";
    private readonly string _historyKey = prefix + ":history";

    // GetDatabase is cheap but not free; the multiplexer is one per process and its default database never changes.
    private IDatabase Db { get; } = redis.GetDatabase();

    public string Name => "redis";

    public async Task<bool> IsReachableAsync(CancellationToken cancellationToken)
    {
        await Db.PingAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task<GameState> CreateAsync(GameState initial, GameEvent opened, CancellationToken cancellationToken)
    {
        using var activity = GameTracing.StoreCall("redis create", initial.Id);
        var keys = Key(initial.Id);
        await ClaimScript.Create.EvaluateAsync(Db, new
        {
            meta = keys.Meta,
            events = keys.Events,
            games = (RedisKey)_gamesKey,
            history = (RedisKey)_historyKey,
            phase = initial.Phase.ToString(),
            state = StateJson(initial),
            at = opened.At.ToUnixTimeMilliseconds(),
            data = opened.Data ?? "",
            id = initial.Id,
        }).WaitAsync(cancellationToken).ConfigureAwait(false);
        return await LoadAsync(initial.Id, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"game {initial.Id} vanished from Redis right after it was created");
    }

    public async Task<GameState?> LoadAsync(string gameId, CancellationToken cancellationToken)
    {
        using var activity = GameTracing.StoreCall("redis load", gameId);
        var keys = Key(gameId);
        var db = Db;
        var stateTask = db.HashGetAsync(keys.Meta, "state");
        var boardTask = db.HashGetAllAsync(keys.Board);
        var scoresTask = db.HashGetAllAsync(keys.Scores);
        var lastTask = db.HashGetAllAsync(keys.Last);
        var tailTask = db.StreamRangeAsync(keys.Events, "-", "+", 1, Order.Descending);
        await Task.WhenAll(stateTask, boardTask, scoresTask, lastTask, tailTask).WaitAsync(cancellationToken).ConfigureAwait(false);
        var json = (string?)await stateTask.ConfigureAwait(false);
        if (json is null)
        {
            return null;
        }
        var state = JsonSerializer.Deserialize<GameState>(json)!;
        var cells = new string?[state.Settings.BoardSize * state.Settings.BoardSize];
        foreach (var entry in await boardTask.ConfigureAwait(false))
        {
            if (int.TryParse((string?)entry.Name, NumberStyles.None, CultureInfo.InvariantCulture, out var cell) && cell < cells.Length)
            {
                cells[cell] = entry.Value;
            }
        }
        var scores = (await scoresTask.ConfigureAwait(false)).ToDictionary(e => (string)e.Name!, e => (int)e.Value, StringComparer.Ordinal);
        var last = (await lastTask.ConfigureAwait(false)).ToDictionary(e => (string)e.Name!, e => (long)e.Value, StringComparer.Ordinal);
        var players = state.Players.Select(p => p with
        {
            Score = scores.GetValueOrDefault(p.Id),
            LastClaimAt = last.TryGetValue(p.Id, out var ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : p.LastClaimAt,
        }).ToList();
        var tail = await tailTask.ConfigureAwait(false);
        var seq = tail.Length > 0 ? Math.Max(state.Seq, (long)tail[0]["seq"]) : state.Seq;
        return state with { Cells = cells, Players = players, Seq = seq };
    }

    public async Task<IReadOnlyList<string>> ListUnfinishedAsync(CancellationToken cancellationToken)
    {
        var ids = await Db.SetMembersAsync(_gamesKey).WaitAsync(cancellationToken).ConfigureAwait(false);
        return [.. ids.Select(id => (string)id!)];
    }

    public async Task<IReadOnlyList<StoreClaim>> ClaimAllAsync(IReadOnlyList<GameEvent> claims, int boardSize, CancellationToken cancellationToken)
    {
        if (claims.Count == 0)
        {
            return [];
        }
        using var activity = GameTracing.StoreCall("redis claim", claims[0].GameId, claims.Count);
        var args = new RedisValue[1 + (5 * claims.Count)];
        args[0] = claims[0].Seq;
        for (var i = 0; i < claims.Count; i++)
        {
            var claim = claims[i];
            var a = 1 + (5 * i);
            args[a] = (claim.Row * boardSize) + claim.Col;
            args[a + 1] = claim.Player;
            args[a + 2] = claim.At.ToUnixTimeMilliseconds();
            args[a + 3] = claim.Row;
            args[a + 4] = claim.Col;
        }
        var gameId = claims[0].GameId;
        var keys = _claimKeys.TryGetValue(gameId, out var known) ? known : _claimKeys.GetValue(gameId, id => Key(id).OfClaimScript());
        RedisResult result;
        try
        {
            result = await Db.ScriptEvaluateAsync(ClaimScript.ClaimAllHash, keys, args).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            // A Redis that restarted (or flushed its scripts) does not know it, and ran nothing: send the script itself.
            result = await Db.ScriptEvaluateAsync(ClaimScript.ClaimAll, keys, args).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        var scores = (long[])result!;
        if (scores.Length > 0 && scores[0] == -3)
        {
            throw new GameStateLostException(gameId);
        }
        var answers = new StoreClaim[claims.Count];
        for (var i = 0; i < answers.Length; i++)
        {
            answers[i] = scores[i] switch
            {
                -1 => new StoreClaim(StoreClaimStatus.CellTaken, 0),
                -2 => new StoreClaim(StoreClaimStatus.NotPlaying, 0),
                var score => new StoreClaim(StoreClaimStatus.Claimed, (int)score),
            };
        }
        return answers;
    }

    public async Task RecordAsync(GameEvent gameEvent, GameState after, CancellationToken cancellationToken)
    {
        using var activity = GameTracing.StoreCall("redis record", gameEvent.GameId);
        var keys = Key(gameEvent.GameId);
        var recorded = await ClaimScript.Record.EvaluateAsync(Db, new
        {
            meta = keys.Meta,
            events = keys.Events,
            games = (RedisKey)_gamesKey,
            phase = after.Phase.ToString(),
            state = StateJson(after),
            seq = gameEvent.Seq,
            type = gameEvent.Type.ToString(),
            player = gameEvent.Player ?? "",
            at = gameEvent.At.ToUnixTimeMilliseconds(),
            data = gameEvent.Data ?? "",
            id = gameEvent.GameId,
        }).WaitAsync(cancellationToken).ConfigureAwait(false);
        if ((int)recorded == 0)
        {
            throw new GameStateLostException(gameEvent.GameId);
        }
    }

    public async Task<IReadOnlyList<GameEvent>> ReadForHistoryAsync(string consumer, int max, CancellationToken cancellationToken)
    {
        var games = await Db.SetRandomMembersAsync(_historyKey, MaxStreamsPerRead).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (games.Length == 0)
        {
            return [];
        }
        var perStream = Math.Max(1, max / games.Length);
        // First what was handed to this consumer before and never acknowledged (a failed write), then new entries.
        var pending = await ReadAsync(games, "0-0", consumer, perStream, cancellationToken).ConfigureAwait(false);
        if (pending.Count > 0)
        {
            return pending;
        }
        var fresh = await ReadAsync(games, StreamPosition.NewMessages, consumer, perStream, cancellationToken).ConfigureAwait(false);
        if (fresh.Count > 0 || Interlocked.Increment(ref _idleReads) % 25 != 0)
        {
            return fresh;
        }
        // Now and then, when idle: take over entries another consumer (a server that died) was handed and never acknowledged.
        return await AutoClaimAsync(games, consumer, perStream, cancellationToken).ConfigureAwait(false);
    }

    private async Task<List<GameEvent>> AutoClaimAsync(RedisValue[] games, string consumer, int perStream, CancellationToken cancellationToken)
    {
        var events = new List<GameEvent>();
        foreach (var game in games)
        {
            var result = await Db.StreamAutoClaimAsync(Key(game!).Events, HistoryGroup, consumer, (long)(orphanAfter ?? TimeSpan.FromMinutes(1)).TotalMilliseconds, "0-0", perStream)
                .WaitAsync(cancellationToken).ConfigureAwait(false);
            events.AddRange(result.ClaimedEntries.Where(e => !e.IsNull).Select(entry => ToEvent(game!, entry)));
        }
        return events;
    }

    public async Task AcknowledgeAsync(IReadOnlyList<GameEvent> events, CancellationToken cancellationToken)
    {
        using var activity = GameTracing.StoreCall("redis acknowledge", events: events.Count);
        // Sent together, not one game after another: StackExchange.Redis pipelines them on its connection, so a batch
        // from 64 games costs about one round trip (and one wake-up of this thread) instead of 64.
        var db = Db;
        var sent = new List<Task>();
        foreach (var game in events.GroupBy(e => e.GameId, StringComparer.Ordinal))
        {
            var keys = Key(game.Key);
            sent.Add(db.StreamAcknowledgeAsync(keys.Events, HistoryGroup, [.. game.Select(e => (RedisValue)e.Receipt)]));
            if (game.Any(e => e.Type == GameEventType.Finished))
            {
                // The history has all of this game now: it leaves Redis an hour later. On one connection these run
                // after the acknowledgement above, in the order sent.
                sent.Add(db.SetRemoveAsync(_historyKey, game.Key));
                foreach (var key in new[] { keys.Meta, keys.Board, keys.Scores, keys.Last, keys.Events })
                {
                    sent.Add(db.KeyExpireAsync(key, FinishedGameTtl));
                }
            }
        }
        await Task.WhenAll(sent).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<long> HistoryLagAsync(CancellationToken cancellationToken)
    {
        var db = Db;
        var games = await db.SetMembersAsync(_historyKey).WaitAsync(cancellationToken).ConfigureAwait(false);
        // One pipelined request per game, awaited together (see AcknowledgeAsync).
        var infos = await Task.WhenAll(games.Select(game => db.StreamGroupInfoAsync(Key(game!).Events))).WaitAsync(cancellationToken).ConfigureAwait(false);
        long lag = 0;
        foreach (var group in infos.SelectMany(groups => groups).Where(g => g.Name == HistoryGroup))
        {
            lag += group.PendingMessageCount + (group.Lag ?? 0);
        }
        return lag;
    }

    private async Task<List<GameEvent>> ReadAsync(RedisValue[] games, RedisValue from, string consumer, int perStream, CancellationToken cancellationToken)
    {
        var positions = games.Select(g => new StreamPosition(Key(g!).Events, from)).ToArray();
        var streams = await Db.StreamReadGroupAsync(positions, HistoryGroup, consumer, perStream).WaitAsync(cancellationToken).ConfigureAwait(false);
        var events = new List<GameEvent>();
        for (var i = 0; i < streams.Length; i++)
        {
            var gameId = Keys.GameOf(streams[i].Key);
            events.AddRange(streams[i].Entries.Select(entry => ToEvent(gameId, entry)));
        }
        return events;
    }

    private static GameEvent ToEvent(string gameId, StreamEntry entry)
    {
        // The fields by their names' bytes, without a dictionary or a string per name: the history reads every claim,
        // and building both for each was most of what it allocated.
        long? seq = null, at = null;
        GameEventType? type = null;
        int row = 0, col = 0;
        string? player = null, data = null;
        foreach (var field in entry.Values)
        {
            var name = ((ReadOnlyMemory<byte>)field.Name).Span;
            var value = field.Value;
            if (name.SequenceEqual("seq"u8))
            {
                seq = (long)value;
            }
            else if (name.SequenceEqual("type"u8))
            {
                type = ((ReadOnlyMemory<byte>)value).Span.SequenceEqual("Claimed"u8) ? GameEventType.Claimed : Enum.Parse<GameEventType>((string)value!);
            }
            else if (name.SequenceEqual("player"u8))
            {
                player = value.IsNullOrEmpty ? null : (string?)value;
            }
            else if (name.SequenceEqual("row"u8))
            {
                row = (int)value;
            }
            else if (name.SequenceEqual("col"u8))
            {
                col = (int)value;
            }
            else if (name.SequenceEqual("at"u8))
            {
                at = (long)value;
            }
            else if (name.SequenceEqual("data"u8))
            {
                data = value.IsNullOrEmpty ? null : (string?)value;
            }
        }
        if (seq is null || type is null || at is null)
        {
            throw new InvalidDataException($"event {entry.Id} of game {gameId} lacks seq, type or at");
        }
        return new GameEvent(gameId, seq.Value, type.Value, player, row, col, DateTimeOffset.FromUnixTimeMilliseconds(at.Value), data) { Receipt = entry.Id };
    }

    private static string StateJson(GameState state) => JsonSerializer.Serialize(state with { Cells = [] });

    private Keys Key(string id) => new(prefix, id);

    private readonly record struct Keys(string Prefix, string Id)
    {
        public RedisKey Meta => $"{Prefix}:{{{Id}}}:meta";

        public RedisKey Board => $"{Prefix}:{{{Id}}}:board";

        public RedisKey Scores => $"{Prefix}:{{{Id}}}:scores";

        public RedisKey Last => $"{Prefix}:{{{Id}}}:last";

        public RedisKey Events => $"{Prefix}:{{{Id}}}:events";

        /// <summary>The keys of <see cref="ClaimScript.ClaimAll"/>, in its order.</summary>
        public RedisKey[] OfClaimScript() => [Meta, Board, Scores, Last, Events];

        public static string GameOf(RedisKey eventsKey)
        {
            var key = (string)eventsKey!;
            var open = key.IndexOf('{', StringComparison.Ordinal);
            var close = key.LastIndexOf('}');
            return key[(open + 1)..close];
        }
    }
}
