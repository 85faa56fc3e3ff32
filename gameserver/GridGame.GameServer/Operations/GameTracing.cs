using System.Diagnostics;

namespace GridGame.GameServer.Operations;

/// <summary>
/// The game server's spans: store calls and history batches. Hub invocations are SignalR's own spans (its
/// <see cref="SignalRSourceName"/> source, one per call, named <c>{hub}/{method}</c>), so the claim path carries no
/// tracing code of ours. Exported only when an OTLP endpoint is configured; with no listener <c>StartActivity</c>
/// returns null, and the tags below are never built.
/// </summary>
internal static class GameTracing
{
    public const string SourceName = "GridGame.GameServer";

    public const string SignalRSourceName = "Microsoft.AspNetCore.SignalR.Server";

    public const string GameTag = "gridgame.game";

    public const string EventsTag = "gridgame.events";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>A span around one call to the game store (<paramref name="operation"/>: <c>redis claim</c>…).</summary>
    public static Activity? StoreCall(string operation, string? gameId = null, int? events = null)
    {
        var activity = Source.StartActivity(operation, ActivityKind.Client);
        if (activity is not null)
        {
            activity.SetTag("db.system.name", "redis");
            if (gameId is not null)
            {
                activity.SetTag(GameTag, gameId);
            }

            if (events is { } count)
            {
                activity.SetTag(EventsTag, count);
            }
        }

        return activity;
    }
}
