using System.Text.RegularExpressions;
using GridGame.GameServer.Game;
using GridGame.GameServer.Operations;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace GridGame.GameServer.Hubs;

/// <summary>The game hub at <c>/hubs/game</c>: players join one session per connection and claim cells.</summary>
[Authorize]
internal sealed partial class GameHub : Hub<IGameClient>
{
    public const string Path = "/hubs/game";
    private const string GameKey = "gridgame.game";
    private const string PlayerKey = "gridgame.player";

    private readonly GameDirectory _directory;
    private readonly DrainState _drain;
    private readonly GameMetrics _metrics;
    private readonly DrainService _drainService;

    public GameHub(GameDirectory directory, DrainState drain, GameMetrics metrics, DrainService drainService)
    {
        _drainService = drainService;
        _directory = directory;
        _drain = drain;
        _metrics = metrics;
    }

    /// <summary>Joins (or rejoins) a session; the caller gets a fresh <see cref="BoardSnapshot"/>, also as the result.</summary>
    public async Task<BoardSnapshot> JoinGame(string session)
    {
        if (_drain.IsDraining)
        {
            throw Refuse("server draining: join a game on another server");
        }
        if (string.IsNullOrEmpty(session) || !SessionName().IsMatch(session))
        {
            throw Refuse("invalid session name");
        }
        var player = Player();
        if (Current() is { } previous && previous.Id != session)
        {
            await previous.LeaveAsync(player, Context.ConnectionId, Context.ConnectionAborted);
        }
        var game = await _directory.FindForJoinAsync(session, Context.ConnectionAborted)
            ?? throw Refuse("not your game: no such session on this server");
        try
        {
            var (snapshot, replaced) = await game.JoinAsync(player, Context, Context.ConnectionAborted);
            Context.Items[GameKey] = game;
            replaced?.Abort();
            _metrics.Actions.WithLabels("join").Inc();
            await Clients.Caller.BoardSnapshot(snapshot);
            return snapshot;
        }
        catch (HubException)
        {
            _metrics.Refused.Inc();
            throw;
        }
    }

    /// <summary>Claims a cell; the game counts the claim (or its refusal), so this hot path needs no async method of its own.</summary>
    public Task<CellClaimed> ClaimCell(int row, int col)
    {
        var game = Current() ?? throw Refuse("not in a game: call JoinGame first");
        return game.ClaimAsync(Player(), row, col);
    }

    public async Task LeaveGame()
    {
        if (Current() is { } game)
        {
            Context.Items.Remove(GameKey);
            await game.LeaveAsync(Player(), Context.ConnectionId, CancellationToken.None);
            _metrics.Actions.WithLabels("leave").Inc();
        }
    }

    public override Task OnConnectedAsync()
    {
        _metrics.Connections.Inc();
        _drainService.EnsureRegistered();
        return Task.CompletedTask;
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        _metrics.Connections.Dec();
        if (Current() is { } game)
        {
            await game.LeaveAsync(Player(), Context.ConnectionId, CancellationToken.None, connectionOnly: _drain.IsDraining);
        }
    }

    private LiveGame? Current() => Context.Items.TryGetValue(GameKey, out var game) ? game as LiveGame : null;

    /// <summary>
    /// The caller's player id, found and checked once per connection (a connection's user never changes): finding it
    /// among the token's claims on every call was a fair share of what a claim allocated.
    /// </summary>
    private string Player()
    {
        if (Context.Items.TryGetValue(PlayerKey, out var known) && known is string player)
        {
            return player;
        }
        var id = Context.User?.FindFirst(GameAuth.PlayerClaim)?.Value switch
        {
            null or "" => throw Refuse("not authenticated: the token has no subject"),
            { Length: > 64 } => throw Refuse("invalid player id: the token's subject is longer than 64 characters"),
            var value when value.Any(char.IsControl) => throw Refuse("invalid player id: the token's subject has control characters"),
            var value => value,
        };
        Context.Items[PlayerKey] = id;
        return id;
    }

    private HubException Refuse(string message)
    {
        _metrics.Refused.Inc();
        return new HubException(message);
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")]
    private static partial Regex SessionName();
}
