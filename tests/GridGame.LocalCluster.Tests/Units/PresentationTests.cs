using System.Text.Json.Nodes;
using GridGame.LocalCluster.Api;
using GridGame.LocalCluster.Presentation;

namespace GridGame.LocalCluster.Tests.Units;

public sealed class PresentationTests
{
    [Theory]
    [InlineData(0, "0s")]
    [InlineData(119, "119s")]
    [InlineData(125, "2m5s")]
    [InlineData(600, "10m")]
    [InlineData(3 * 3600 + 120, "3h2m")]
    [InlineData(10 * 3600, "10h")]
    [InlineData(3 * 86400 + 3600, "3d1h")]
    [InlineData(30 * 86400, "30d")]
    public void Ages_print_like_the_api_server(int seconds, string expected) =>
        HumanDuration.Format(TimeSpan.FromSeconds(seconds)).Should().Be(expected);

    [Theory]
    [InlineData(".spec.replicas", "3")]
    [InlineData(".spec.ports[1].name", "b")]
    [InlineData(".spec.ports[-1].name", "b")]
    [InlineData(".status.conditions[?(@.type==\"Ready\")].status", "True")]
    [InlineData("{.metadata.labels['gridgame.io/state']}", "Ready")]
    [InlineData(".status.missing", null)]
    public void Json_paths_evaluate_as_printer_columns_need(string path, string? expected)
    {
        var obj = JsonNode.Parse("""
            {"metadata":{"labels":{"gridgame.io/state":"Ready"}},"spec":{"replicas":3,"ports":[{"name":"a"},{"name":"b"}]},
             "status":{"conditions":[{"type":"Progressing","status":"False"},{"type":"Ready","status":"True"}]}}
            """);
        JsonPathExpression.Evaluate(obj, path)?.ToString().Should().Be(expected);
    }

    [Theory]
    [InlineData("/api/v1/pods", "", "v1", null, "pods", null, null)]
    [InlineData("/api/v1/namespaces/default/pods/p/status", "", "v1", "default", "pods", "p", "status")]
    [InlineData("/api/v1/namespaces/default", "", "v1", null, "namespaces", "default", null)]
    [InlineData("/api/v1/namespaces/default/status", "", "v1", null, "namespaces", "default", "status")]
    [InlineData("/apis/gridgame.io/v1/namespaces/x/gamefleets/arena/scale", "gridgame.io", "v1", "x", "gamefleets", "arena", "scale")]
    [InlineData("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/a.b", "apiextensions.k8s.io", "v1", null, "customresourcedefinitions", "a.b", null)]
    public void Resource_paths_parse(string path, string group, string version, string? ns, string resource, string? name, string? sub)
    {
        var p = ApiPath.Parse(path)!;
        (p.Group, p.Version, p.Namespace, p.Resource, p.Name, p.Subresource).Should().Be((group, version, ns, resource, name, sub));
    }

    [Fact]
    public void A_legacy_watch_path_is_a_watch()
    {
        var p = ApiPath.Parse("/api/v1/watch/namespaces/default/pods")!;
        (p.LegacyWatch, p.Namespace, p.Resource).Should().Be((true, "default", "pods"));
    }
}
