using GridGame.Crds;

namespace GridGame.GameServer.Agent;

/// <summary>
/// What a server does with a session bound to it whose game its store does not have. A session nothing happened in
/// yet opens a fresh game. A session whose status shows its game was already served — play started (phase
/// <c>Running</c> or <c>startedAt</c> set) or a player joined (<c>players</c> not empty) — lost that game with the
/// server's memory (or its store): opening a fresh one under the same name would hand the players an empty board
/// and mix two games in the history, so the session fails instead.
/// </summary>
internal static class SessionRecovery
{
    public static bool WasServed(GameSessionStatus? status) =>
        status is not null && (status.Phase == SessionPhase.Running || status.StartedAt is not null || status.Players is { Count: > 0 });

    public static string LostMessage(string store) =>
        $"the game server restarted and could not recover the game: its {store} store has no state for it";
}
