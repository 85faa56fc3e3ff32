using Microsoft.Extensions.Options;

namespace GridGame.GameServer.Game;

/// <summary>
/// Ends games whose time is up (checked every second), forgets finished games after
/// <c>GridGame:FinishedRetentionSeconds</c>, and recovers the store's unfinished games at start.
/// </summary>
internal sealed partial class GameClock(GameDirectory directory, TimeProvider time, IOptions<GameServerOptions> options, ILogger<GameClock> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await directory.RecoverAllAsync(stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.RecoveryFailed(logger, ex);
        }
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await TickAllAsync(stoppingToken);
        }
    }

    public async Task TickAllAsync(CancellationToken cancellationToken)
    {
        var forgetBefore = time.GetUtcNow().AddSeconds(-options.Value.FinishedRetentionSeconds);
        foreach (var game in directory.Games)
        {
            if (game.FinishedAt is { } finished && finished < forgetBefore)
            {
                directory.Close(game.Id);
                continue;
            }
            try
            {
                await game.TickAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.EndOnTimeFailed(logger, ex, game.Id);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.RecoveryFailed, Level = LogLevel.Warning, Message = "Could not recover games from the store at start; they are recovered when players join")]
        public static partial void RecoveryFailed(ILogger logger, Exception ex);

        [LoggerMessage(EventId = EventIds.EndOnTimeFailed, Level = LogLevel.Warning, Message = "Ending game {Session} on time failed; retrying on the next tick")]
        public static partial void EndOnTimeFailed(ILogger logger, Exception ex, string session);
    }
}
