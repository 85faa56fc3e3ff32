using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace GridGame.LocalCluster.Tests.Conformance;

public sealed class ListTests
{
    private static async Task<ApiServer> WithConfigMapsAsync()
    {
        var api = await ApiServer.StartAsync();
        var labels = new[]
        {
            ("a", new Dictionary<string, string> { ["tier"] = "web", ["env"] = "prod" }),
            ("b", new Dictionary<string, string> { ["tier"] = "db", ["env"] = "prod" }),
            ("c", new Dictionary<string, string> { ["tier"] = "web" }),
            ("d", new Dictionary<string, string>()),
        };
        foreach (var (name, l) in labels)
        {
            await api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name, Labels = l } }, "default");
        }
        return api;
    }

    private static async Task<IEnumerable<string>> NamesAsync(ApiServer api, string? labelSelector = null, string? fieldSelector = null) =>
        (await api.Client.CoreV1.ListNamespacedConfigMapAsync("default", labelSelector: labelSelector, fieldSelector: fieldSelector)).Items.Select(i => i.Metadata.Name);

    [Theory]
    [InlineData("tier=web", "a,c")]
    [InlineData("tier==web", "a,c")]
    [InlineData("tier!=web", "b,d")]
    [InlineData("tier in (web,db)", "a,b,c")]
    [InlineData("tier notin (web)", "b,d")]
    [InlineData("env", "a,b")]
    [InlineData("!env", "c,d")]
    [InlineData("tier=web,env=prod", "a")]
    public async Task Label_selectors_select_as_on_a_real_cluster(string selector, string expected)
    {
        await using var api = await WithConfigMapsAsync();
        (await NamesAsync(api, labelSelector: selector)).Should().Equal(expected.Split(','));
    }

    [Fact]
    public async Task A_malformed_label_selector_is_400()
    {
        await using var api = await WithConfigMapsAsync();
        var act = () => NamesAsync(api, labelSelector: "tier in web");
        (await act.Should().ThrowAsync<HttpOperationException>()).Which.Response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("metadata.name=b", "b")]
    [InlineData("metadata.name!=b", "a,c,d")]
    [InlineData("metadata.namespace=default,metadata.name=c", "c")]
    public async Task Field_selectors_on_metadata_select(string selector, string expected)
    {
        await using var api = await WithConfigMapsAsync();
        (await NamesAsync(api, fieldSelector: selector)).Should().Equal(expected.Split(','));
    }

    [Fact]
    public async Task An_unsupported_field_selector_is_400()
    {
        await using var api = await WithConfigMapsAsync();
        var act = () => NamesAsync(api, fieldSelector: "data.x=y");
        var e = (await act.Should().ThrowAsync<HttpOperationException>()).Which;
        e.Response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        e.Response.Content.Should().Contain("field label not supported: data.x");
    }

    [Fact]
    public async Task Pods_select_on_spec_nodeName_and_status_phase()
    {
        await using var api = await ApiServer.StartAsync();
        foreach (var name in new[] { "p1", "p2" })
        {
            await api.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod { Metadata = new V1ObjectMeta { Name = name }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "x:1" }] } }, "default");
        }
        await api.Client.CoreV1.CreateNamespacedPodBindingAsync(new V1Binding { Metadata = new V1ObjectMeta { Name = "p1" }, Target = new V1ObjectReference { Name = "n1" } }, "p1", "default");
        await api.Client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch("""{"status":{"phase":"Running"}}""", V1Patch.PatchType.MergePatch), "p1", "default");
        (await api.Client.CoreV1.ListNamespacedPodAsync("default", fieldSelector: "spec.nodeName=n1")).Items.Select(p => p.Metadata.Name).Should().Equal("p1");
        (await api.Client.CoreV1.ListNamespacedPodAsync("default", fieldSelector: "spec.nodeName=")).Items.Select(p => p.Metadata.Name).Should().Equal("p2");
        (await api.Client.CoreV1.ListNamespacedPodAsync("default", fieldSelector: "status.phase=Pending")).Items.Select(p => p.Metadata.Name).Should().Equal("p2");
    }

    [Fact]
    public async Task Limit_and_continue_page_through_everything_once()
    {
        await using var api = await WithConfigMapsAsync();
        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await api.Client.CoreV1.ListNamespacedConfigMapAsync("default", limit: 3, continueParameter: token);
            seen.AddRange(page.Items.Select(i => i.Metadata.Name));
            token = page.Metadata.ContinueProperty;
            pages++;
        }
        while (!string.IsNullOrEmpty(token));
        seen.Should().Equal("a", "b", "c", "d");
        pages.Should().Be(2);
    }

    [Fact]
    public async Task A_list_carries_the_current_resourceVersion()
    {
        await using var api = await WithConfigMapsAsync();
        var list = await api.Client.CoreV1.ListNamespacedConfigMapAsync("default");
        list.Metadata.ResourceVersion.Should().Be(api.Server.Store.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
        list.Kind.Should().Be("ConfigMapList");
    }

    [Fact]
    public async Task A_namespaced_resource_lists_across_namespaces()
    {
        await using var api = await WithConfigMapsAsync();
        await api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "sys" } }, "kube-system");
        (await api.Client.CoreV1.ListConfigMapForAllNamespacesAsync()).Items.Should().HaveCount(5);
    }

    [Fact]
    public async Task A_continue_token_older_than_the_history_is_410_Expired()
    {
        await using var api = await WithConfigMapsAsync();
        var page = await api.Client.CoreV1.ListNamespacedConfigMapAsync("default", limit: 2);
        await api.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "e" } }, "default");
        api.Server.CompactHistory();
        var act = () => api.Client.CoreV1.ListNamespacedConfigMapAsync("default", limit: 2, continueParameter: page.Metadata.ContinueProperty);
        var e = (await act.Should().ThrowAsync<HttpOperationException>()).Which;
        e.Response.StatusCode.Should().Be(HttpStatusCode.Gone);
        e.Response.Content.Should().Contain("\"reason\":\"Expired\"");
    }

    [Fact]
    public async Task A_list_at_resourceVersion_0_ignores_limit_as_the_watch_cache_does()
    {
        await using var api = await WithConfigMapsAsync();
        var all = await api.Client.CoreV1.ListNamespacedConfigMapAsync("default", limit: 2, resourceVersion: "0");
        all.Items.Should().HaveCount(4);
        all.Metadata.ContinueProperty.Should().BeNullOrEmpty();
    }
}
