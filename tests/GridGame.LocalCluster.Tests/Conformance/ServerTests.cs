using System.Net;
using k8s;
using k8s.Models;

namespace GridGame.LocalCluster.Tests.Conformance;

public sealed class ServerTests
{
    [Fact]
    public async Task The_kubeconfig_it_writes_works_for_KubernetesClient()
    {
        await using var api = await ApiServer.StartAsync();
        var path = api.Server.WriteKubeconfig(Path.Combine(Path.GetTempPath(), "lc-" + Guid.NewGuid().ToString("N"), "kubeconfig"));
        try
        {
            using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path));
            (await client.CoreV1.ListNamespaceAsync()).Items.Select(n => n.Metadata.Name).Should().Contain(["default", "kube-system", "kube-public", "kube-node-lease"]);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public async Task It_listens_on_loopback_only()
    {
        await using var api = await ApiServer.StartAsync();
        api.Server.BaseAddress.Host.Should().Be("127.0.0.1");
    }

    [Fact]
    public async Task A_new_server_over_the_same_store_keeps_objects_resourceVersions_and_watch_history()
    {
        var first = await ApiServer.StartAsync();
        var cm = await first.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "kept" } }, "default");
        var port = first.Server.BaseAddress.Port;
        var store = first.Server.Store;
        await first.DisposeAsync();

        await using var second = await ApiServer.StartAsync(new LocalApiServerOptions { Port = port, Store = store });
        var again = await second.Client.CoreV1.ReadNamespacedConfigMapAsync("kept", "default");
        again.Metadata.ResourceVersion.Should().Be(cm.Metadata.ResourceVersion);
        await second.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "after" } }, "default");
        var events = second.Client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: cm.Metadata.ResourceVersion, cancellationToken: new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        await foreach (var (type, item) in events)
        {
            (type, item.Metadata.Name).Should().Be((WatchEventType.Added, "after"));
            break;
        }
    }

    [Fact]
    public async Task An_unknown_resource_is_404_NotFound_as_a_Status()
    {
        await using var api = await ApiServer.StartAsync();
        using var http = new HttpClient { BaseAddress = api.Server.BaseAddress };
        using var response = await http.GetAsync("/apis/nope.io/v1/things");
        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await response.Content.ReadAsStringAsync()).Should().Contain("\"kind\":\"Status\"").And.Contain("the server could not find the requested resource");
        using var clusterScoped = await http.GetAsync("/api/v1/namespaces/default/nodes");
        clusterScoped.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }
}
