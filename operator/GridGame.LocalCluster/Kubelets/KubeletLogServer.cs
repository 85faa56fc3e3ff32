using System.Globalization;
using System.Net;
using System.Net.Sockets;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GridGame.LocalCluster.Kubelets;

/// <summary>
/// The process kubelet's log endpoint, <c>GET /containerLogs/{ns}/{pod}/{container}</c>, served on every process
/// node's own address (127.0.0.N) on one port, which the nodes publish as <c>status.daemonEndpoints.kubeletEndpoint</c>:
/// the API server proxies <c>pods/log</c> here, as kube-apiserver proxies to the kubelet of the pod's node; and
/// <c>pods/exec</c> to <c>/exec/{ns}/{pod}/{container}</c> (<see cref="ExecEndpoint"/>).
/// </summary>
internal sealed class KubeletLogServer : IAsyncDisposable
{
    /// <summary>How often a follow looks for new output: the container writes the file directly, nothing signals us.</summary>
    private static readonly TimeSpan FollowPoll = TimeSpan.FromMilliseconds(100);

    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ProcessKubelet _kubelet;

    private KubeletLogServer(WebApplication app, ProcessKubelet kubelet, int port)
    {
        _app = app;
        _kubelet = kubelet;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Listens on one free port on every address (retrying if another program takes it between the probe and the bind).</summary>
    public static async Task<KubeletLogServer> StartAsync(ProcessKubelet kubelet, IReadOnlyCollection<string> addresses, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort(addresses.First());
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton<IHostLifetime, PassiveLifetime>();
            builder.WebHost.ConfigureKestrel(k =>
            {
                foreach (var address in addresses)
                {
                    k.Listen(IPAddress.Parse(address), port);
                }
                k.Limits.MinResponseDataRate = null;
            });
            var app = builder.Build();
            var server = new KubeletLogServer(app, kubelet, port);
            app.UseWebSockets();
            app.Run(server.HandleAsync);
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                return server;
            }
            catch (IOException) when (attempt < 5)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Open follows end first, so stopping Kestrel does not wait for them.
        await _stopping.CancelAsync().ConfigureAwait(false);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _app.StopAsync(stop.Token).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // never started (the port was taken)
        }
        await _app.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        try
        {
            await ServeAsync(context, cancel.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // the client went away, or the kubelet is stopping
        }
        catch (IOException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
    }

    private async Task ServeAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var parts = (context.Request.Path.Value ?? "").Trim('/').Split('/');
        if (parts.Length == 4 && parts[0] == "exec")
        {
            await ExecEndpoint.ServeAsync(context, _kubelet, Uri.UnescapeDataString(parts[1]), Uri.UnescapeDataString(parts[2]), Uri.UnescapeDataString(parts[3]), cancellationToken).ConfigureAwait(false);
            return;
        }
        if (parts.Length != 4 || parts[0] != "containerLogs")
        {
            await TextAsync(context, 404, "404 page not found").ConfigureAwait(false);
            return;
        }
        if (context.Request.Method != "GET")
        {
            await TextAsync(context, 405, "405: Method Not Allowed").ConfigureAwait(false);
            return;
        }
        var (ns, podName, container) = (Uri.UnescapeDataString(parts[1]), Uri.UnescapeDataString(parts[2]), Uri.UnescapeDataString(parts[3]));
        var (options, optionsError) = LogOptions.Parse(context.Request.Query);
        if (options is null)
        {
            await TextAsync(context, 400, optionsError!).ConfigureAwait(false);
            return;
        }
        var runner = _kubelet.Runner(ns, podName);
        // One server answers for every node: a pod of another node is unknown here, as to that node's kubelet.
        if (runner is not null && context.Connection.LocalIpAddress is { } local && runner.HostIP != local.ToString())
        {
            await TextAsync(context, 404, $"pod \"{podName}\" does not exist").ConfigureAwait(false);
            return;
        }
        var logPath = _kubelet.LogPath(ns, podName, container);
        (V1ContainerState State, V1ContainerState? LastState, Task? Exited)? state = null;
        if (runner is not null)
        {
            state = runner.LogState(container);
            if (state is null)
            {
                await TextAsync(context, 404, $"container \"{container}\" not found in pod \"{podName}\"").ConfigureAwait(false);
                return;
            }
        }
        else if (!File.Exists(logPath))
        {
            await TextAsync(context, 404, $"pod \"{podName}\" does not exist").ConfigureAwait(false);
            return;
        }
        await StreamAsync(context, logPath, podName, container, state, options, cancellationToken).ConfigureAwait(false);
    }

