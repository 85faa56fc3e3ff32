using GridGame.LocalCluster.Kubelets;
using k8s.Models;

namespace GridGame.LocalCluster.Tests.Kubelets;

public sealed class ContainerEnvironmentTests
{
    private static V1Pod Pod(params V1EnvVar[] env) => new()
    {
        Metadata = new V1ObjectMeta { Name = "gs-1", NamespaceProperty = "games", Uid = "u-1", Labels = new Dictionary<string, string> { ["app"] = "gs" } },
        Spec = new V1PodSpec
        {
            NodeName = "node-0",
            Containers = [new V1Container { Name = "c", Env = env, Ports = [new V1ContainerPort { Name = "game", ContainerPort = 7777, HostPort = 7042 }] }],
        },
    };

    private static readonly ReferencedData Data = new(
        new Dictionary<string, IReadOnlyDictionary<string, string>> { ["jwt"] = new Dictionary<string, string> { ["key"] = "s3cret" } },
        new Dictionary<string, IReadOnlyDictionary<string, string>> { ["cfg"] = new Dictionary<string, string> { ["size"] = "8" } });

    private static (Dictionary<string, string>? Env, string? Error) Build(V1Pod pod) =>
        ContainerEnvironment.Build(pod, pod.Spec.Containers[0], "127.0.0.1", "127.0.0.1", PortMap.For(pod.Spec.Containers[0], () => 40000), "/tmp/kc", Data);

    private static V1EnvVar Field(string name, string path) => new() { Name = name, ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = path } } };

    [Fact]
    public void Downward_api_fields_resolve_from_the_pod()
    {
        var (env, _) = Build(Pod(Field("POD_NAME", "metadata.name"), Field("POD_NAMESPACE", "metadata.namespace"),
            Field("POD_IP", "status.podIP"), Field("NODE", "spec.nodeName"), Field("APP", "metadata.labels['app']")));
        env.Should().Contain(new Dictionary<string, string>
        {
            ["POD_NAME"] = "gs-1", ["POD_NAMESPACE"] = "games", ["POD_IP"] = "127.0.0.1", ["NODE"] = "node-0", ["APP"] = "gs",
        });
    }

    [Fact]
    public void Secret_and_config_map_keys_resolve_and_later_values_can_refer_to_earlier_ones()
    {
        var (env, _) = Build(Pod(
            new V1EnvVar { Name = "KEY", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = "jwt", Key = "key" } } },
            new V1EnvVar { Name = "SIZE", ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Name = "cfg", Key = "size" } } },
            new V1EnvVar { Name = "BOTH", Value = "$(KEY)/$(SIZE)" }));
        env!["KEY"].Should().Be("s3cret");
        env["BOTH"].Should().Be("s3cret/8");
    }

    [Fact]
    public void A_missing_secret_is_an_error_unless_optional()
    {
        var missing = new V1EnvVar { Name = "K", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = "nope", Key = "k" } } };
        Build(Pod(missing)).Error.Should().Be("secret \"nope\" not found");
        missing.ValueFrom.SecretKeyRef.Optional = true;
        Build(Pod(missing)).Env.Should().NotContainKey("K");
    }

    [Fact]
    public void The_host_port_becomes_PORT_and_the_aspnetcore_listen_address()
    {
        var (env, _) = Build(Pod(new V1EnvVar { Name = "ASPNETCORE_URLS", Value = "http://+:7777" }));
        env!["PORT"].Should().Be("7042");
        env["ASPNETCORE_URLS"].Should().Be("http://127.0.0.1:7042");
        env["KUBECONFIG"].Should().Be("/tmp/kc");
    }

    [Fact]
    public void Each_named_port_tells_the_program_its_local_port()
    {
        var pod = Pod();
        pod.Spec.Containers[0].Ports.Add(new V1ContainerPort { Name = "ops", ContainerPort = 8081 });
        pod.Spec.Containers[0].Ports.Add(new V1ContainerPort { Name = "admin-api", ContainerPort = 9000 });

        var (env, _) = Build(pod);

        env.Should().Contain(new Dictionary<string, string> { ["PORT"] = "7042", ["PORT_GAME"] = "7042", ["PORT_OPS"] = "40000", ["PORT_ADMIN_API"] = "40000" });
    }

    [Fact]
    public void A_container_port_without_host_port_maps_to_a_free_port_and_probes_follow_it()
    {
        var c = new V1Container { Name = "c", Ports = [new V1ContainerPort { Name = "http", ContainerPort = 8080 }] };
        var ports = PortMap.For(c, () => 41000);
        ports.Primary.Should().Be(41000);
        ports.Resolve((IntOrString)"8080").Should().Be(41000);
        ports.Resolve((IntOrString)"http").Should().Be(41000);
        ports.Resolve((IntOrString)"9090").Should().Be(9090);
    }
}
