using System.ComponentModel;
using System.Diagnostics;
using System.Net.WebSockets;

namespace GridGame.LocalCluster.Kubelets;

/// <summary>A container's running process as exec sees it: <see cref="Env"/> is null when the container does not run.</summary>
internal sealed record ExecTarget(IReadOnlyDictionary<string, string>? Env, string WorkingDirectory, Task? Exited);

/// <summary>
/// One <c>exec</c> on the process kubelet: the command runs as a process of its own (argv as given, no shell) with the
/// container's environment and working directory, its stdio carried over the WebSocket channels. It is killed, with
/// everything it spawned, when the client goes away, when the container stops, or when the kubelet stops; and, if
/// LocalCluster dies, as a container is (<see cref="ProcessLauncher.StartAttachedAsync"/>).
/// </summary>
internal sealed class ExecSession : IDisposable
{
    /// <summary>How long output may still drain after the command exits, and the close handshake may take.</summary>
    private static readonly TimeSpan Linger = TimeSpan.FromSeconds(5);

    private readonly WebSocket _socket;
    private readonly ExecOptions _options;
    private readonly ProcessLauncher _launcher;
    private readonly SemaphoreSlim _send = new(1, 1);

    private ExecSession(WebSocket socket, ExecOptions options, ProcessLauncher launcher)
    {
        _socket = socket;
        _options = options;
        _launcher = launcher;
    }

    /// <summary>Runs the command to its end over <paramref name="socket"/>, then closes the socket.</summary>
    public static async Task RunAsync(WebSocket socket, ExecOptions options, ExecTarget target, ProcessLauncher launcher, CancellationToken stopping)
    {
        using var session = new ExecSession(socket, options, launcher);
        await session.RunAsync(target, stopping).ConfigureAwait(false);
    }

    public void Dispose() => _send.Dispose();

