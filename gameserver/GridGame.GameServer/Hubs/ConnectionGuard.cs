using System.IO.Pipelines;
using GridGame.GameServer.Operations;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Options;

namespace GridGame.GameServer.Hubs;

/// <summary>
/// Runs before the hub on every connection (a connection middleware): refuses one over the per-player or per-address cap
/// with a handshake error the client reads, and closes one that has sent nothing for the client timeout. SignalR's own
/// client timeout starts only at the client's first ping, so a client that never pings was never closed.
/// </summary>
internal sealed partial class ConnectionGuard(ConnectionCaps caps, IOptions<GameServerOptions> options, GameMetrics metrics, ILogger<ConnectionGuard> logger)
{
    public async Task OnConnectedAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var http = connection.GetHttpContext();
        var player = http?.User.FindFirst(GameAuth.PlayerClaim)?.Value;
        var address = http?.Connection.RemoteIpAddress?.ToString();
        using var lease = caps.TryAdmit(player, address, out var refusal);
        if (lease is null)
        {
            metrics.Refusals.WithLabels(refusal!.Reason).Inc();
            LogRefused(logger, player, address, refusal.Reason);
            await RefuseAsync(connection, refusal.Message).ConfigureAwait(false);
            return;
        }

        var input = new ReceiveWatch(connection.Transport.Input);
        connection.Transport = new DuplexPipe(input, connection.Transport.Output);
        var timeout = options.Value.ClientTimeout;
        // The connection's heartbeat ticks about once a second while it is open; no timer of our own per connection.
        connection.Features.Get<IConnectionHeartbeatFeature>()?.OnHeartbeat(_ =>
        {
            if (input.SinceLastReceived > timeout)
            {
                LogIdle(logger, player, address, timeout.TotalSeconds);
                connection.Abort(new ConnectionAbortedException($"the client sent nothing for {timeout.TotalSeconds:0} s"));
            }
        }, connection);
        await next(connection).ConfigureAwait(false);
    }

    /// <summary>Answers the handshake with an error, which SignalR clients report as it is (the .NET client as a HubException).</summary>
    private static async Task RefuseAsync(ConnectionContext connection, string message)
    {
        HandshakeProtocol.WriteResponseMessage(new HandshakeResponseMessage(message), connection.Transport.Output);
        await connection.Transport.Output.FlushAsync().ConfigureAwait(false);
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    [LoggerMessage(EventId = EventIds.ConnectionRefused, Level = LogLevel.Debug, Message = "Connection of player {Player} from {Address} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string? player, string? address, string reason);

    [LoggerMessage(EventId = EventIds.ConnectionIdle, Level = LogLevel.Debug, Message = "Connection of player {Player} from {Address} closed: nothing received for {Seconds} s")]
    private static partial void LogIdle(ILogger logger, string? player, string? address, double seconds);
}
