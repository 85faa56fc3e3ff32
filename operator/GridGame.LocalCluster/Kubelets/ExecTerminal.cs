using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace GridGame.LocalCluster.Kubelets;

/// <summary>
/// The terminal of an <c>exec -t</c>. The command runs under util-linux's <c>script</c> (Debian's essential bsdutils),
/// which starts it in a session of its own on a new pseudo-terminal and copies our pipes to and from that terminal's
/// master: the command gets a prompt, echo, line editing and ^C as SIGINT, as under a container runtime's tty. The
/// client's window size reaches the terminal as <c>TIOCSWINSZ</c> on its slave side, which also sends SIGWINCH to
/// the foreground group.
/// </summary>
/// <remarks>
/// The command's own session is not <c>script</c>'s process group, so killing the exec kills both: <see cref="Kill"/>.
/// Should LocalCluster die, the death signal takes <c>script</c>, and the terminal's hang-up takes the session's
/// foreground (not a job a shell left running in the background).
/// </remarks>
internal sealed class ExecTerminal
{
    /// <summary>How long <c>script</c> may take to start the command (a size sent before then waits for it).</summary>
    private static readonly TimeSpan StartBound = TimeSpan.FromSeconds(5);

    private readonly int _script;
    private readonly string? _scriptIdentity;
    private readonly Lock _lock = new();
    private readonly Task _ready;
    private int _session;
    private string? _slave;
    private (ushort Width, ushort Height)? _size;

    private ExecTerminal(int scriptPid, CancellationToken cancellationToken)
    {
        _script = scriptPid;
        _scriptIdentity = ProcessLauncher.Identity(scriptPid);
        _ready = FindAsync(cancellationToken);
    }

    /// <summary>The argv that runs <paramref name="command"/> on a terminal: <c>script</c> with the command quoted for its shell.</summary>
    public static IReadOnlyList<string> Wrap(IReadOnlyList<string> command) =>
        // --echo always: script leaves echo off when its own input is not a terminal, but the client's terminal is raw and shows only what comes back.
        ["script", "--quiet", "--return", "--echo", "always", "--command", "exec " + string.Join(' ', command.Select(Quote)), "/dev/null"];

    /// <summary>Follows the <c>script</c> process <paramref name="scriptPid"/> until the command it starts has its terminal.</summary>
    public static ExecTerminal Attach(int scriptPid, CancellationToken cancellationToken) => new(scriptPid, cancellationToken);

    /// <summary>The window size for the terminal: set now, or as soon as the command is on it.</summary>
    public void Resize(ushort width, ushort height)
    {
        lock (_lock)
        {
            _size = (width, height);
            Apply();
        }
    }

    /// <summary>
    /// Kills every process of the command's session. Call it before killing <c>script</c>'s own group: the command
    /// may not have been found yet, and only while <c>script</c> lives is it known as its child.
    /// </summary>
    public void Kill()
    {
        lock (_lock)
        {
            // A script that has exited may have left its pid to a stranger, whose child is no business of ours.
            var session = _session > 0 ? _session : ProcessLauncher.Identity(_script) == _scriptIdentity ? ChildOf(_script) ?? 0 : 0;
            if (session > 0)
            {
                KillSession(session);
            }
        }
    }

    /// <summary>
    /// Done once the command is on its terminal, with the last size sent so far applied (or once the bound has passed
    /// without it). Its input waits for this, so that what it reads finds the window already sized.
    /// </summary>
    public Task Ready => _ready;

    /// <summary><paramref name="argument"/> as one word for a POSIX shell.</summary>
    internal static string Quote(string argument) => "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private async Task FindAsync(CancellationToken cancellationToken)
    {
        // Nothing signals when script has forked and the child has opened the terminal: look, briefly and boundedly.
        var deadline = DateTime.UtcNow + StartBound;
        while (DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
        {
            if (ChildOf(_script) is { } child && SlaveOf(child) is { } slave)
            {
                lock (_lock)
                {
                    _session = child;
                    _slave = slave;
                    Apply();
                }
                return;
            }
            try
            {
                await Task.Delay(10, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Apply()
    {
        if (_slave is null || _size is not { } size)
        {
            return;
        }
        try
        {
            using var handle = File.OpenHandle(_slave, FileMode.Open, FileAccess.ReadWrite);
            var winSize = new WinSize { Rows = size.Height, Cols = size.Width };
            _ = NativeMethods.Ioctl(handle, NativeMethods.SetWindowSize, ref winSize);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The command has gone (and its terminal with it): there is no window left to size.
        }
    }

    /// <summary>
    /// SIGKILLs every process of the session: its leader's group, and the groups a shell with job control gives its
    /// jobs, which no hang-up reaches. A session id stays reserved while any process has it, so each one found is
    /// ours; the scan repeats while it finds any, since one may fork while it looks.
    /// </summary>
    private static void KillSession(int session)
    {
        var sid = session.ToString(CultureInfo.InvariantCulture);
        for (var pass = 0; pass < 10; pass++)
        {
            var found = false;
            foreach (var pid in Processes())
            {
                if (ProcessLauncher.StatFields(pid) is [_, _, _, var s, ..] && s == sid)
                {
                    ProcessLauncher.Signal(pid, ProcessLauncher.SigKill);
                    found = true;
                }
            }
            if (!found)
            {
                return;
            }
        }
    }

    private static IEnumerable<int> Processes()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                yield return pid;
            }
        }
    }

    /// <summary>The process whose parent is <paramref name="parent"/>: script starts exactly one.</summary>
    private static int? ChildOf(int parent)
    {
        var wanted = parent.ToString(CultureInfo.InvariantCulture);
        foreach (var pid in Processes())
        {
            if (ProcessLauncher.StatFields(pid) is [_, var ppid, ..] && ppid == wanted)
            {
                return pid;
            }
        }
        return null;
    }

    /// <summary>The terminal the process reads from (<c>/dev/pts/N</c>), once it has one.</summary>
    private static string? SlaveOf(int pid)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/fd/0").LinkTarget is { } target && target.StartsWith("/dev/pts/", StringComparison.Ordinal) ? target : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct WinSize
    {
        public ushort Rows;
        public ushort Cols;
        public ushort XPixels;
        public ushort YPixels;
    }

    private static class NativeMethods
    {
        /// <summary>TIOCSWINSZ on Linux (asm-generic ioctls: x86-64 and arm64).</summary>
        public const nuint SetWindowSize = 0x5414;

        // As in ProcessLauncher: LibraryImport would need unsafe code enabled for the project.
#pragma warning disable SYSLIB1054
        [DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Ioctl(SafeFileHandle fd, nuint request, ref WinSize size);
#pragma warning restore SYSLIB1054
    }
}
