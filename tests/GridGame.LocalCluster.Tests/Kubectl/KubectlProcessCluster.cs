using GridGame.LocalCluster.Nodes;
using k8s;

namespace GridGame.LocalCluster.Tests.Kubectl;

/// <summary>The real kubectl against LocalCluster with the process kubelet: for what kubectl does with running containers (logs, exec).</summary>
public sealed class KubectlProcessCluster : IAsyncDisposable
{
    private KubectlProcessCluster(KubectlRunner kubectl, LocalNodes nodes, string dir)
    {
        Kubectl = kubectl;
        Nodes = nodes;
        Dir = dir;
    }

    public KubectlRunner Kubectl { get; }

    public LocalNodes Nodes { get; }

    /// <summary>The kubelet's state directory (pods' working directories, logs), deleted with the cluster.</summary>
    public string Dir { get; }

    public Kubernetes Client => Kubectl.Api.Client;

    public static async Task<KubectlProcessCluster> StartAsync(string prefix)
    {
        var dir = Directory.CreateTempSubdirectory(prefix).FullName;
        var kubectl = await KubectlRunner.StartAsync();
        var nodes = await LocalNodes.StartAsync(new LocalNodesOptions { Client = kubectl.Api.Server.ClientConfiguration(), Kind = KubeletKind.Process, StateDirectory = dir });
        return new KubectlProcessCluster(kubectl, nodes, dir);
    }

    public async ValueTask DisposeAsync()
    {
        await Nodes.DisposeAsync();
        await Kubectl.DisposeAsync();
        Directory.Delete(Dir, recursive: true);
    }
}
