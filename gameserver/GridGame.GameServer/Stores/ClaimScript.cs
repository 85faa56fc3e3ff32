using StackExchange.Redis;

namespace GridGame.GameServer.Stores;

/// <summary>The Lua scripts that make each change to a game in Redis one atomic step.</summary>
internal static class ClaimScript
{
    /// <summary>
    /// KEYS: meta, board, scores, last, events. ARGV: cell, player, seq, atMs, row, col.
    /// Returns the new score, -1 when the cell is taken, -2 when the game is not in play. Every check runs before
    /// the first write, so the script changes all or nothing.
    /// </summary>
    public static readonly LuaScript Claim = LuaScript.Prepare("""
        if redis.call('HGET', @meta, 'phase') ~= 'Playing' then return -2 end
        if redis.call('HSETNX', @board, @cell, @player) == 0 then return -1 end
        local score = redis.call('HINCRBY', @scores, @player, 1)
        redis.call('HSET', @last, @player, @at)
        redis.call('XADD', @events, '*', 'seq', @seq, 'type', 'Claimed', 'player', @player, 'row', @row, 'col', @col, 'at', @at)
        return score
        """);

    /// <summary>Replaces the game's state and logs one event. KEYS: meta, events, games. ARGV: phase, state, seq, type, player, atMs, data, id.</summary>
    public static readonly LuaScript Record = LuaScript.Prepare("""
        redis.call('HSET', @meta, 'phase', @phase, 'state', @state)
        redis.call('XADD', @events, '*', 'seq', @seq, 'type', @type, 'player', @player, 'row', 0, 'col', 0, 'at', @at, 'data', @data)
        if @phase == 'Finished' then redis.call('SREM', @games, @id) else redis.call('SADD', @games, @id) end
        return 1
        """);

    /// <summary>Creates the game unless it exists. Returns 1 when created, 0 when it was there.</summary>
    public static readonly LuaScript Create = LuaScript.Prepare("""
        if redis.call('EXISTS', @meta) == 1 then return 0 end
        redis.call('HSET', @meta, 'phase', @phase, 'state', @state)
        redis.call('XADD', @events, '*', 'seq', 0, 'type', 'Opened', 'player', '', 'row', 0, 'col', 0, 'at', @at, 'data', @data)
        redis.call('XGROUP', 'CREATE', @events, 'history', '0')
        redis.call('SADD', @games, @id)
        redis.call('SADD', @history, @id)
        return 1
        """);
}