    private async Task RunAsync(ExecTarget target, CancellationToken stopping)
    {
        Process process;
        try
        {
            Directory.CreateDirectory(target.WorkingDirectory);
            process = await _launcher.StartAttachedAsync(_options.Tty ? ExecTerminal.Wrap(_options.Command) : _options.Command, target.Env!, target.WorkingDirectory).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException or IOException)
        {
            await SendAsync(ExecProtocol.Error, ExecProtocol.InternalError(e.Message), stopping).ConfigureAwait(false);
            await CloseAsync(stopping).ConfigureAwait(false);
            return;
        }
        using (process)
        {
            var pid = process.Id;
            var exited = process.WaitForExitAsync(CancellationToken.None);
            using var ending = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            var terminal = _options.Tty ? ExecTerminal.Attach(pid, ending.Token) : null;
            // Upstream tells the client the streams are up with an empty message on the first output channel.
            await SendAsync(_options.Stdout ? ExecProtocol.Stdout : _options.StderrChannel ?? ExecProtocol.Error, [], stopping).ConfigureAwait(false);
            if (!_options.Stdin)
            {
                process.StandardInput.Close();
            }
            var stdout = PumpAsync(process.StandardOutput.BaseStream, _options.Stdout ? ExecProtocol.Stdout : null, ending.Token);
            var stderr = PumpAsync(process.StandardError.BaseStream, _options.StderrChannel, ending.Token);
            var receiving = ReceiveAsync(process, terminal, ending.Token);
            var containerStopped = target.Exited ?? Task.CompletedTask;
            var first = await Task.WhenAny(exited, receiving, containerStopped, Task.Delay(Timeout.Infinite, stopping)).ConfigureAwait(false);
            // Whatever ended it, nothing of this command outlives it: the group takes what it spawned too. (Once the
            // command has exited, only while its group lives: a group id in use is never handed to a new process.)
            terminal?.Kill();
            if (!exited.IsCompleted || ProcessLauncher.GroupAlive(pid))
            {
                ProcessLauncher.Signal(pid, ProcessLauncher.SigKill);
            }
            try
            {
                await exited.WaitAsync(Linger, CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _socket.Abort();
                return; // still recorded: the watchdog or a later reaper takes it if it outlives LocalCluster
            }
            _launcher.Forget(pid);
            if (first == receiving || stopping.IsCancellationRequested)
            {
                await ending.CancelAsync().ConfigureAwait(false);
                _socket.Abort(); // the client is gone, or the kubelet is stopping: nobody waits for a status
                return;
            }
            try
            {
                await Task.WhenAll(stdout, stderr).WaitAsync(Linger, stopping).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // a pipe held open by something that escaped the group: the status must not wait for it
            }
            await SendAsync(ExecProtocol.Error, ExecProtocol.ExitStatus(_options.Command, process.ExitCode), stopping).ConfigureAwait(false);
            await CloseAsync(stopping).ConfigureAwait(false);
            try
            {
                await receiving.WaitAsync(Linger, stopping).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
            await ending.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Copies one output pipe to a channel (or drains it when the client did not ask for it).</summary>
    private async Task PumpAsync(Stream output, byte? channel, CancellationToken cancellationToken)
    {
        var buffer = new byte[32 * 1024 + 1];
        try
        {
            while (true)
            {
                var read = await output.ReadAsync(buffer.AsMemory(1), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }
                if (channel is { } c)
                {
                    buffer[0] = c;
                    await SendFrameAsync(buffer.AsMemory(0, read + 1), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// Feeds stdin from channel 0 until the client closes it (v5) or goes away, and sizes the terminal from channel 4;
    /// returns when the client is gone.
    /// </summary>
    private async Task ReceiveAsync(Process process, ExecTerminal? terminal, CancellationToken cancellationToken)
    {
        var stdin = _options.Stdin ? process.StandardInput.BaseStream : null;
        var buffer = new byte[32 * 1024];
        using var resize = new MemoryStream();
        byte? channel = null;
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
                var data = buffer.AsMemory(0, result.Count);
                if (channel is null && data.Length > 0)
                {
                    channel = data.Span[0];
                    data = data[1..];
                    if (channel == ExecProtocol.Close && data.Length > 0 && data.Span[0] == ExecProtocol.Stdin && _socket.SubProtocol == ExecProtocol.V5)
                    {
                        stdin = await CloseStdinAsync(stdin).ConfigureAwait(false);
                    }
                }
                if (channel == ExecProtocol.Stdin && stdin is not null && data.Length > 0)
                {
                    if (terminal is not null)
                    {
                        await terminal.Ready.ConfigureAwait(false);
                    }
                    try
                    {
                        await stdin.WriteAsync(data, cancellationToken).ConfigureAwait(false);
                        await stdin.FlushAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (IOException)
                    {
                        stdin = null; // the command closed its stdin (or exited): the rest has nowhere to go
                    }
                }
                if (channel == ExecProtocol.Resize && terminal is not null && resize.Length + data.Length <= 1024)
                {
                    resize.Write(data.Span);
                }
                if (result.EndOfMessage)
                {
                    if (channel == ExecProtocol.Resize && terminal is not null && ExecProtocol.ParseResize(resize.ToArray()) is { } size)
                    {
                        terminal.Resize(size.Width, size.Height);
                    }
                    resize.SetLength(0);
                    channel = null;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException)
        {
        }
        finally
        {
            await CloseStdinAsync(stdin).ConfigureAwait(false);
        }
    }

    private static async Task<Stream?> CloseStdinAsync(Stream? stdin)
    {
        if (stdin is not null)
        {
            try
            {
                await stdin.DisposeAsync().ConfigureAwait(false);
            }
            catch (IOException)
            {
            }
        }
        return null;
    }

    private async Task SendAsync(byte channel, byte[] payload, CancellationToken cancellationToken)
    {
        var frame = new byte[payload.Length + 1];
        frame[0] = channel;
        payload.CopyTo(frame, 1);
        try
        {
            await SendFrameAsync(frame, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
        }
    }

    private async Task SendFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        await _send.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _socket.SendAsync(frame, WebSocketMessageType.Binary, true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _send.Release();
        }
    }

    private async Task CloseAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _send.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _send.Release();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
        }
    }
}
