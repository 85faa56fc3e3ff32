using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace GridGame.LocalCluster.Kubelets;

/// <summary>
/// The server side of the RFC 6455 handshake on a plain Kestrel request. Done here rather than with ASP.NET's
/// WebSockets middleware, which would attach a handshake object to every request of the API server for the sake
/// of the rare exec.
/// </summary>
internal static class WebSocketUpgrade
{
    private const string Guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    public static bool IsWebSocketRequest(HttpRequest request) =>
        HttpMethods.IsGet(request.Method)
        && string.Equals(request.Headers.Upgrade.ToString(), "websocket", StringComparison.OrdinalIgnoreCase)
        && request.Headers.Connection.ToString().Contains("upgrade", StringComparison.OrdinalIgnoreCase)
        && request.Headers.SecWebSocketKey.Count == 1
        && request.HttpContext.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true };

    /// <summary>The protocols the client offers, in its order.</summary>
    public static IEnumerable<string> OfferedProtocols(HttpRequest request) => request.Headers.SecWebSocketProtocol.Select(p => p ?? "");

    /// <summary>Sec-WebSocket-Accept for a Sec-WebSocket-Key.</summary>
    public static string AcceptKey(string key)
    {
        // RFC 6455 §4.2.2 fixes SHA-1 here; it proves the server read the handshake, it protects nothing.
#pragma warning disable CA5350
        return Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key.Trim() + Guid)));
#pragma warning restore CA5350
    }

    /// <summary>Answers 101 with <paramref name="protocol"/> and returns the server end of the socket.</summary>
    public static async Task<WebSocket> AcceptAsync(HttpContext context, string protocol)
    {
        var upgrade = context.Features.Get<IHttpUpgradeFeature>()!;
        var headers = context.Response.Headers;
        headers.Connection = "Upgrade";
        headers.Upgrade = "websocket";
        headers.SecWebSocketAccept = AcceptKey(context.Request.Headers.SecWebSocketKey.ToString());
        headers.SecWebSocketProtocol = protocol;
        var stream = await upgrade.UpgradeAsync().ConfigureAwait(false);
        return WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, SubProtocol = protocol, KeepAliveInterval = TimeSpan.FromSeconds(30) });
    }
}