    private static async Task StreamAsync(HttpContext context, string logPath, string podName, string container,
        (V1ContainerState State, V1ContainerState? LastState, Task? Exited)? state, LogOptions options, CancellationToken cancellationToken)
    {
        Stream file;
        try
        {
            file = new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.Asynchronous);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            file = new MemoryStream(); // not started yet: no runs
        }
        await using var _ = file.ConfigureAwait(false);
        var runs = ContainerLogFile.Runs(file, File.GetLastWriteTimeUtc(logPath));
        var (index, error) = LogSelection.Pick(podName, container, state?.State, state?.LastState, runs.Count, options.Previous);
        if (error is not null)
        {
            await TextAsync(context, 400, error).ConfigureAwait(false);
            return;
        }
        var run = runs[index];
        var last = index == runs.Count - 1;
        var exited = last && !options.Previous ? state?.Exited : null;
        var now = TimeProvider.System.GetUtcNow();
        var runEnded = !last ? runs[index + 1].Started : exited is null ? new DateTimeOffset(File.GetLastWriteTimeUtc(logPath)) : now;
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/plain";
        await context.Response.StartAsync(cancellationToken).ConfigureAwait(false);
        if (options.Since(now) is { } since && runEnded < since)
        {
            return; // sinceSeconds/sinceTime work at the granularity of a run: lines carry no time of their own
        }
        var writer = new LogLineWriter(context.Response.Body, options.Timestamps, options.LimitBytes);
        var position = options.TailLines is { } tail ? ContainerLogFile.TailStart(file, run.Start, run.End, tail) : run.Start;
        var buffer = new byte[64 * 1024];
        var (next, ended) = await PumpAsync(file, position, last ? long.MaxValue : run.End, buffer, writer, run.Started, cancellationToken).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (!options.Follow || exited is null || ended)
        {
            return;
        }
        position = next;
        // Follow: new output is stamped with the time it is read (the file holds no times).
        while (!writer.Full)
        {
            var stopped = exited.IsCompleted;
            // Most polls find nothing new: a length check is much cheaper than a read that ends at once.
            if (file.Length > position)
            {
                (position, ended) = await PumpAsync(file, position, long.MaxValue, buffer, writer, TimeProvider.System.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            if (ended || stopped)
            {
                return;
            }
            await Task.WhenAny(Task.Delay(FollowPoll, cancellationToken), exited).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Writes the file from <paramref name="position"/> to <paramref name="end"/> or its end, stopping at the next run's marker.</summary>
    private static async Task<(long Position, bool RunEnded)> PumpAsync(Stream file, long position, long end, byte[] buffer, LogLineWriter writer, DateTimeOffset time, CancellationToken cancellationToken)
    {
        while (position < end && !writer.Full)
        {
            file.Position = position;
            var wanted = (int)Math.Min(buffer.Length, end - position);
            var read = await file.ReadAsync(buffer.AsMemory(0, wanted), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }
            var (writable, ended) = ContainerLogFile.Writable(buffer.AsSpan(0, read), writer.AtLineStart);
            await writer.WriteAsync(buffer.AsMemory(0, writable), time, cancellationToken).ConfigureAwait(false);
            position += writable;
            if (ended)
            {
                return (position, true);
            }
            if (writable < read && read < wanted)
            {
                break; // a line that may become a marker is still being written: wait for the rest
            }
        }
        return (position, false);
    }

    internal static async Task TextAsync(HttpContext context, int code, string message)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(message, context.RequestAborted).ConfigureAwait(false);
    }

    private static int FreePort(string address)
    {
        using var listener = new TcpListener(IPAddress.Parse(address), 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The <c>PodLogOptions</c> query parameters kubectl sends, parsed and validated as the API server validates them.</summary>
internal sealed record LogOptions(bool Follow, bool Previous, bool Timestamps, long? TailLines, long? LimitBytes, long? SinceSeconds, DateTimeOffset? SinceTime)
{
    /// <summary>The parameters the API server passes on to the kubelet.</summary>
    public static readonly string[] Names = ["follow", "previous", "timestamps", "tailLines", "limitBytes", "sinceSeconds", "sinceTime"];

    public DateTimeOffset? Since(DateTimeOffset now) => SinceTime ?? (SinceSeconds is { } s ? now.AddSeconds(-s) : null);

    /// <summary>The options, or the decoding error (400); <see cref="Validate"/> gives the 422 ones.</summary>
    public static (LogOptions? Options, string? Error) Parse(IQueryCollection query)
    {
        try
        {
            var options = new LogOptions(
                QueryBool.Parse(query, "follow"), QueryBool.Parse(query, "previous"), QueryBool.Parse(query, "timestamps"),
                Long(query, "tailLines"), Long(query, "limitBytes"), Long(query, "sinceSeconds"),
                query["sinceTime"] is { Count: > 0 } t && t[0] is { Length: > 0 } time
                    ? DateTimeOffset.Parse(time, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind | DateTimeStyles.AssumeUniversal)
                    : null);
            return (options, null);
        }
        catch (FormatException e)
        {
            return (null, "Unable to decode query: " + e.Message);
        }
    }

    /// <summary>The field errors of ValidatePodLogOptions, as (field, value, detail).</summary>
    public IReadOnlyList<(string Field, string? Value, string Detail)> Validate()
    {
        var errors = new List<(string, string?, string)>();
        if (TailLines is < 0)
        {
            errors.Add(("tailLines", Num(TailLines.Value), "must be greater than or equal to 0"));
        }
        if (LimitBytes is < 1)
        {
            errors.Add(("limitBytes", Num(LimitBytes.Value), "must be greater than 0"));
        }
        if (SinceSeconds is not null && SinceTime is not null)
        {
            errors.Add(("", null, "at most one of `sinceTime` or `sinceSeconds` may be specified"));
        }
        else if (SinceSeconds is < 1)
        {
            errors.Add(("sinceSeconds", Num(SinceSeconds.Value), "must be greater than 0"));
        }
        return errors;
    }

    private static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static long? Long(IQueryCollection query, string name) =>
        query[name] is { Count: > 0 } v && v[0] is { Length: > 0 } s
            ? long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : throw new FormatException($"{name}: invalid integer \"{s}\"")
            : null;
}
