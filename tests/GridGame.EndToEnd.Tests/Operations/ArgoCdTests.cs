using System.Text.Json.Nodes;

namespace GridGame.EndToEnd.Tests.Operations;

/// <summary>
/// The Argo CD config: the health checks (config/argocd/health, run by the real Lua interpreter) on fleets and
/// sessions in every state the operator reports, the argocd-cm Kustomize builds from them, the Application and
/// the sync waves of the prod overlay.
/// </summary>
public sealed class ArgoCdTests
{
    public static TheoryData<string, string, string, string> Fleets => new()
    {
        { "just created, no status yet", "{}", "Progressing", "Waiting for the operator" },
        { "a spec change the operator has not seen", """{"observedGeneration": 1, "conditions": [{"type": "Ready", "status": "True", "reason": "AllReady", "message": "3 of 3 servers Ready or Allocated"}]}""", "Progressing", "observe generation 2" },
        { "scaling up", """{"observedGeneration": 2, "conditions": [{"type": "Ready", "status": "False", "reason": "NotAllReady", "message": "1 of 3 servers Ready or Allocated"}]}""", "Progressing", "1 of 3 servers" },
        { "all servers up", """{"observedGeneration": 2, "rollout": {"phase": "Complete"}, "conditions": [{"type": "Ready", "status": "True", "reason": "AllReady", "message": "3 of 3 servers Ready or Allocated"}, {"type": "RolloutFailed", "status": "False", "reason": "NoFailure"}]}""", "Healthy", "3 of 3 servers" },
        { "idle, never rolled out", """{"observedGeneration": 2, "rollout": {"phase": "Idle"}, "conditions": [{"type": "Ready", "status": "True", "reason": "AllReady", "message": "2 of 2 servers Ready or Allocated"}]}""", "Healthy", "2 of 2" },
        { "rolling out", """{"observedGeneration": 2, "rollout": {"phase": "Progressing", "message": "1 of 3 green servers Ready"}, "conditions": [{"type": "Ready", "status": "True", "reason": "AllReady"}, {"type": "Progressing", "status": "True", "reason": "RolloutStarted"}]}""", "Progressing", "1 of 3 green" },
        { "promoted, old games still draining", """{"observedGeneration": 2, "rollout": {"phase": "Draining"}, "conditions": [{"type": "Ready", "status": "True", "reason": "AllReady"}]}""", "Progressing", "Draining" },
        { "awaiting a manual promotion", """{"observedGeneration": 2, "targetRevision": "abc123", "rollout": {"phase": "AwaitingPromotion"}, "conditions": [{"type": "Ready", "status": "True", "reason": "AllReady"}]}""", "Suspended", "abc123" },
        { "rollout failed", """{"observedGeneration": 2, "rollout": {"phase": "Failed", "message": "0 of 3 green servers Ready after 600 s"}, "conditions": [{"type": "Ready", "status": "True", "reason": "AllReady"}, {"type": "RolloutFailed", "status": "True", "reason": "ProgressDeadlineExceeded", "message": "0 of 3 green servers Ready after 600 s"}]}""", "Degraded", "Rollout failed: 0 of 3 green servers Ready after 600 s" },
        { "rollout failed, told by the condition only", """{"observedGeneration": 2, "conditions": [{"type": "RolloutFailed", "status": "True", "reason": "CrashLooping", "message": "green server x restarted 6 times"}]}""", "Degraded", "restarted 6 times" },
        { "servers crash-looping", """{"observedGeneration": 2, "conditions": [{"type": "Ready", "status": "False", "reason": "CrashLooping", "message": "servers of revision r1 keep failing; new ones are created with back-off"}]}""", "Degraded", "keep failing" },
        { "out of host ports", """{"observedGeneration": 2, "conditions": [{"type": "Ready", "status": "False", "reason": "PortsExhausted", "message": "the hostPort range is exhausted"}]}""", "Degraded", "hostPort" },
        { "invalid spec", """{"observedGeneration": 2, "conditions": [{"type": "Invalid", "status": "True", "reason": "Invalid", "message": "spec.replicas: must be at most 10000"}]}""", "Degraded", "spec.replicas" },
    };

    [Theory]
    [MemberData(nameof(Fleets))]
    public async Task A_fleet_has_the_health_Argo_CD_should_show(string situation, string status, string health, string message)
    {
        var fleet = JsonNode.Parse($$"""{"apiVersion": "gridgame.io/v1", "kind": "GameFleet", "metadata": {"name": "arena", "generation": 2}, "status": {{status}}}""")!;
        if (situation.StartsWith("just created", StringComparison.Ordinal))
        {
            fleet.AsObject().Remove("status");
        }

        var (actual, text) = await ArgoHealth.EvaluateAsync("gamefleet.lua", fleet);

        actual.Should().Be(health, situation);
        text.Should().Contain(message, situation);
    }

