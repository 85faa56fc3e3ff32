using System.Diagnostics;
using System.Net.Sockets;
using k8s.Models;

namespace GridGame.LocalCluster.Kubelets;

/// <summary>Runs one probe attempt (httpGet, exec or tcpSocket) against a local container, bounded by timeoutSeconds.</summary>
internal static class ProbeRunner
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromSeconds(30) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public static async Task<bool> ProbeAsync(V1Probe probe, string podIP, PortMap ports, IReadOnlyDictionary<string, string> env, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(Math.Max(1, probe.TimeoutSeconds ?? 1)));
        try
        {
            if (probe.HttpGet is { } get)
            {
                var host = string.IsNullOrEmpty(get.Host) ? podIP : get.Host;
                var scheme = (get.Scheme ?? "HTTP").ToLowerInvariant();
                var path = string.IsNullOrEmpty(get.Path) ? "/" : get.Path;
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"{scheme}://{host}:{ports.Resolve(get.Port)}{(path.StartsWith('/') ? path : "/" + path)}"));
                request.Headers.UserAgent.ParseAdd("kube-probe/1.31");
                foreach (var h in get.HttpHeaders ?? [])
                {
                    request.Headers.TryAddWithoutValidation(h.Name, h.Value);
                }
                using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                return (int)response.StatusCode is >= 200 and < 400;
            }
            if (probe.TcpSocket is { } tcp)
            {
                using var socket = new TcpClient();
                await socket.ConnectAsync(string.IsNullOrEmpty(tcp.Host) ? podIP : tcp.Host, ports.Resolve(tcp.Port), timeout.Token).ConfigureAwait(false);
                return true;
            }
            if (probe.Exec is { Command: { Count: > 0 } command })
            {
                return await ExecAsync(command, env, timeout.Token).ConfigureAwait(false);
            }
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or OperationCanceledException or IOException or InvalidOperationException)
        {
            return false;
        }
    }

    private static async Task<bool> ExecAsync(IList<string> command, IReadOnlyDictionary<string, string> env, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(command[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in command.Skip(1))
        {
            info.ArgumentList.Add(a);
        }
        foreach (var (k, v) in env)
        {
            info.Environment[k] = v;
        }
        using var process = Process.Start(info)!;
        // Drain output so a chatty probe cannot block on a full pipe.
        var drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(cancellationToken), process.StandardError.ReadToEndAsync(cancellationToken));
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            await drain.ConfigureAwait(false);
            return process.ExitCode == 0;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return false;
        }
    }
}
