using GridGame.GameServer.Game;

namespace GridGame.GameServer.Hubs;

/// <summary>
/// The <c>reason</c> label of <c>game_refusals_total</c> for a refusal's message: a fixed set of names, so a client can
/// never add a label value (a Prometheus series) of its own. Pure.
/// </summary>
internal static class RefusalReasons
{
    public const string RateLimited = "rate_limited";
    public const string BadInvocation = "bad_invocation";
    public const string ConnectionsPerPlayer = "connections_per_player";
    public const string ConnectionsPerAddress = "connections_per_address";
    public const string Other = "other";

    // The hub's and the game's refusal messages are stable (clients match on them), so their prefixes name the reason.
    private static readonly (string Prefix, string Reason)[] Prefixes =
    [
        (RateLimitedProtocol.TooManyRequests, RateLimited),
        ("server draining", "draining"),
        ("invalid session name", "invalid_session"),
        ("invalid player id", "invalid_player"),
        ("not authenticated", "not_authenticated"),
        ("not your game: no such session", "no_such_session"),
        (Refusal.NotListed.Message(), "not_listed"),
        (Refusal.GameFull.Message(), "game_full"),
        (Refusal.GameOver.Message(), "game_over"),
        (Refusal.NotJoined.Message(), "not_joined"),
        (Refusal.NotStarted.Message(), "not_started"),
        (Refusal.OutOfBounds.Message(), "out_of_bounds"),
        (Refusal.CellTaken.Message(), "cell_taken"),
        (Refusal.TooFast.Message(), "too_fast"),
        (LiveGame.StoreUnavailable, "store_unavailable"),
    ];

    public static string Of(string message)
    {
        foreach (var (prefix, reason) in Prefixes)
        {
            if (message.StartsWith(prefix, StringComparison.Ordinal))
            {
                return reason;
            }
        }
        return Other;
    }
}
