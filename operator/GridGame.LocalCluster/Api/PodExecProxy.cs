using System.Globalization;
using System.Net.WebSockets;
using GridGame.LocalCluster.Kubelets;
using GridGame.LocalCluster.Storage;
using Microsoft.AspNetCore.Http;

namespace GridGame.LocalCluster.Api;

/// <summary>
/// <c>pods/{name}/exec</c>, as kube-apiserver serves it: check the options and the container against the pod, find
/// the pod's node, open the WebSocket to that node's kubelet (<c>/exec/{ns}/{pod}/{container}</c>), and only then
/// accept the client's, relaying messages both ways until either end closes. A kubelet's refusal is passed through
/// as upstream's upgrade-aware proxy passes it (kubectl: <c>unable to upgrade connection: ...</c>).
/// </summary>
internal static class PodExecProxy
{
    /// <summary>
    /// How long the client has to answer the close handshake once the command has ended. Short: some clients
    /// (KubernetesClient's demuxer) never answer, and upstream closes the connection right after its close frame; but
    /// not nothing, so a client still writing stdin is not reset before it has read the exit status.
    /// </summary>
    private static readonly TimeSpan Linger = TimeSpan.FromSeconds(1);

    public static async Task ServeAsync(HttpContext context, ClusterStore store, ResourceType pods, string ns, string name)
    {
        var request = context.Request;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsPost(request.Method))
        {
            throw ApiException.MethodNotAllowed("the server does not allow this method on the requested resource");
        }
        var (options, decodeError) = ExecOptions.Parse(request.Query);
        if (options is null)
        {
            throw ApiException.BadRequest(decodeError!);
        }
        var pod = store.Get(pods.StorageKey, ns, name)?.Object ?? throw ApiException.NotFound("pods", "", name);
        var container = PodLogProxy.Container(pod, name, options.Container);
        if (options.Validate() is { } invalid)
        {
            throw ApiException.BadRequest(invalid);
        }
        var nodeName = (string?)pod["spec"]?["nodeName"];
        if (string.IsNullOrEmpty(nodeName))
        {
            throw ApiException.BadRequest($"pod {name} does not have a host assigned");
        }
        var endpoint = PodLogProxy.KubeletOf(store, name, nodeName, "there is nothing to exec into; use the process kubelet for exec");
        var path = string.Create(CultureInfo.InvariantCulture,
            $"{endpoint}/exec/{Uri.EscapeDataString(ns)}/{Uri.EscapeDataString(name)}/{Uri.EscapeDataString(container)}?{options.KubeletQuery()}");
        if (!context.WebSockets.IsWebSocketRequest)
        {
            // kubectl's SPDY fallback after a failed WebSocket handshake, or a client probing why it failed: the
            // kubelet's refusal says why (it refuses every request that is not a WebSocket upgrade).
            await RefusalAsync(context, "http://" + path).ConfigureAwait(false);
            return;
        }
        var offered = context.WebSockets.WebSocketRequestedProtocols;
        if (ExecProtocol.Negotiate(offered) is null)
        {
            throw ApiException.BadRequest($"unable to upgrade: requested protocol(s) are not supported: [{string.Join(' ', offered)}]; supports [{string.Join(' ', ExecProtocol.Supported)}]");
        }
        using var kubelet = new ClientWebSocket();
        foreach (var protocol in offered.Where(p => ExecProtocol.Supported.Contains(p, StringComparer.Ordinal)))
        {
            kubelet.Options.AddSubProtocol(protocol);
        }
        kubelet.Options.Proxy = null;
        try
        {
            using var connect = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            connect.CancelAfter(TimeSpan.FromSeconds(10));
            await kubelet.ConnectAsync(new Uri("ws://" + path), connect.Token).ConfigureAwait(false);
        }
        catch (WebSocketException)
        {
            // The handshake's answer carries no body here; the same request without the upgrade gets the kubelet's words.
            await RefusalAsync(context, "http://" + path).ConfigureAwait(false);
            return;
        }
        using var client = await context.WebSockets.AcceptWebSocketAsync(ExecProtocol.Accept(kubelet.SubProtocol!)).ConfigureAwait(false);
        await RelayAsync(client, kubelet, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Passes a kubelet's refusal through: its status code and text, as upstream's proxy does for upgrades.</summary>
    private static async Task RefusalAsync(HttpContext context, string url)
    {
        HttpResponseMessage response;
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        bounded.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            response = await PodLogProxy.Kubelets.GetAsync(new Uri(url), bounded.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new ApiException(500, "", $"error dialing backend: {e.Message}");
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(bounded.Token).ConfigureAwait(false);
            context.Response.StatusCode = response.IsSuccessStatusCode ? 500 : (int)response.StatusCode;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(text.Length > 4096 ? text[..4096] : text, context.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>Relays until the kubelet closes (after the exit status) or the client goes away (which ends the command).</summary>
    private static async Task RelayAsync(WebSocket client, WebSocket kubelet, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var up = PumpAsync(client, kubelet, stop.Token);
        var down = PumpAsync(kubelet, client, stop.Token);
        if (await Task.WhenAny(up, down).ConfigureAwait(false) == down)
        {
            // The command is over and the client has everything: give it a moment to answer the close.
            await Task.WhenAny(up, Task.Delay(Linger, cancellationToken)).ConfigureAwait(false);
        }
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(up, down).ConfigureAwait(false);
    }

    private static async Task PumpAsync(WebSocket from, WebSocket to, CancellationToken cancellationToken)
    {
        var buffer = new byte[32 * 1024 + 1];
        try
        {
            while (true)
            {
                var result = await from.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (to.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    {
                        await to.CloseOutputAsync(result.CloseStatus ?? WebSocketCloseStatus.NormalClosure, result.CloseStatusDescription, cancellationToken).ConfigureAwait(false);
                    }
                    return;
                }
                await to.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException)
        {
            // One end went away: aborting the other tells the kubelet to end the command (or the client that it ended).
            to.Abort();
        }
    }
}
