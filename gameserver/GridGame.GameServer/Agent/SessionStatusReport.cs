using System.Globalization;
using System.Text.Json.Nodes;
using GridGame.Crds;
using GridGame.GameServer.Game;

namespace GridGame.GameServer.Agent;

/// <summary>
/// What a game looks like in its GameSession's status (docs/guides/sessions.md): a pure mapping from the game to the
/// merge patch the agent sends to <c>/status</c>. The operator owns the allocation fields; the server owns these.
/// </summary>
internal static class SessionStatusReport
{
    public static JsonObject MergePatch(SessionReport report) => report switch
    {
        GameReport game => MergePatch(game.Game),
        FailureReport failure => MergePatch(failure),
        _ => throw new ArgumentOutOfRangeException(nameof(report), report, "an unknown kind of session report"),
    };

    /// <summary>A session that failed with no game here: the players recorded so far stay as they are.</summary>
    public static JsonObject MergePatch(FailureReport failure) => new()
    {
        ["status"] = new JsonObject
        {
            ["phase"] = "Failed",
            ["reason"] = failure.Reason,
            ["message"] = failure.Message,
            ["finishedAt"] = Timestamp(failure.At),
        },
    };

    public static JsonObject MergePatch(GameView game)
    {
        var status = new JsonObject
        {
            ["players"] = new JsonArray([.. game.Players
                .OrderBy(p => p.Id, StringComparer.Ordinal)
                .Select(p => (JsonNode)new JsonObject { ["id"] = p.Id, ["connected"] = p.Connected, ["score"] = p.Score })]),
        };

        // A game waiting for players leaves the session Allocated; play makes it Running; the end makes it Finished,
        // unless the game could not be played out (its state was lost): then the session Failed.
        switch (game.Phase)
        {
            case GamePhase.Playing:
                status["phase"] = "Running";
                break;
            case GamePhase.Finished when game.FinishReason == FinishReason.StateLost:
                status["phase"] = "Failed";
                status["reason"] = WellKnown.SessionReasons.StateLost;
                status["message"] = Message(game);
                status["winner"] = null;
                break;
            case GamePhase.Finished:
                status["phase"] = "Finished";
                status["reason"] = game.FinishReason.ToString();
                status["message"] = Message(game);
                status["winner"] = game.Winners.Count == 0 ? null : string.Join(",", game.Winners.Order(StringComparer.Ordinal));
                break;
        }

        if (game.StartedAt is { } started)
        {
            status["startedAt"] = Timestamp(started);
        }

        if (game.FinishedAt is { } finished)
        {
            status["finishedAt"] = Timestamp(finished);
        }

        return new JsonObject { ["status"] = status };
    }

    private static string Message(GameView game) => game.FinishReason switch
    {
        FinishReason.BoardFull => "every cell was claimed",
        FinishReason.TimeUp => "the time ran out",
        FinishReason.AllLeft => "every player left",
        FinishReason.StateLost => "the game's state vanished from the store (a Redis that restarted without persistence): the game could not go on; what was acknowledged is in the history",
        _ => "the game ended",
    };

    // RFC 3339 in UTC with whole seconds, as Kubernetes writes metav1.Time.
    private static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
