namespace GridGame.EndToEnd.Tests;

/// <summary>`gridgame-operator local --api-only`: just LocalCluster, for kubectl and client experiments.</summary>
public sealed class ApiOnlyTests
{
    [Fact]
    public async Task Api_only_serves_kubectl_which_installs_the_CRDs_and_creates_the_sample_fleet()
    {
        await using var local = await LocalModeProcess.StartAsync("--api-only");
        local.Output.Should().Contain($"API {local.Api.ToString().TrimEnd('/')}").And.Contain($"kubeconfig {local.Kubeconfig}").And.NotContain("lobby");

        await local.KubectlAsync("apply", "-k", Path.Combine(Built.Root, "config", "crd"));
        await local.KubectlAsync("wait", "--for=condition=Established", "crd/gamefleets.gridgame.io", "--timeout=30s");
        await local.KubectlAsync("create", "-f", Path.Combine(Built.Root, "config", "samples", "gamefleet.yaml"));

        var fleets = await local.KubectlAsync("get", "gf");
        fleets.Should().Contain("arena", "the sample fleet exists, and no operator runs to scale it in --api-only mode");
        (await local.KubectlAsync("get", "pods", "-o", "name")).Should().BeEmpty();
        (await local.StopAsync(TimeSpan.FromSeconds(30))).Should().Be(0, local.Output);
    }
}
