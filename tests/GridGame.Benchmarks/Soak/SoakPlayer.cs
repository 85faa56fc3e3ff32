using System.Collections.Concurrent;
using System.Text;
using GridGame.GameServer;
using GridGame.GameServer.Hubs;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.IdentityModel.Tokens;

namespace GridGame.Benchmarks.Soak;

/// <summary>Every claim a player was told succeeded, by game and seq: what the history must hold.</summary>
internal sealed class SoakLedger
{
    private readonly ConcurrentDictionary<(string Game, long Seq), string> _acknowledged = new();
    private long _storeUnavailable;
    private long _reconnects;

    public IReadOnlyDictionary<(string Game, long Seq), string> Acknowledged => _acknowledged;

    public long StoreUnavailable => Interlocked.Read(ref _storeUnavailable);

    public long Reconnects => Interlocked.Read(ref _reconnects);

    public void Acknowledge(string game, CellClaimed claim) => _acknowledged[(game, claim.Seq)] = claim.Player;

    public void CountStoreUnavailable() => Interlocked.Increment(ref _storeUnavailable);

    public void CountReconnect() => Interlocked.Increment(ref _reconnects);
}

/// <summary>
/// A player of one game, as a real client behaves: joins, claims random cells at its own pace, and when its connection
/// goes (the server killed, restarting) connects again and rejoins, until the game is over.
/// </summary>
internal sealed class SoakPlayer(string baseUrl, string game, string id, string signingKey, SoakLedger ledger)
{
    private static readonly TimeSpan Retry = TimeSpan.FromMilliseconds(500);

    public async Task PlayAsync(int boardSize, TimeSpan giveUpAfter, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + giveUpAfter;
        var first = true;
        while (DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
        {
            if (!first)
            {
                ledger.CountReconnect();
                await Task.Delay(Retry, cancellationToken).ConfigureAwait(false);
            }
            first = false;
            await using var connection = Connect();
            var over = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            connection.On<GameOver>(nameof(IGameClient.GameOver), _ => over.TrySetResult());
            connection.Closed += _ =>
            {
                closed.TrySetResult();
                return Task.CompletedTask;
            };
            try
            {
                await connection.StartAsync(cancellationToken).ConfigureAwait(false);
                var snapshot = await connection.InvokeAsync<BoardSnapshot>(nameof(GameHub.JoinGame), game, cancellationToken).ConfigureAwait(false);
                if (snapshot.Phase == "Finished")
                {
                    return;
                }
                if (await ClaimUntilOverAsync(connection, boardSize, over.Task, closed.Task, deadline, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (HubException ex) when (IsOver(ex.Message))
            {
                return;
            }
            catch (Exception ex) when (ex is HubException or HttpRequestException or IOException or InvalidOperationException or TimeoutException
                or ObjectDisposedException or System.Net.WebSockets.WebSocketException || ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // The server is down or restarting, or its store is: connect again.
            }
        }
    }

    /// <summary>Claims until the game is over (true) or the connection is gone (false).</summary>
    private async Task<bool> ClaimUntilOverAsync(HubConnection connection, int boardSize, Task over, Task closed, DateTime deadline, CancellationToken cancellationToken)
    {
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(250, 750)), cancellationToken).ConfigureAwait(false);
            if (over.IsCompleted)
            {
                return true;
            }
            if (closed.IsCompleted)
            {
                return false;
            }
            try
            {
                var claim = await connection.InvokeAsync<CellClaimed>(nameof(GameHub.ClaimCell), Random.Shared.Next(boardSize), Random.Shared.Next(boardSize), cancellationToken).ConfigureAwait(false);
                ledger.Acknowledge(game, claim);
            }
            catch (HubException ex) when (IsOver(ex.Message))
            {
                return true;
            }
            catch (HubException ex) when (ex.Message.Contains("store unavailable", StringComparison.Ordinal))
            {
                ledger.CountStoreUnavailable();
            }
            catch (HubException)
            {
                // cell taken, too fast, not started yet: a player tries another cell
            }
        }
        return true;
    }

    private static bool IsOver(string message) =>
        message.Contains("game over", StringComparison.Ordinal) || message.Contains("game lost", StringComparison.Ordinal);

    private HubConnection Connect()
    {
        var token = GameAuth.CreateToken(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), id, DateTimeOffset.UtcNow);
        var connection = new HubConnectionBuilder().WithUrl(baseUrl + GameHub.Path, o =>
        {
            o.AccessTokenProvider = () => Task.FromResult<string?>(token);
            o.SkipNegotiation = true;
            o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
        }).Build();
        // A real client handles what the server sends (without a handler the client throws and catches for each).
        connection.On<BoardSnapshot>(nameof(IGameClient.BoardSnapshot), _ => { });
        connection.On<CellClaimed[]>(nameof(IGameClient.CellsClaimed), _ => { });
        connection.On<PlayerChange>(nameof(IGameClient.PlayerJoined), _ => { });
        connection.On<PlayerChange>(nameof(IGameClient.PlayerLeft), _ => { });
        connection.On<GameStarted>(nameof(IGameClient.GameStarted), _ => { });
        connection.On<ServerDraining>(nameof(IGameClient.ServerDraining), _ => { });
        return connection;
    }
}
