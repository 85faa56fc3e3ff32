using System.Net;
using GridGame.Crds;
using GridGame.GameServer.Game;
using GridGame.GameServer.Stores;
using GridGame.Kube;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;
using Settings = GridGame.GameServer.Game.GameSettings;

namespace GridGame.GameServer.Agent;

/// <summary>
/// The game server's link to Kubernetes (docs/design.md, "The game server and the API server"): watches the GameSessions bound to this pod
/// (label <c>gridgame.io/server=POD_NAME</c>), opens a game for each with its players and settings, and reports
/// the game back into the session's status. It needs only get/list/watch on gamesessions and patch on their status.
/// </summary>
internal sealed partial class SessionAgent(
    GameDirectory games,
    IGameStore store,
    SessionReporter reporter,
    TimeProvider time,
    AgentState state,
    IOptions<GameServerOptions> options,
    IConfiguration configuration,
    ILogger<SessionAgent> logger) : BackgroundService
{
    private static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(250);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pod = configuration["POD_NAME"];
        var ns = configuration["POD_NAMESPACE"];
        if (options.Value.Standalone == true || string.IsNullOrEmpty(pod) || string.IsNullOrEmpty(ns))
        {
            return;
        }

        state.Live = false;
        state.Problem = "the session watch has not started";
        using var client = new Kubernetes(Configuration(configuration["KUBECONFIG"]));
        await Task.WhenAll(WatchAsync(client, ns, pod, stoppingToken), ReportAsync(client, ns, stoppingToken)).ConfigureAwait(false);
    }

    // From the configuration, which holds the environment, so a test can point a server at its own API server.
    private static KubernetesClientConfiguration Configuration(string? kubeconfig) =>
        kubeconfig is { Length: > 0 } path
            ? KubernetesClientConfiguration.BuildConfigFromConfigFile(path)
            : KubernetesClientConfiguration.InClusterConfig();

    /// <summary>List, open what is there, then watch from the list's version; any error or end relists, with back-off.</summary>
    private async Task WatchAsync(Kubernetes client, string ns, string pod, CancellationToken cancellationToken)
    {
        var selector = $"{WellKnown.ServerLabel}={pod}";
        // Jittered, so that the servers of a fleet which lost the API server together do not all relist together.
        var backoff = new Backoff(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), time, jitter: 0.25);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var list = await client.CustomObjects.ListNamespacedCustomObjectAsync<GameSessionList>(
                    GridGameApi.Group, GridGameApi.Version, ns, GameSession.KubePluralName, labelSelector: selector, cancellationToken: cancellationToken).ConfigureAwait(false);
                foreach (var session in list.Items)
                {
                    await OpenAsync(session, cancellationToken).ConfigureAwait(false);
                }

                Exception? watchError = null;
                var watch = client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync(
                    GridGameApi.Group, GridGameApi.Version, ns, GameSession.KubePluralName,
                    allowWatchBookmarks: true, labelSelector: selector, resourceVersion: list.Metadata.ResourceVersion,
                    timeoutSeconds: 300, watch: true, cancellationToken: cancellationToken);
                state.Live = true;
                state.Problem = null;
                backoff.Reset();
                // The typed watch over a list call: 21.0.8 marks it obsolete in favour of WatchList*Async, which is untyped
                // for custom objects. onError receives ERROR events (410 Expired) that would otherwise end the stream silently.
#pragma warning disable CS0618
                var events = watch.WatchAsync<GameSession, object>(e => watchError = e, cancellationToken);
