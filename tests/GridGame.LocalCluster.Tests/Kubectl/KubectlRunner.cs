using System.Diagnostics;
using System.Text;

namespace GridGame.LocalCluster.Tests.Kubectl;

/// <summary>Runs the real /usr/bin/kubectl against a LocalApiServer through a kubeconfig it wrote.</summary>
public sealed class KubectlRunner : IAsyncDisposable
{
    public const string Binary = "/usr/bin/kubectl";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "lc-kubectl-" + Guid.NewGuid().ToString("N"));

    private KubectlRunner(ApiServer api)
    {
        Api = api;
        Directory.CreateDirectory(_dir);
        Kubeconfig = api.Server.WriteKubeconfig(Path.Combine(_dir, "kubeconfig"));
    }

    public ApiServer Api { get; }

    public string Kubeconfig { get; }

    public string Dir => _dir;

    public static async Task<KubectlRunner> StartAsync()
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"{Binary} is missing: install kubectl (scripts/install-deps.sh) to run the kubectl suite");
        }
        return new KubectlRunner(await ApiServer.StartAsync());
    }

    /// <summary>Runs kubectl to completion (bounded) and returns its exit code and output.</summary>
    public async Task<(int Code, string Out, string Err)> RunAsync(string args, string? stdin = null, int timeoutSeconds = 30)
    {
        using var process = Start(args, stdin is not null);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kubectl {args} did not finish in {timeoutSeconds}s");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs kubectl and expects success; returns stdout.</summary>
    public async Task<string> OkAsync(string args, string? stdin = null)
    {
        var (code, stdout, stderr) = await RunAsync(args, stdin);
        code.Should().Be(0, $"kubectl {args} failed: {stderr}");
        return stdout;
    }

    /// <summary>Starts a long-running kubectl (get -w); the caller reads its output and disposes it.</summary>
    public Process Start(string args, bool redirectInput = false)
    {
        var info = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add("--kubeconfig");
        info.ArgumentList.Add(Kubeconfig);
        info.ArgumentList.Add("--cache-dir");
        info.ArgumentList.Add(Path.Combine(_dir, "cache"));
        foreach (var a in Split(args))
        {
            info.ArgumentList.Add(a);
        }
        return Process.Start(info)!;
    }

    public string WriteFile(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await Api.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Splits on spaces, keeping 'single-quoted' parts together (enough for these tests' arguments).</summary>
    private static IEnumerable<string> Split(string args)
    {
        var current = new StringBuilder();
        var quoted = false;
        foreach (var c in args)
        {
            if (c == '\'')
            {
                quoted = !quoted;
            }
            else if (c == ' ' && !quoted)
            {
                if (current.Length > 0)
                {
                    yield return current.ToString();
                    current.Clear();
                }
            }
            else
            {
                current.Append(c);
            }
        }
        if (current.Length > 0)
        {
            yield return current.ToString();
        }
    }
}
