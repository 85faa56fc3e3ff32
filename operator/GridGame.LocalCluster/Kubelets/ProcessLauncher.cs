using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace GridGame.LocalCluster.Kubelets;

/// <summary>
/// Starts container processes so that none outlives LocalCluster. Each runs as <c>setsid env --default-signal
/// setpriv --pdeathsig KILL -- sh -c 'exec "$@" &gt;&gt;LOG 2&gt;&amp;1'</c>: its own session and process group (so
/// a signal reaches everything it spawned), SIGKILLed by the kernel if its parent dies. The parent is a
/// dedicated thread that lives as long as the launcher, because the death signal follows the forking thread, and
/// thread-pool threads come and go. The death signal reaches only the container's own process, not what it
/// spawned, so every group is also recorded in a registry file named after its owner, and a watchdog (a shell in
/// its own session, reading a pipe from this process) kills the owner's recorded groups as soon as the pipe
/// closes — which the kernel does when this process dies, however it dies. A later launcher also reaps the
/// groups of owners that are gone, should a watchdog itself have been killed. Exec'd commands start the same way,
/// with their stdio on pipes instead of the log.
/// </summary>
internal sealed class ProcessLauncher : IDisposable
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    private readonly BlockingCollection<(ProcessStartInfo Info, TaskCompletionSource<Process> Started)> _requests = [];
    private readonly Thread _thread;
    private readonly string _registry;
    private readonly string _owner;
    private readonly Process? _watchdog;

    public ProcessLauncher(string registryDirectory)
    {
        _registry = registryDirectory;
        Directory.CreateDirectory(_registry);
        // pid-starttime of this process, plus an instance id: several launchers may live in one process (tests),
        // and each watchdog must kill only its own launcher's groups.
        _owner = (Identity(Environment.ProcessId) ?? Environment.ProcessId.ToString(CultureInfo.InvariantCulture)) + "-" + Guid.NewGuid().ToString("N")[..8];
        _thread = new Thread(Spawn) { IsBackground = true, Name = "LocalCluster process launcher" };
        _thread.Start();
        _watchdog = StartWatchdog(_registry, _owner);
    }

    /// <summary>
    /// The prefix that puts a command in its own session and process group, with every signal's handling at its
    /// default (as a container runtime starts a process: this process ignores SIGPIPE, and a LocalCluster started in
    /// the background ignores SIGINT and SIGQUIT, which children would otherwise inherit), and ties it to its
    /// parent's life. env comes before setpriv so that no word of the command is taken for an assignment.
    /// </summary>
    private static readonly string[] Detached = ["setsid", "env", "--default-signal", "setpriv", "--pdeathsig", "KILL", "--"];

    /// <summary>The prefix of a container: <see cref="Detached"/>, with its output appended to its log.</summary>
    public static IReadOnlyList<string> Wrapper(string logPath) =>
        [.. Detached, "/bin/sh", "-c", "f=$1; shift; exec \"$@\" </dev/null >>\"$f\" 2>&1", "sh", logPath];

    /// <summary>Starts a container's argv with exactly <paramref name="env"/>, output appended to the log.</summary>
    public Task<Process> StartAsync(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, string logPath, string? workingDirectory) =>
        Enqueue(Info([.. Wrapper(logPath), .. argv], env, workingDirectory ?? Path.GetDirectoryName(logPath)!, attached: false));

    /// <summary>
    /// Starts argv (an exec into a container) with exactly <paramref name="env"/> and its stdin, stdout and stderr on
    /// pipes to this process; otherwise as a container: its own group, killed with LocalCluster, recorded until
    /// <see cref="Forget"/>.
    /// </summary>
    public Task<Process> StartAttachedAsync(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, string workingDirectory) =>
        Enqueue(Info([.. Detached, .. argv], env, workingDirectory, attached: true));

    /// <summary>Signals a container's whole process group (its leader's pid is the group id).</summary>
    public static void Signal(int pid, int signal)
    {
        if (pid > 0)
        {
            _ = Kill(-pid, signal);
            _ = Kill(pid, signal);
        }
    }

    public static bool IsAlive(int pid) => pid > 0 && Kill(pid, 0) == 0 && !IsZombie(pid);

    public static bool GroupAlive(int pgid) => pgid > 0 && Kill(-pgid, 0) == 0;

    public void Forget(int pid)
    {
        foreach (var f in Directory.EnumerateFiles(_registry, $"{_owner}.{pid}.*"))
        {
            File.Delete(f);
        }
    }

    /// <summary>Kills the process groups recorded by launchers whose owning process is gone; returns how many it reaped.</summary>
    public int ReapOrphans()
    {
        var reaped = 0;
        foreach (var file in Directory.EnumerateFiles(_registry))
        {
            // {ownerPid}-{ownerStart}-{instance}.{childPid}.{childStart}
            var parts = Path.GetFileName(file).Split('.');
            var owner = parts[0].Split('-');
            if (parts.Length != 3 || owner.Length < 2 || !int.TryParse(owner[0], CultureInfo.InvariantCulture, out var ownerPid))
            {
                continue;
            }
            if (Identity(ownerPid) == $"{owner[0]}-{owner[1]}")
            {
                continue; // its LocalCluster is alive
            }
            var child = int.Parse(parts[1], CultureInfo.InvariantCulture);
            if (Identity(child) == $"{child}-{parts[2]}" || GroupAlive(child))
            {
                Signal(child, SigKill);
                reaped++;
            }
            File.Delete(file);
        }
        return reaped;
    }

    public void Dispose()
    {
        _requests.CompleteAdding();
        _thread.Join(TimeSpan.FromSeconds(5));
        _requests.Dispose();
        if (_watchdog is not null)
        {
            // Closing the pipe is the watchdog's signal: it kills whatever is still recorded (normally nothing) and exits.
            _watchdog.StandardInput.Close();
            _watchdog.WaitForExit(TimeSpan.FromSeconds(5));
            _watchdog.Dispose();
        }
    }

    /// <summary>The watchdog's process id (tests).</summary>
    internal int WatchdogPid => _watchdog?.Id ?? 0;

    private static Process? StartWatchdog(string registry, string owner)
    {
        const string Script = """
            read _
            cd "$1" || exit 0
            for f in "$2".*; do
              [ -e "$f" ] || continue
              p=${f#"$2".}; p=${p%%.*}
              kill -s KILL -- "-$p" 2>/dev/null; kill -s KILL "$p" 2>/dev/null
              rm -f "$f"
            done
            """;
        var info = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var a in (string[])["/bin/sh", "-c", Script, "sh", registry, owner])
        {
            info.ArgumentList.Add(a);
        }
        try
        {
            return Process.Start(info);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no setsid: the death signal and the reaper on the next start remain
        }
    }

    /// <summary>pid-starttime, stable for the life of a process and never reused together.</summary>
    internal static string? Identity(int pid) => StatFields(pid) is { } fields ? $"{pid}-{fields[19]}" : null;

    /// <summary>
    /// The fields of /proc/&lt;pid&gt;/stat after the command name (state first, then parent, process group, ...), or
    /// null when the process is gone. The name is skipped by its last ')', since it may itself hold spaces and ')'.
    /// </summary>
    internal static string[]? StatFields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool IsZombie(int pid) => StatFields(pid) is ["Z", ..];

    private static ProcessStartInfo Info(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, string workingDirectory, bool attached)
    {
        var info = new ProcessStartInfo(argv[0])
        {
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = attached,
            RedirectStandardOutput = attached,
            RedirectStandardError = attached,
        };
        foreach (var a in argv.Skip(1))
        {
            info.ArgumentList.Add(a);
        }
        // The environment starts as a copy of this process's: a container sees only its own, as under a real kubelet.
        info.Environment.Clear();
        foreach (var (k, v) in env)
        {
            info.Environment[k] = v;
        }
        return info;
    }

    private Task<Process> Enqueue(ProcessStartInfo info)
    {
        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests.Add((info, started));
        return started.Task;
    }

    private void Spawn()
    {
        foreach (var (info, started) in _requests.GetConsumingEnumerable())
        {
            try
            {
                var process = Process.Start(info)!;
                var identity = Identity(process.Id);
                if (identity is not null)
                {
                    File.WriteAllText(Path.Combine(_registry, $"{_owner}.{identity.Replace('-', '.')}"), "");
                }
                started.TrySetResult(process);
            }
            catch (Exception e)
            {
                started.TrySetException(e);
            }
        }
    }

    private static int Kill(int pid, int signal) => NativeMethods.Kill(pid, signal);

    private static class NativeMethods
    {
        // LibraryImport would need unsafe code enabled for the project; two ints marshal the same either way.
#pragma warning disable SYSLIB1054
        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Kill(int pid, int signal);
#pragma warning restore SYSLIB1054
    }
}