#pragma warning restore CS0618
                await foreach (var (type, session) in events.ConfigureAwait(false))
                {
                    switch (type)
                    {
                        case WatchEventType.Added or WatchEventType.Modified:
                            await OpenAsync(session, cancellationToken).ConfigureAwait(false);
                            break;
                        case WatchEventType.Deleted:
                            Close(session.Metadata.Name);
                            break;
                    }
                }

                // A 410 (or any ERROR event) arrives through onError; a normal end is the server's timeout. Both relist.
                if (watchError is not null)
                {
                    Log.WatchEnded(logger, watchError.Message, null);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpOperationException or HttpRequestException or IOException or KubernetesException)
            {
                state.Live = false;
                state.Problem = $"the session watch failed: {Describe(ex)}";
                Log.WatchFailed(logger, Describe(ex), ex);
                await backoff.WaitAsync(backoff.Next(), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task OpenAsync(GameSession session, CancellationToken cancellationToken)
    {
        var name = session.Metadata.Name;
        if (session.Metadata.DeletionTimestamp is not null)
        {
            Close(name);
            return;
        }

        if (session.Status?.Phase is SessionPhase.Failed)
        {
            // A game that ended because its state was lost fails its session, and stays for its players to see, as
            // finished games do, until the clock forgets it; an unfinished one goes with its session.
            reporter.Untrack(name);
            if (games.Find(name) is not { Phase: GamePhase.Finished })
            {
                games.Close(name);
            }
            return;
        }

        if (session.Status?.Phase is SessionPhase.Finished || games.IsLost(name))
        {
            return;
        }

        // A game open here, or one the store kept through a restart of this server, is reported from its state now
        // on: a recovered game changed unseen (claims acknowledged before the restart, a finish on the clock).
        LiveGame? game;
        try
        {
            game = games.Find(name) ?? await games.RecoverAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            // Relisting (with back-off) tries again: the session must not be opened afresh while its state is unknown.
            throw new IOException($"could not read game {name} from the {store.Name} store: {ex.Message}", ex);
        }
        if (game is not null)
        {
            if (reporter.Track(name))
            {
                reporter.Report(game.View());
            }
            return;
        }

        if (SessionRecovery.WasServed(session.Status))
        {
            var message = SessionRecovery.LostMessage(store.Name);
            games.MarkLost(name, message);
            reporter.Fail(name, WellKnown.SessionReasons.ServerLost, message, time.GetUtcNow());
            Log.Lost(logger, name, message, null);
            return;
        }

        var settings = SessionSettings.For(options.Value.Game, session.Spec.Game);
        reporter.Track(name);
        await games.OpenAsync(name, settings, [.. session.Spec.Players ?? []], cancellationToken).ConfigureAwait(false);
        Log.Opened(logger, name, settings.BoardSize, null);
    }

    private void Close(string name)
    {
        reporter.Untrack(name);
        games.Close(name);
    }

    /// <summary>Writes the newest picture of each changed game into its session's status, a few times a second at most.</summary>
    private async Task ReportAsync(Kubernetes client, string ns, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            IReadOnlyList<SessionReport> changed;
            try
            {
                changed = await reporter.TakeAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            foreach (var report in changed)
            {
                try
                {
                    var patch = new V1Patch(SessionStatusReport.MergePatch(report).ToJsonString(), V1Patch.PatchType.MergePatch);
                    await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(patch, GridGameApi.Group, GridGameApi.Version, ns, GameSession.KubePluralName, report.Session, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
                {
                    Close(report.Session);
                }
                catch (Exception ex) when (ex is HttpOperationException or HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
                {
                    Log.ReportFailed(logger, report.Session, Describe(ex), ex);
                    reporter.Retry(report);
                }
            }

            // Coalesce: whatever changes in the meantime goes out in the next round as one patch per game.
            try
            {
                await Task.Delay(FlushInterval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static string Describe(Exception ex) => ex is HttpOperationException http
        ? $"{(int)http.Response.StatusCode} {http.Response.Content}"
        : ex.Message;

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.SessionOpened, Level = LogLevel.Information, Message = "Opened game {Session} for its GameSession (board {BoardSize})")]
        public static partial void Opened(ILogger logger, string session, int boardSize, Exception? ex);

        [LoggerMessage(EventId = EventIds.SessionWatchFailed, Level = LogLevel.Warning, Message = "The GameSession watch failed: {Problem}; relisting")]
        public static partial void WatchFailed(ILogger logger, string problem, Exception ex);

        [LoggerMessage(EventId = EventIds.SessionWatchEnded, Level = LogLevel.Information, Message = "The GameSession watch ended: {Problem}; relisting")]
        public static partial void WatchEnded(ILogger logger, string problem, Exception? ex);

        [LoggerMessage(EventId = EventIds.SessionLost, Level = LogLevel.Warning, Message = "GameSession {Session} failed: {Problem}")]
        public static partial void Lost(ILogger logger, string session, string problem, Exception? ex);

        [LoggerMessage(EventId = EventIds.SessionReportFailed, Level = LogLevel.Warning, Message = "Could not report game {Session} to its GameSession: {Problem}; will retry")]
        public static partial void ReportFailed(ILogger logger, string session, string problem, Exception ex);
    }
}

/// <summary>The settings of a session's game: the fleet's (this server's configuration) with the session's overrides.</summary>
internal static class SessionSettings
{
    public static Settings For(Settings fleet, GameOverrides? overrides) => overrides is null
        ? fleet
        : fleet with
        {
            BoardSize = overrides.BoardSize ?? fleet.BoardSize,
            MaxPlayers = overrides.MaxPlayers ?? fleet.MaxPlayers,
            MinPlayers = overrides.MinPlayers ?? fleet.MinPlayers,
            DurationSeconds = overrides.DurationSeconds ?? fleet.DurationSeconds,
        };
}
