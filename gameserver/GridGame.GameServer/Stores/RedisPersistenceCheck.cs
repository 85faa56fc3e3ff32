using StackExchange.Redis;

namespace GridGame.GameServer.Stores;

/// <summary>
/// At start, asks Redis whether it keeps an append-only file and warns when it does not: a Redis without persistence
/// that restarts comes back empty, and every game in it ends as StateLost (docs/contributing/gameserver.md, "Redis persistence").
/// </summary>
internal sealed partial class RedisPersistenceCheck(IConnectionMultiplexer redis, ILogger<RedisPersistenceCheck> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (await ProblemAsync(redis, stoppingToken).ConfigureAwait(false) is { } problem)
            {
                Log.NotPersistent(logger, problem);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or InvalidOperationException)
        {
            // INFO may be renamed or refused (a managed Redis), or Redis not up yet; the server works either way.
            Log.NotChecked(logger, ex.Message);
        }
    }

    /// <summary>Why this Redis would lose games when it restarts, or null when it keeps an append-only file.</summary>
    public static async Task<string?> ProblemAsync(IConnectionMultiplexer redis, CancellationToken cancellationToken)
    {
        // INFO through Execute: the typed CONFIG and INFO calls need the multiplexer's admin mode, which the store has no other use for.
        var info = (string?)await redis.GetDatabase().ExecuteAsync("INFO", "persistence").WaitAsync(cancellationToken).ConfigureAwait(false) ?? "";
        var aof = info.Split('\n').Select(line => line.Trim()).FirstOrDefault(line => line.StartsWith("aof_enabled:", StringComparison.Ordinal))?["aof_enabled:".Length..];
        return aof == "1"
            ? null
            : $"Redis at {string.Join(",", redis.GetEndPoints().Select(e => e.ToString()))} runs without an append-only file (aof_enabled {aof ?? "unknown"}): if it restarts, every game in it is lost and ends as StateLost; set appendonly yes and appendfsync everysec";
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.RedisNotPersistent, Level = LogLevel.Warning, Message = "{Problem}")]
        public static partial void NotPersistent(ILogger logger, string problem);

        [LoggerMessage(EventId = EventIds.RedisPersistenceNotChecked, Level = LogLevel.Information, Message = "Could not ask Redis whether it persists its data: {Problem}")]
        public static partial void NotChecked(ILogger logger, string problem);
    }
}
