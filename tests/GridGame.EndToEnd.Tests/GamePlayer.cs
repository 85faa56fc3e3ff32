using System.Net.Http.Json;
using System.Text.Json;
using GridGame.Crds;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace GridGame.EndToEnd.Tests;

/// <summary>
/// A real SignalR player on a session's server (dev token from the server, as the lobby gets one), recording what
/// the server tells it that a test may need to rule out: a drain notice, or its connection closing.
/// </summary>
internal sealed class GamePlayer : IAsyncDisposable
{
    private readonly TimeSpan _bound;
    private int _claims;
    private int _starts;

    private GamePlayer(HubConnection connection, TimeSpan bound)
    {
        Connection = connection;
        _bound = bound;
    }

    public HubConnection Connection { get; }

    public TaskCompletionSource<JsonElement> GameOver { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// The messages of every <c>ServerDraining</c> the server sent while this player's game was on: a server that stops
    /// after its game is over rightly tells its players too.
    /// </summary>
    public List<string> DrainNoticesDuringGame { get; } = [];

    /// <summary>Set when the connection closed, with the error if there was one.</summary>
    public TaskCompletionSource<Exception?> Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Claims this player made that the server accepted.</summary>
    public int Claims => _claims;

    /// <summary>How many <c>GameStarted</c> messages this connection received.</summary>
    public int GameStarts => Volatile.Read(ref _starts);

    public static async Task<GamePlayer> ConnectAsync(GameSessionStatus status, string id, TimeSpan bound)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://{status.Address}:{status.Port}/") };
        var token = (await http.GetFromJsonAsync<JsonElement>($"dev/token?player={id}")).GetProperty("token").GetString()!;
        var connection = new HubConnectionBuilder()
            .WithUrl(status.Url!, o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
            .Build();
        var player = new GamePlayer(connection, bound);
        connection.On<JsonElement>("GameOver", e => player.GameOver.TrySetResult(e));
        connection.On<JsonElement>("GameStarted", _ => Interlocked.Increment(ref player._starts));
        connection.On<JsonElement>("ServerDraining", e =>
        {
            lock (player.DrainNoticesDuringGame)
            {
                if (!player.GameOver.Task.IsCompleted)
                {
                    player.DrainNoticesDuringGame.Add(e.GetProperty("message").GetString() ?? "");
                }
            }
        });
        connection.Closed += error =>
        {
            player.Closed.TrySetResult(error);
            return Task.CompletedTask;
        };
        // A server allocated a moment ago has been seen (once, on a loaded CI machine) to fail a first handshake with
        // SignalR's "unexpected error"; a client connects again, as a game client would. Any other failure stands.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await connection.StartAsync();
                return player;
            }
            catch (HubException e) when (attempt < 3 && e.Message.Contains("unexpected error occurred during connection handshake", StringComparison.Ordinal))
            {
            }
        }
    }

    /// <summary>Refusals of <see cref="JoinAsync"/> because the server had not opened the game yet.</summary>
    public int EarlyJoins { get; private set; }

    /// <summary>
    /// Joins the session; the result is the server's board snapshot. A server refuses a join for a session its agent
    /// has not opened yet after waiting 5 s for it; on a loaded machine that wait can run out, so try again, as a
    /// client told "not your game" right after allocation would.
    /// </summary>
    public async Task<JsonElement> JoinAsync(string session) => (await Eventually.ValueAsync<JsonElement?>(async () =>
    {
        try
        {
            return await Connection.InvokeAsync<JsonElement>("JoinGame", session);
        }
        catch (HubException ex) when (ex.Message.Contains("no such session on this server", StringComparison.Ordinal))
        {
            EarlyJoins++;
            return null;
        }
    }, _bound, $"join {session}")).GetValueOrDefault();

    /// <summary>Claims a cell, trying again while the server says the claim cooldown has not passed.</summary>
    public Task ClaimAsync(int row, int col) => Eventually.UntilAsync(async () =>
    {
        try
        {
            await Connection.InvokeAsync("ClaimCell", row, col);
            Interlocked.Increment(ref _claims);
            return true;
        }
        catch (HubException ex) when (ex.Message.Contains("too fast", StringComparison.OrdinalIgnoreCase)
            || ex.Message.Contains("not started", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
    }, _bound, $"claim ({row},{col})");

    public ValueTask DisposeAsync() => Connection.DisposeAsync();
}
