using System.Diagnostics;
using GridGame.Operator.Tests.Fleets;

namespace GridGame.Operator.Tests;

/// <summary>The real /usr/bin/kubectl against an <see cref="OperatorCluster"/>, through a kubeconfig of its own.</summary>
internal static class Kubectl
{
    /// <summary>Runs kubectl (bounded) and expects success; returns stdout. Arguments are split on spaces.</summary>
    public static async Task<string> RunAsync(OperatorCluster cluster, string args)
    {
        var dir = Directory.CreateTempSubdirectory("operator-kubectl-");
        try
        {
            var kubeconfig = cluster.Api.WriteKubeconfig(Path.Combine(dir.FullName, "kubeconfig"));
            var info = new ProcessStartInfo("/usr/bin/kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "--kubeconfig", kubeconfig, "--cache-dir", Path.Combine(dir.FullName, "cache"), "--namespace", OperatorCluster.Namespace })
            {
                info.ArgumentList.Add(a);
            }
            foreach (var a in args.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                info.ArgumentList.Add(a);
            }
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"kubectl {args} did not finish in 30s");
            }
            process.ExitCode.Should().Be(0, $"kubectl {args} failed: {await stderr}");
            return await stdout;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
