using Microsoft.AspNetCore.Http;

namespace GridGame.LocalCluster.Kubelets;

/// <summary>
/// The process kubelet's <c>/exec/{ns}/{pod}/{container}?command=..</c>: checks the request, then upgrades it to a
/// WebSocket (v5 or v4 channel protocol) and runs an <see cref="ExecSession"/>. Refusals are plain text, as the
/// kubelet's are; the API server passes them through.
/// </summary>
internal static class ExecEndpoint
{
    public static async Task ServeAsync(HttpContext context, ProcessKubelet kubelet, string ns, string podName, string container, CancellationToken cancellationToken)
    {
        var (options, error) = ExecOptions.Parse(context.Request.Query);
        if (options?.Validate() is { } invalid)
        {
            error = invalid;
        }
        if (options is null || error is not null)
        {
            await KubeletLogServer.TextAsync(context, 400, error!).ConfigureAwait(false);
            return;
        }
        var runner = kubelet.Runner(ns, podName);
        // One server answers for every node: a pod of another node is unknown here, as to that node's kubelet.
        if (runner is null || (context.Connection.LocalIpAddress is { } local && runner.HostIP != local.ToString()))
        {
            await KubeletLogServer.TextAsync(context, 404, "pod does not exist").ConfigureAwait(false);
            return;
        }
        // The kubelet's words (kubectl shows "unable to upgrade connection: container not found (\"c\")").
        if (runner.ExecTarget(container) is not { Env: not null } target)
        {
            await KubeletLogServer.TextAsync(context, 500, $"container not found (\"{container}\")").ConfigureAwait(false);
            return;
        }
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await KubeletLogServer.TextAsync(context, 400,
                $"unable to upgrade: LocalCluster serves exec over WebSocket only ({string.Join(", ", ExecProtocol.Supported)}), not SPDY or plain HTTP").ConfigureAwait(false);
            return;
        }
        var offered = context.WebSockets.WebSocketRequestedProtocols;
        if (ExecProtocol.Negotiate(offered) is not { } protocol)
        {
            await KubeletLogServer.TextAsync(context, 400,
                $"unable to upgrade: requested protocol(s) are not supported: [{string.Join(' ', offered)}]; supports [{string.Join(' ', ExecProtocol.Supported)}]").ConfigureAwait(false);
            return;
        }
        using var socket = await context.WebSockets.AcceptWebSocketAsync(ExecProtocol.Accept(protocol)).ConfigureAwait(false);
        await ExecSession.RunAsync(socket, options, target, kubelet.Launcher, cancellationToken).ConfigureAwait(false);
    }
}
