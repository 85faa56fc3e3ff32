using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace GridGame.GameServer.Stores;

/// <summary>The Lua scripts that make each change to a game in Redis one atomic step.</summary>
internal static class ClaimScript
{
    /// <summary>
    /// Claims of one game, in order, in one call (a group commit). KEYS: meta, board, scores, last, events. ARGV: the
    /// first claim's seq, then five per claim: cell, player, atMs, row, col. Returns one number per claim: the new
    /// score, -1 when the cell is taken, -2 when the game is not in play, -3 when the game is not there at all (its
    /// state was lost: nothing is written, so a claim never brings back part of a game). Each claim's checks run before its first
    /// write, so each is all or nothing; a refused claim takes no seq, so the stored ones are numbered without gaps.
    /// Called by its hash (<see cref="ClaimAllHash"/>); after a NOSCRIPT (a restarted Redis) the script itself is sent,
    /// which loads it again.
    /// </summary>
    public const string ClaimAll = """
        local n = (#ARGV - 1) / 5
        local results = {}
        local phase = redis.call('HGET', KEYS[1], 'phase')
        if phase ~= 'Playing' then
          for i = 1, n do results[i] = phase and -2 or -3 end
          return results
        end
        local seq = tonumber(ARGV[1])
        for i = 1, n do
          local a = 1 + (i - 1) * 5
          local cell, player, at = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
          if redis.call('HSETNX', KEYS[2], cell, player) == 0 then
            results[i] = -1
          else
            results[i] = redis.call('HINCRBY', KEYS[3], player, 1)
            redis.call('HSET', KEYS[4], player, at)
            redis.call('XADD', KEYS[5], '*', 'seq', string.format('%d', seq), 'type', 'Claimed', 'player', player, 'row', ARGV[a + 4], 'col', ARGV[a + 5], 'at', at)
            seq = seq + 1
          end
        end
        return results
        """;

    /// <summary>
    /// The SHA-1 of <see cref="ClaimAll"/>, for <c>EVALSHA</c>. Calling by hash directly skips the string overload's
    /// own async wrapper (an allocation on every claim); <c>RedisGameStore</c> sends the script itself after a NOSCRIPT.
    /// </summary>
#pragma warning disable CA5350 // SHA-1 is what Redis names scripts by; nothing here depends on its strength.
    public static readonly byte[] ClaimAllHash = SHA1.HashData(Encoding.UTF8.GetBytes(ClaimAll));
#pragma warning restore CA5350

    /// <summary>
    /// Replaces the game's state and logs one event. KEYS: meta, events, games. ARGV: phase, state, seq, type, player,
    /// atMs, data, id. Returns 1, or 0 (writing nothing) when the game is not there: its state was lost, and writing
    /// this would bring back a game without its board, scores or history group.
    /// </summary>
    public static readonly LuaScript Record = LuaScript.Prepare("""
        if redis.call('EXISTS', @meta) == 0 then return 0 end
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
