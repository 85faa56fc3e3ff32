using System.Text.Json.Nodes;
using k8s;

namespace GridGame.LocalCluster.Tests;

/// <summary>A running LocalApiServer and a real KubernetesClient talking to it over HTTP.</summary>
public sealed class ApiServer : IAsyncDisposable
{
    private ApiServer(LocalApiServer server)
    {
        Server = server;
        Client = new Kubernetes(server.ClientConfiguration());
    }

    public LocalApiServer Server { get; }

    public Kubernetes Client { get; }

    public static async Task<ApiServer> StartAsync(LocalApiServerOptions? options = null) =>
        new(await LocalApiServer.StartAsync(options ?? new LocalApiServerOptions()));

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }

    /// <summary>Installs the test CRD (widgets.test.gridgame.io) and returns once it is served.</summary>
    public async Task InstallWidgetCrdAsync()
    {
        await Client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(KubernetesJson.Deserialize<k8s.Models.V1CustomResourceDefinition>(TestCrd.WidgetCrdJson));
    }

    public static JsonObject Widget(string name, long replicas = 1, string? ns = "default") => new()
    {
        ["apiVersion"] = "test.gridgame.io/v1",
        ["kind"] = "Widget",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["spec"] = new JsonObject { ["replicas"] = replicas, ["color"] = "red" },
    };
}
