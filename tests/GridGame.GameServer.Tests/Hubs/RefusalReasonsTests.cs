using GridGame.GameServer.Game;
using GridGame.GameServer.Hubs;

namespace GridGame.GameServer.Tests.Hubs;

public sealed class RefusalReasonsTests
{
    public static TheoryData<string, string> Messages => new()
    {
        { "too many requests: slow down", "rate_limited" },
        { "server draining: join a game on another server", "draining" },
        { "invalid session name", "invalid_session" },
        { "not your game: no such session on this server", "no_such_session" },
        { Refusal.NotListed.Message(), "not_listed" },
        { Refusal.CellTaken.Message(), "cell_taken" },
        { Refusal.TooFast.Message(), "too_fast" },
        { Refusal.OutOfBounds.Message(), "out_of_bounds" },
        { LiveGame.StoreUnavailable, "store_unavailable" },
        { "anything a client could make up " + new string('x', 1000), "other" },
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void A_refusal_is_counted_under_a_reason_from_a_fixed_set(string message, string reason) =>
        RefusalReasons.Of(message).Should().Be(reason);

    [Theory]
    [InlineData(4, 64, 3, 63, null)]
    [InlineData(4, 64, 4, 0, "connections_per_player")]
    [InlineData(4, 64, 0, 64, "connections_per_address")]
    [InlineData(0, 0, 1000, 1000, null)] // 0 is no cap
    public void Connection_caps_refuse_only_beyond_their_limit(int perPlayer, int perAddress, int playerOpen, int addressOpen, string? reason) =>
        (new ConnectionLimits(perPlayer, perAddress).Check(playerOpen, addressOpen)?.Reason).Should().Be(reason);
}
