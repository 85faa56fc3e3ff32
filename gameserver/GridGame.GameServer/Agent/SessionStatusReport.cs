using System.Globalization;
using System.Text.Json.Nodes;
using GridGame.GameServer.Game;

namespace GridGame.GameServer.Agent;

/// <summary>
/// What a game looks like in its GameSession's status (docs/guides/sessions.md): a pure mapping from the game to the
/// merge patch the agent sends to <c>/status</c>. The operator owns the allocation fields; the server owns these.
/// </summary>
internal static class SessionStatusReport
{
    public static JsonObject MergePatch(GameView game)
    {
        var status = new JsonObject
        {
            ["players"] = new JsonArray([.. game.Players
                .OrderBy(p => p.Id, StringComparer.Ordinal)
                .Select(p => (JsonNode)new JsonObject { ["id"] = p.Id, ["connected"] = p.Connected, ["score"] = p.Score })]),
        };

        // A game waiting for players leaves the session Allocated; play makes it Running; the end makes it Finished.
        switch (game.Phase)
        {
            case GamePhase.Playing:
                status["phase"] = "Running";
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
        _ => "the game ended",
    };

    // RFC 3339 in UTC with whole seconds, as Kubernetes writes metav1.Time.
    private static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
