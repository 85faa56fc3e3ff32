using System.Runtime.InteropServices;
using GridGame.Operator.Hosting;
using k8s;

namespace GridGame.Operator.Cli;

/// <summary>The `run` command: the operator against $KUBECONFIG (or --kubeconfig), else in-cluster.</summary>
internal static class RunCommand
{
    public static async Task<int> ExecuteAsync(OperatorOptions options, CancellationToken cancellationToken)
    {
        KubernetesClientConfiguration configuration;
        try
        {
            configuration = options.Kubeconfig is { } path
                ? KubernetesClientConfiguration.BuildConfigFromConfigFile(path)
                : KubernetesClientConfiguration.IsInCluster()
                    ? KubernetesClientConfiguration.InClusterConfig()
                    : KubernetesClientConfiguration.BuildDefaultConfig();
        }
        catch (Exception ex) when (ex is k8s.Exceptions.KubeConfigException or IOException)
        {
            Console.Error.WriteLine($"gridgame-operator run: no Kubernetes configuration: {ex.Message}. Set KUBECONFIG or --kubeconfig, or run in a pod.");
            return 1;
        }

        // SIGTERM (kubelet stopping the pod): cancel the default exit and shut down in order, within the timeout.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });

        await using var host = await OperatorHost.StartAsync(options, configuration, stop.Token);
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await host.StopAsync();
        return 0;
    }
}
