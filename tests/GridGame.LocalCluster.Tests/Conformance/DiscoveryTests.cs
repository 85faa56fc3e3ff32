using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace GridGame.LocalCluster.Tests.Conformance;

public sealed class DiscoveryTests
{
    private static async Task<JsonObject> GetJsonAsync(ApiServer api, string path, string? accept = null)
    {
        using var http = new HttpClient { BaseAddress = api.Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }
        using var response = await http.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.OK, path);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    [Fact]
    public async Task Version_answers_like_a_1_32_server()
    {
        await using var api = await ApiServer.StartAsync();
        var version = await api.Client.Version.GetCodeAsync();
        (version.Major, version.Minor).Should().Be(("1", "32"));
    }

    [Fact]
    public async Task Core_discovery_lists_pods_with_verbs_short_names_and_subresources()
    {
        await using var api = await ApiServer.StartAsync();
        var resources = await api.Client.CoreV1.GetAPIResourcesAsync();
        var pods = resources.Resources.Single(r => r.Name == "pods");
        pods.Verbs.Should().Contain(["create", "delete", "get", "list", "patch", "update", "watch"]);
        pods.ShortNames.Should().Equal("po");
        pods.Namespaced.Should().BeTrue();
        resources.Resources.Select(r => r.Name).Should().Contain(["pods/status", "pods/binding", "namespaces", "nodes", "events", "configmaps", "secrets", "services"]);
    }

    [Fact]
    public async Task A_crd_appears_in_discovery_with_its_names_and_subresources_and_disappears_with_it()
    {
        await using var api = await ApiServer.StartAsync();
        await api.InstallWidgetCrdAsync();
        var groups = await api.Client.Apis.GetAPIVersionsAsync();
        groups.Groups.Select(g => g.Name).Should().Contain(["test.gridgame.io", "apiextensions.k8s.io", "coordination.k8s.io", "events.k8s.io"]);
        var list = await GetJsonAsync(api, "/apis/test.gridgame.io/v1");
        var resources = list["resources"]!.AsArray().Select(r => r!.AsObject()).ToList();
        var widgets = resources.Single(r => r.Str("name") == "widgets");
        widgets.Node("shortNames")!.AsArray().Select(n => (string?)n).Should().Equal("wd");
        widgets.Node("categories")!.AsArray().Select(n => (string?)n).Should().Equal("gridgame");
        resources.Single(r => r.Str("name") == "widgets/scale").Str("kind").Should().Be("Scale");
        resources.Should().Contain(r => r.Str("name") == "widgets/status");

        var crd = await api.Client.ApiextensionsV1.ReadCustomResourceDefinitionAsync("widgets.test.gridgame.io");
        crd.Status.Conditions.Should().Contain(c => c.Type == "Established" && c.Status == "True");

        await api.Client.ApiextensionsV1.DeleteCustomResourceDefinitionAsync("widgets.test.gridgame.io");
        (await api.Client.Apis.GetAPIVersionsAsync()).Groups.Select(g => g.Name).Should().NotContain("test.gridgame.io");
    }

    [Fact]
    public async Task A_table_has_the_crd_printer_columns()
    {
        await using var api = await ApiServer.StartAsync();
        await api.InstallWidgetCrdAsync();
        await new Widgets(api.Client).CreateAsync("w", replicas: 4);
        var table = await GetJsonAsync(api, "/apis/test.gridgame.io/v1/namespaces/default/widgets", "application/json;as=Table;v=v1;g=meta.k8s.io");
        table.Str("kind").Should().Be("Table");
        table["columnDefinitions"]!.AsArray().Select(c => (string?)c!["name"]).Should().Equal("Name", "Desired", "Ready", "Color", "Age");
        var cells = table["rows"]!.AsArray()[0]!["cells"]!.AsArray();
        ((string?)cells[0]).Should().Be("w");
        ((long?)cells[1]).Should().Be(4);
        cells[2].Should().BeNull();
        ((string?)cells[3]).Should().Be("red");
        ((string?)cells[4]).Should().MatchRegex("^[0-9]+s$");
        table["rows"]!.AsArray()[0]!["object"]!["kind"]!.GetValue<string>().Should().Be("PartialObjectMetadata");
    }

    [Fact]
    public async Task A_pod_table_has_ready_status_restarts_and_age()
    {
        await using var api = await ApiServer.StartAsync();
        await api.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod { Metadata = new V1ObjectMeta { Name = "p" }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "x:1" }] } }, "default");
        var table = await GetJsonAsync(api, "/api/v1/namespaces/default/pods/p", "application/json;as=Table;v=v1;g=meta.k8s.io");
        table["columnDefinitions"]!.AsArray().Where(c => (long)c!["priority"]! == 0).Select(c => (string?)c!["name"]).Should().Equal("Name", "Ready", "Status", "Restarts", "Age");
        table["rows"]!.AsArray()[0]!["cells"]!.AsArray().Take(4).Select(c => c!.ToString()).Should().Equal("p", "0/1", "Pending", "0");
    }

    [Fact]
    public async Task OpenApi_v3_lists_every_group_version_with_patch_operations_that_take_fieldValidation()
    {
        await using var api = await ApiServer.StartAsync();
        await api.InstallWidgetCrdAsync();
        var root = await GetJsonAsync(api, "/openapi/v3");
        var url = (string)root["paths"]!["apis/test.gridgame.io/v1"]!["serverRelativeURL"]!;
        var doc = await GetJsonAsync(api, url);
        var patch = doc["paths"]!["/apis/test.gridgame.io/v1/namespaces/{namespace}/widgets/{name}"]!["patch"]!.AsObject();
        patch.Str("x-kubernetes-group-version-kind.kind").Should().Be("Widget");
        patch["parameters"]!.AsArray().Select(p => (string?)p!["name"]).Should().Contain("fieldValidation");
    }

    [Fact]
    public async Task Aggregated_discovery_answers_kubectls_accept_header_in_one_document()
    {
        await using var api = await ApiServer.StartAsync();
        await api.InstallWidgetCrdAsync();
        const string Accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        var apis = await GetJsonAsync(api, "/apis", Accept);
        apis.Str("kind").Should().Be("APIGroupDiscoveryList");
        apis.Str("apiVersion").Should().Be("apidiscovery.k8s.io/v2");
        var group = apis["items"]!.AsArray().Single(g => (string?)g!["metadata"]!["name"] == "test.gridgame.io")!.AsObject();
        var widgets = group["versions"]!.AsArray()[0]!["resources"]!.AsArray().Single()!.AsObject();
        (widgets.Str("resource"), widgets.Str("scope"), widgets.Str("responseKind.kind")).Should().Be(("widgets", "Namespaced", "Widget"));
        widgets["subresources"]!.AsArray().Select(s => (string?)s!["subresource"]).Should().Equal("status", "scale");
        var core = await GetJsonAsync(api, "/api", Accept);
        core["items"]!.AsArray().Single()!["versions"]!.AsArray()[0]!["resources"]!.AsArray().Select(r => (string?)r!["resource"]).Should().Contain(["pods", "namespaces", "events"]);
    }
}
