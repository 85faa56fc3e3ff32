using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace GridGame.EndToEnd.Tests;

/// <summary>
/// A real <c>gridgame-operator local</c> process (LocalCluster, process kubelet, operator, sample fleet, lobby),
/// started as a newcomer would start it, with its endpoints read from what it prints.
/// </summary>
public sealed class LocalModeProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private LocalModeProcess(Process process, string stateDirectory)
    {
        _process = process;
        StateDirectory = stateDirectory;
    }

    public string StateDirectory { get; }

    public string Kubeconfig => Path.Combine(StateDirectory, "kubeconfig");

    public Uri Api { get; private set; } = null!;

    public Uri Lobby { get; private set; } = null!;

    /// <summary>The operator's HTTP endpoint (/healthz /readyz /metrics).</summary>
    public Uri Operator { get; private set; } = null!;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public int ProcessId => _process.Id;

    public static async Task<LocalModeProcess> StartAsync(params string[] extraArgs)
    {
        var state = Directory.CreateTempSubdirectory("gridgame-e2e-").FullName;
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = state,
        };
        foreach (var arg in new[] { Built.Operator, "local", "--kubeconfig", Path.Combine(state, "kubeconfig"), "--gameserver", Built.GameServer, "--nodes", "2" }.Concat(extraArgs))
        {
            info.ArgumentList.Add(arg);
        }

        var local = new LocalModeProcess(Process.Start(info)!, state);
        local._process.OutputDataReceived += (_, e) => local.OnLine(e.Data);
        local._process.ErrorDataReceived += (_, e) => local.OnLine(e.Data);
        local._process.BeginOutputReadLine();
        local._process.BeginErrorReadLine();
        var exited = local._process.WaitForExitAsync();
        var first = await Task.WhenAny(local._ready.Task, exited, Task.Delay(StartTimeout));
        if (first != local._ready.Task)
        {
            var output = local.Output;
            await local.DisposeAsync();
            throw new InvalidOperationException($"gridgame-operator local did not become ready within {StartTimeout}:\n{output}");
        }

        return local;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (line.StartsWith("API ", StringComparison.Ordinal))
        {
            Api = new Uri(line[4..].Trim());
        }
        else if (line.StartsWith("operator ", StringComparison.Ordinal))
        {
            Operator = new Uri(line[9..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]);
        }
        else if (line.StartsWith("lobby ", StringComparison.Ordinal))
        {
            Lobby = new Uri(line[6..].Trim());
        }
        else if (line.StartsWith("ready;", StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }

    /// <summary>Runs the real kubectl against this cluster.</summary>
    public Task<string> KubectlAsync(params string[] args) => Kubectl.RunAsync(Kubeconfig, null, args);

    public Task<string> KubectlWithInputAsync(string stdin, params string[] args) => Kubectl.RunAsync(Kubeconfig, stdin, args);

    /// <summary>Sends SIGTERM, as Ctrl-C or a service manager would, and waits for a clean exit.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, 15);
        }

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"gridgame-operator local did not stop within {timeout} of SIGTERM:\n{Output}");
        }

        return _process.ExitCode;
    }

    /// <summary>Processes still running that were started for this cluster (their environment names its kubeconfig).</summary>
    public IReadOnlyList<int> LeftoverProcesses()
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var environ = File.ReadAllText(Path.Combine(dir, "environ"));
                if (environ.Contains(Kubeconfig, StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // gone meanwhile, or not ours to read
            }
        }

        return found;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                await StopAsync(TimeSpan.FromSeconds(60));
            }
            catch (TimeoutException)
            {
            }
        }

        _process.Dispose();
        try
        {
            Directory.Delete(StateDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}

/// <summary>Where the build put the programs under test (same configuration as this test assembly).</summary>
internal static class Built
{
    private static readonly string Configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    public static string Root => RepositoryRoot.Path;

    public static string Operator => Find("operator/GridGame.Operator", "gridgame-operator.dll");

    public static string GameServer => Find("gameserver/GridGame.GameServer", "GridGame.GameServer.dll");

    private static string Find(string project, string assembly)
    {
        var path = Path.Combine(Root, project, "bin", Configuration, "net10.0", assembly);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is not built: run `dotnet build GridGame.sln -c {Configuration}`");
    }
}

/// <summary>The real /usr/bin/kubectl.</summary>
internal static class Kubectl
{
    public static async Task<string> RunAsync(string kubeconfig, string? stdin, params string[] args)
    {
        var info = new ProcessStartInfo(File.Exists("/usr/bin/kubectl") ? "/usr/bin/kubectl" : "kubectl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        info.Environment["KUBECONFIG"] = kubeconfig;
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("kubectl is not installed (Debian: apt-get install kubernetes-client)");
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(cts.Token);
        return process.ExitCode == 0
            ? await stdout
            : throw new InvalidOperationException($"kubectl {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}{await stdout}");
    }
}
