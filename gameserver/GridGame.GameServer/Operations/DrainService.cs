using GridGame.GameServer.Game;
using Microsoft.Extensions.Options;

namespace GridGame.GameServer.Operations;

/// <summary>
/// The drain: refuse new joins and tell every player (<c>ServerDraining</c>), then give them
/// <c>GridGame:DrainSeconds</c> to leave; the history writer flushes as it stops after. It must run before
/// ApplicationStopping, on which SignalR closes every connection. A signal reaches it through
/// <see cref="DrainingLifetime"/>, which drains and only then stops the application; a host stopped through
/// <c>StopAsync</c> drains in <see cref="StoppingAsync"/>, which the host runs before it fires ApplicationStopping.
/// </summary>
internal sealed partial class DrainService(
    DrainState drain,
    GameDirectory directory,
    GameMetrics metrics,
    IOptions<GameServerOptions> options,
    TimeProvider time,
    ILogger<DrainService> logger) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => DrainAsync(cancellationToken);

    /// <summary>Already drained on the way here, unless the host stopped before it started; then there is nobody to tell.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => DrainAsync(cancellationToken);

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        if (!drain.Begin())
        {
            return;
        }
        var games = directory.Games.ToList();
        Log.Draining(logger, games.Count);
        foreach (var game in games)
        {
            try
            {
                await game.AnnounceDrainingAsync("server draining: finish or move to another server").WaitAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.NoticeFailed(logger, ex, game.Id);
            }
        }
        // Give players the drain window to leave (their clients see ServerDraining); the connections close after it.
        // The window is on the server's clock, so a test's fake clock moves through it without waiting.
        var deadline = time.GetUtcNow().AddSeconds(options.Value.DrainSeconds);
        while (metrics.Connections.Value > 0 && time.GetUtcNow() < deadline && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), time, CancellationToken.None);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Draining, Level = LogLevel.Information, Message = "Draining: refusing new joins and telling the players of {Games} games")]
        public static partial void Draining(ILogger logger, int games);

        [LoggerMessage(EventId = EventIds.DrainNoticeFailed, Level = LogLevel.Warning, Message = "Could not tell the players of game {Session} that the server is draining")]
        public static partial void NoticeFailed(ILogger logger, Exception ex, string session);
    }
}