    [Theory]
    [InlineData(null, null, "Progressing", "Waiting for a server")]
    [InlineData("Pending", null, "Progressing", "Waiting for a server")]
    [InlineData("Allocated", null, "Healthy", "Allocated on arena-x1")]
    [InlineData("Running", null, "Healthy", "Running on arena-x1")]
    [InlineData("Finished", null, "Healthy", "Finished")]
    [InlineData("Failed", "Unallocatable", "Degraded", "Unallocatable: no Ready server")]
    [InlineData("Failed", "ServerLost", "Degraded", "ServerLost")]
    public async Task A_session_has_the_health_Argo_CD_should_show(string? phase, string? reason, string health, string message)
    {
        var session = new JsonObject { ["apiVersion"] = "gridgame.io/v1", ["kind"] = "GameSession", ["metadata"] = new JsonObject { ["name"] = "s" } };
        if (phase is not null)
        {
            session["status"] = new JsonObject
            {
                ["phase"] = phase,
                ["reason"] = reason,
                ["message"] = reason == "Unallocatable" ? "no Ready server" : null,
                ["serverName"] = phase is "Allocated" or "Running" ? "arena-x1" : null,
            };
        }

        var (actual, text) = await ArgoHealth.EvaluateAsync("gamesession.lua", session);

        actual.Should().Be(health);
        text.Should().Contain(message);
    }

    [Fact]
    public async Task Kustomize_puts_the_health_scripts_into_argocd_cm_as_they_are_and_defines_the_project_and_application()
    {
        var built = await Tool.SucceedsAsync("kubectl", ["kustomize", "config/argocd"]);
        var objects = Yaml.Documents(built).Select(o => o!.AsObject()).ToList();

        var cm = objects.Should().ContainSingle(o => (string)o["kind"]! == "ConfigMap").Subject;
        ((string)cm["metadata"]!["name"]!, (string)cm["metadata"]!["namespace"]!).Should().Be(("argocd-cm", "argocd"));
        ((string)cm["data"]!["resource.customizations.health.gridgame.io_GameFleet"]!).Should().Be(await File.ReadAllTextAsync(Path.Combine(Built.Root, "config/argocd/health/gamefleet.lua")));
        ((string)cm["data"]!["resource.customizations.health.gridgame.io_GameSession"]!).Should().Be(await File.ReadAllTextAsync(Path.Combine(Built.Root, "config/argocd/health/gamesession.lua")));

        var app = objects.Should().ContainSingle(o => (string)o["kind"]! == "Application").Subject;
        ((string)app["spec"]!["source"]!["path"]!).Should().Be("config/overlays/prod");
        var sync = app["spec"]!["syncPolicy"]!;
        ((bool)sync["automated"]!["prune"]!, (bool)sync["automated"]!["selfHeal"]!).Should().Be((true, true));
        sync["syncOptions"]!.AsArray().Select(o => (string)o!).Should().Contain("ServerSideApply=true");
        ((string)app["spec"]!["project"]!).Should().Be("gridgame");
        objects.Should().ContainSingle(o => (string)o["kind"]! == "AppProject" && (string)o["metadata"]!["name"]! == "gridgame");
    }

    [Fact]
    public async Task The_prod_overlay_syncs_the_CRDs_first_then_the_operator_then_the_fleets()
    {
        var built = await Tool.SucceedsAsync("kubectl", ["kustomize", "config/overlays/prod"]);
        var objects = Yaml.Documents(built).Select(o => o!.AsObject()).ToList();
        static int Wave(JsonObject o) => int.Parse((string?)o["metadata"]!["annotations"]?["argocd.argoproj.io/sync-wave"] ?? "0", System.Globalization.CultureInfo.InvariantCulture);

        var crds = objects.Where(o => (string)o["kind"]! == "CustomResourceDefinition").ToList();
        var fleets = objects.Where(o => (string)o["kind"]! == "GameFleet").ToList();
        var operatorDeployment = objects.Single(o => (string)o["kind"]! == "Deployment");

        crds.Should().HaveCount(2);
        fleets.Should().NotBeEmpty();
        crds.Select(Wave).Max().Should().BeLessThan(Wave(operatorDeployment));
        fleets.Select(Wave).Min().Should().BeGreaterThan(Wave(operatorDeployment));
        // Everything else goes with the operator, so RBAC, namespaces and monitoring are there before any fleet.
        objects.Except(crds).Except(fleets).Select(Wave).Should().AllBeEquivalentTo(Wave(operatorDeployment));
    }
}

/// <summary>The fleet health check on the object a real operator wrote, as Argo CD would read it from the cluster.</summary>
[Collection(LocalModeCollection.Name)]
public sealed class ArgoCdLiveFleetTests(LocalModeFixture fixture)
{
    [Fact]
    public async Task The_sample_fleet_with_its_servers_up_is_Healthy()
    {
        var health = await Eventually.ValueAsync(async () =>
        {
            var fleet = JsonNode.Parse(await fixture.Local.KubectlAsync("get", "gamefleet", "arena", "-o", "json"))!;
            var result = await ArgoHealth.EvaluateAsync("gamefleet.lua", fleet);
            return result.Status == "Healthy" ? (object)result : null;
        }, TimeSpan.FromSeconds(90), "the sample fleet Healthy by the Argo CD health check");

        (((string Status, string Message))health).Message.Should().Contain("servers Ready or Allocated");
    }
}
