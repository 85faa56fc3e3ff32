using GridGame.GameServer.Game;
using Microsoft.Extensions.Options;

namespace GridGame.GameServer.Operations;

/// <summary>
/// On SIGTERM: refuse new joins and tell every player (<c>ServerDraining</c>); the history writer then flushes as it
/// stops. SignalR closes every connection on ApplicationStopping, the first shutdown signal, and callbacks run last
/// registered first; so the drain registers on that signal when the first player connects (SignalR's own handler
/// exists by then) and runs before the connections close. StopAsync drains too, for a server nobody joined.
/// </summary>
internal sealed partial class DrainService(
    DrainState drain,
    GameDirectory directory,
    GameMetrics metrics,
    IHostApplicationLifetime lifetime,
    IOptions<GameServerOptions> options,
    TimeProvider time,
    ILogger<DrainService> logger) : IHostedService
{
    private CancellationTokenRegistration _registration;
    private int _registered;

    /// <summary>Called by the hub on each connection; registers the drain on ApplicationStopping the first time.</summary>
    public void EnsureRegistered()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
        {
            _registration = lifetime.ApplicationStopping.Register(() => DrainAsync(CancellationToken.None).Wait(TimeSpan.FromSeconds(options.Value.DrainSeconds + 3)));
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await DrainAsync(cancellationToken);
        await _registration.DisposeAsync();
    }

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
