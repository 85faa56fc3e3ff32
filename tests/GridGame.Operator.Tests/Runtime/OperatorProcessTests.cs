using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using GridGame.Operator.Hosting;
using GridGame.Operator.Runtime;
using k8s;

namespace GridGame.Operator.Tests.Runtime;

/// <summary>The real <c>gridgame-operator run</c> process against LocalCluster: signals, lease, endpoints, JSON logs.</summary>
public sealed class OperatorProcessTests : IAsyncLifetime
{
    private const string LeaseName = "gridgame-operator-process";
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(3);
    private readonly List<Process> _processes = [];

    private System.Text.StringBuilder Errors { get; } = new();
    private LocalApi _api = null!;
    private string _kubeconfig = null!;

    public async Task InitializeAsync()
    {
        _api = await LocalApi.StartAsync();
        // Not LocalApiServer.WriteKubeconfig: its empty `user: {}` makes KubernetesClient 21.0.8 refuse the file
        // ("does not have appropriate auth credentials"); a context without a user is accepted by both clients.
        _kubeconfig = Path.Combine(Path.GetTempPath(), $"gg-runtime-{Guid.NewGuid():N}.kubeconfig");
        await File.WriteAllTextAsync(_kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: local
              cluster:
                server: {_api.Server.BaseAddress.ToString().TrimEnd('/')}
            contexts:
            - name: local
              context:
                cluster: local
            current-context: local
            """);
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }

            process.Dispose();
        }

        await _api.DisposeAsync();
        File.Delete(_kubeconfig);
    }

    [Fact]
    public async Task Sigterm_stops_the_process_within_its_timeout_and_releases_the_lease()
    {
        var (process, port, output) = Start("proc-a");
        await Eventually.UntilAsync(async () => (await HolderAsync())?.StartsWith("proc-a_", StringComparison.Ordinal) == true || process.HasExited, "the only replica leads", TimeSpan.FromSeconds(30));
        process.HasExited.Should().BeFalse(output + "\n" + Errors);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(5) };
        (await http.GetStringAsync("healthz")).Should().Be("ok");
        await Eventually.UntilAsync(async () => (await http.GetStringAsync("metrics")).Split('\n').Contains("gridgame_operator_leader 1"), "the leader gauge follows the lease");

        var stopping = Stopwatch.StartNew();
        Signal(process, "TERM");
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));

        process.ExitCode.Should().Be(0);
        stopping.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(7), "--shutdown-timeout 5s, and the process exits");
        (await HolderAsync()).Should().BeEmpty("a graceful stop releases the lease; log:\n" + output);
        var logs = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        logs.Should().NotBeEmpty();
        logs.Should().AllSatisfy(line =>
        {
            // One ECS object a line: what Filebeat indexes without a pipeline (docs/logging.md).
            var json = JsonDocument.Parse(line).RootElement;
            json.GetProperty("message").GetString().Should().NotBeNull();
            json.GetProperty("@timestamp").GetString().Should().EndWith("Z");
            json.GetProperty("log.level").GetString().Should().NotBeNull();
            json.GetProperty("log.logger").GetString().Should().NotBeNull();
        });
        logs.Should().Contain(line => line.Contains("\"event.code\":\"1403\"", StringComparison.Ordinal), "it logged that it stopped");
    }

    [Fact]
    public async Task After_a_SIGKILL_a_standby_operator_leads_within_the_lease_duration()
    {
        var (process, _, _) = Start("proc-b");
        await Eventually.UntilAsync(async () => (await HolderAsync())?.StartsWith("proc-b_", StringComparison.Ordinal) == true, "the process leads", TimeSpan.FromSeconds(30));
        var options = OperatorHostTests.TestOptions(leaderElection: true) with
        {
            LeaderElection = new LeaderElectionOptions
            {
                LeaseName = LeaseName, LeaseNamespace = "default", Identity = $"standby_{Guid.NewGuid():N}",
                LeaseDuration = LeaseDuration, RenewDeadline = TimeSpan.FromSeconds(2), RetryPeriod = TimeSpan.FromMilliseconds(250),
            },
        };
        await using var standby = await OperatorHost.StartAsync(options, _api.Server.ClientConfiguration(), CancellationToken.None, controllers: []);

        var killed = Stopwatch.StartNew();
        process.Kill();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await Eventually.UntilAsync(() => standby.IsLeader, timeout: LeaseDuration * 3);

        killed.Elapsed.Should().BeGreaterThan(LeaseDuration * 0.5, "the lease was not released").And.BeLessThan(LeaseDuration * 2);
    }

    [Theory]
    [InlineData(new[] { "run", "--bogus", "1" }, 2, "unknown option '--bogus'")]
    [InlineData(new[] { "run", "--workers", "none" }, 2, "--workers: 'none' is not a positive number")]
    [InlineData(new[] { "run", "--kubeconfig", "/nonexistent/kubeconfig" }, 1, "no Kubernetes configuration")]
    [InlineData(new[] { "run", "--help" }, 0, "--leader-election-namespace")]
    [InlineData(new[] { "--workers", "none" }, 2, "gridgame-operator run: --workers: 'none' is not a positive number")]
    [InlineData(new[] { "local", "--api-port", "abc" }, 2, "gridgame-operator local: --api-port: 'abc' is not a valid port")]
    [InlineData(new[] { "crds", "--out" }, 2, "gridgame-operator crds: --out needs a value")]
    [InlineData(new[] { "crds", "--help" }, 0, "--out <DIR|->")]
    [InlineData(new[] { "local", "--help" }, 0, "--kubelet <process|simulated>")]
    public async Task The_run_command_explains_bad_input_and_exits_with_its_code(string[] args, int exitCode, string message)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gridgame-operator.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

        process.ExitCode.Should().Be(exitCode);
        (await stdout + await stderr).Should().Contain(message);
    }

    private (Process Process, int Port, System.Text.StringBuilder Output) Start(string podName)
    {
        var port = FreePort();
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "gridgame-operator.dll"), "run",
            "--kubeconfig", _kubeconfig, "--http-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--http-address", "127.0.0.1",
            "--leader-election-name", LeaseName, "--leader-election-namespace", "default",
            "--lease-duration", "3s", "--renew-deadline", "2s", "--retry-period", "250ms", "--shutdown-timeout", "5s",
        })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["POD_NAME"] = podName;
        info.Environment.Remove("POD_NAMESPACE");
        var output = new System.Text.StringBuilder();
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (output)
                {
                    output.Append(e.Data).Append('\n');
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (output)
                {
                    Errors.Append(e.Data).Append('\n');
                }
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        return (process, port, output);
    }

    private static void Signal(Process process, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit(5000).Should().BeTrue();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task<string?> HolderAsync()
    {
        try
        {
            return (await _api.Client.CoordinationV1.ReadNamespacedLeaseAsync(LeaseName, "default")).Spec.HolderIdentity;
        }
        catch (k8s.Autorest.HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}
