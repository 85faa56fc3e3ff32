using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace GridGame.LocalCluster.Tests.Kubectl;

/// <summary>The real kubectl, unmodified, against LocalCluster: what ops will type.</summary>
public sealed class KubectlTests
{
    private static readonly string Crds = Path.Combine(RepositoryRoot.Path, "crds");
    private static readonly string SampleFleet = Path.Combine(RepositoryRoot.Path, "config", "samples", "gamefleet.yaml");
    private static readonly string SampleSession = Path.Combine(RepositoryRoot.Path, "config", "samples", "gamesession.yaml");

    private static async Task<KubectlRunner> WithFleetAsync()
    {
        var kubectl = await KubectlRunner.StartAsync();
        await kubectl.OkAsync($"apply -f {Crds}");
        await kubectl.OkAsync("wait --for=condition=Established crd/gamefleets.gridgame.io crd/gamesessions.gridgame.io --timeout=10s");
        await kubectl.OkAsync($"apply -f {SampleFleet}");
        return kubectl;
    }

    [Fact]
    public async Task Apply_of_the_crds_and_the_samples_succeeds()
    {
        await using var kubectl = await WithFleetAsync();
        (await kubectl.OkAsync($"create -f {SampleSession}")).Should().MatchRegex("gamesession.gridgame.io/match-[a-z0-9]{5} created");
        (await kubectl.OkAsync($"apply -f {SampleFleet}")).Should().Contain("gamefleet.gridgame.io/arena unchanged");
    }

    [Fact]
    public async Task Get_prints_the_printer_columns()
    {
        await using var kubectl = await WithFleetAsync();
        var output = await kubectl.OkAsync("get gf");
        output.Split('\n')[0].Should().MatchRegex(@"^NAME\s+DESIRED\s+READY\s+ALLOCATED\s+DRAINING\s+ACTIVE\s+ROLLOUT\s+AGE");
        output.Split('\n')[1].Should().MatchRegex(@"^arena\s+2\s+.*\s[0-9]+s\s*$");
        (await kubectl.OkAsync("get gf -o wide")).Split('\n')[0].Should().Contain("TARGET");
        (await kubectl.OkAsync("get gridgame")).Should().Contain("gamefleet.gridgame.io/arena", "the category lists every GridGame resource");
    }

    [Fact]
    public async Task Get_o_yaml_shows_the_defaulted_object()
    {
        await using var kubectl = await WithFleetAsync();
        var yaml = await kubectl.OkAsync("get gamefleet arena -o yaml");
        yaml.Should().Contain("kind: GameFleet").And.Contain("generation: 1").And.Contain("uid: ").And.Contain("type: BlueGreen");
    }

    [Fact]
    public async Task Scale_goes_through_the_scale_subresource()
    {
        await using var kubectl = await WithFleetAsync();
        (await kubectl.OkAsync("scale gf/arena --replicas=5")).Should().Contain("gamefleet.gridgame.io/arena scaled");
        (await kubectl.OkAsync("get gf arena -o jsonpath={.spec.replicas}")).Should().Be("5");
    }

    [Fact]
    public async Task Label_annotate_and_both_patch_types_work()
    {
        await using var kubectl = await WithFleetAsync();
        await kubectl.OkAsync("label gf arena tier=gold");
        await kubectl.OkAsync("annotate gf arena note=hello");
        await kubectl.OkAsync("patch gf arena --type=merge -p {\"spec\":{\"scheduling\":\"Distributed\"}}");
        await kubectl.OkAsync("patch gf arena --type=json -p [{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":3}]");
        var fleet = JsonNode.Parse(await kubectl.OkAsync("get gf arena -o json"))!.AsObject();
        fleet.Str("metadata.labels.tier").Should().Be("gold");
        fleet.Str("metadata.annotations.note").Should().Be("hello");
        fleet.Str("spec.scheduling").Should().Be("Distributed");
        fleet.Long("spec.replicas").Should().Be(3);
        var (code, _, err) = await kubectl.RunAsync("patch gf arena --type=json -p [{\"op\":\"test\",\"path\":\"/spec/replicas\",\"value\":9}]");
        code.Should().NotBe(0);
        err.Should().Contain("testing value /spec/replicas failed");
    }

    [Fact]
    public async Task An_invalid_GameFleet_is_refused_with_the_field_named()
    {
        await using var kubectl = await WithFleetAsync();
        var bad = kubectl.WriteFile("bad.yaml", File.ReadAllText(SampleFleet).Replace("name: arena", "name: bad", StringComparison.Ordinal).Replace("boardSize: 8", "boardSize: 1000", StringComparison.Ordinal));
        var (code, _, err) = await kubectl.RunAsync($"apply -f {bad}");
        code.Should().NotBe(0);
        err.Should().Contain("The GameFleet \"bad\" is invalid: spec.game.boardSize");
    }

    [Fact]
    public async Task A_GameFleet_with_more_replicas_than_an_int32_holds_is_refused_as_kube_apiserver_refuses_it()
    {
        await using var kubectl = await WithFleetAsync();
        var big = kubectl.WriteFile("big.yaml", File.ReadAllText(SampleFleet).Replace("name: arena", "name: big", StringComparison.Ordinal).Replace("replicas: 2", "replicas: 2147483648", StringComparison.Ordinal));
        var (code, _, err) = await kubectl.RunAsync($"apply -f {big}");
        code.Should().NotBe(0);
        err.Should().Contain("The GameFleet \"big\" is invalid: .spec.replicas: Invalid value: 2147483648: should be less than or equal to 2147483647");
    }

    [Fact]
    public async Task A_GameFleet_with_a_number_among_its_pod_template_labels_is_stored_as_kube_apiserver_stores_it()
    {
        // The CRD leaves template.metadata free-form (x-kubernetes-preserve-unknown-fields, not an embedded
        // resource), so upstream neither types nor validates these labels: the operator must cope with it.
        await using var kubectl = await WithFleetAsync();
        var odd = kubectl.WriteFile("odd.yaml", File.ReadAllText(SampleFleet).Replace("name: arena", "name: odd", StringComparison.Ordinal).Replace("app: gridgame", "app: 1", StringComparison.Ordinal));
        await kubectl.OkAsync($"apply -f {odd}");
        (await kubectl.OkAsync("get gf odd -o jsonpath={.spec.template.metadata.labels.app}")).Should().Be("1");
    }

    [Fact]
    public async Task Delete_waits_for_finalizers_to_be_removed()
    {
        await using var kubectl = await WithFleetAsync();
        await kubectl.OkAsync("patch gf arena --type=merge -p {\"metadata\":{\"finalizers\":[\"test/hold\"]}}");
        var watchers = kubectl.Api.Server.Store.WatcherCount;
        var delete = kubectl.RunAsync("delete gf arena --timeout=20s");
        await Eventually.ValueAsync<object>(async () =>
        {
            var fleet = await kubectl.Api.Client.CustomObjects.GetNamespacedCustomObjectAsync<JsonObject>("gridgame.io", "v1", "default", "gamefleets", "arena");
            return fleet.Str("metadata.deletionTimestamp") is null ? null : fleet;
        });
        // kubectl watches the object once its delete is accepted: from then on it is waiting, not about to exit.
        await Eventually.UntilAsync(() => kubectl.Api.Server.Store.WatcherCount > watchers || delete.IsCompleted, "kubectl watches the object it deletes");
        delete.IsCompleted.Should().BeFalse("kubectl waits while the finalizer holds the object");
        await kubectl.Api.Client.CustomObjects.PatchNamespacedCustomObjectAsync<JsonObject>(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), "gridgame.io", "v1", "default", "gamefleets", "arena");
        var (code, stdout, stderr) = await delete;
        code.Should().Be(0, stderr);
        stdout.Should().Contain("gamefleet.gridgame.io \"arena\" deleted");
    }

    [Fact]
    public async Task Get_w_prints_changes_made_by_another_client()
    {
        await using var kubectl = await WithFleetAsync();
        using var watch = kubectl.Start("get gf -w");
        try
        {
            var lines = new List<string>();
            async Task<string> NextLineAsync()
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                var line = await watch.StandardOutput.ReadLineAsync(cts.Token);
                lines.Add(line ?? "");
                return line ?? throw new InvalidOperationException("kubectl get -w ended: " + await watch.StandardError.ReadToEndAsync());
            }
            (await NextLineAsync()).Should().StartWith("NAME");
            (await NextLineAsync()).Should().MatchRegex(@"^arena\s+2\s");
            await kubectl.Api.Client.CustomObjects.PatchNamespacedCustomObjectScaleAsync<JsonObject>(new V1Patch("""{"spec":{"replicas":6}}""", V1Patch.PatchType.MergePatch), "gridgame.io", "v1", "default", "gamefleets", "arena");
            (await NextLineAsync()).Should().MatchRegex(@"^arena\s+6\s");
        }
        finally
        {
            watch.Kill(entireProcessTree: true);
            await watch.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Wait_for_a_condition_and_for_a_jsonpath()
    {
        await using var kubectl = await WithFleetAsync();
        var wait = kubectl.RunAsync("wait gf/arena --for=condition=Ready --timeout=20s");
        var jsonpath = kubectl.RunAsync("wait gf/arena --for=jsonpath={.status.readyReplicas}=2 --timeout=20s");
        await kubectl.Api.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync<JsonObject>(
            new V1Patch("""{"status":{"readyReplicas":2,"conditions":[{"type":"Ready","status":"True","reason":"Ready","message":"ok","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}""", V1Patch.PatchType.MergePatch),
            "gridgame.io", "v1", "default", "gamefleets", "arena");
        var (code, stdout, stderr) = await wait;
        code.Should().Be(0, stderr);
        stdout.Should().Contain("condition met");
        (await jsonpath).Code.Should().Be(0);
    }

    [Fact]
    public async Task Describe_shows_the_object_and_its_events()
    {
        await using var kubectl = await WithFleetAsync();
        var fleet = await kubectl.Api.Client.CustomObjects.GetNamespacedCustomObjectAsync<JsonObject>("gridgame.io", "v1", "default", "gamefleets", "arena");
        await kubectl.Api.Client.CoreV1.CreateNamespacedEventAsync(new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = "arena.1" },
            InvolvedObject = new V1ObjectReference { ApiVersion = "gridgame.io/v1", Kind = "GameFleet", Name = "arena", NamespaceProperty = "default", Uid = fleet.Str("metadata.uid") },
            Reason = "ScaledUp",
            Message = "desired 2 -> 4",
            Type = "Normal",
            Source = new V1EventSource { Component = "gridgame-operator" },
            FirstTimestamp = DateTime.UtcNow,
            LastTimestamp = DateTime.UtcNow,
            Count = 1,
        }, "default");
        var output = await kubectl.OkAsync("describe gf arena");
        output.Should().Contain("Name:         arena").And.Contain("Kind:         GameFleet").And.Contain("ScaledUp").And.Contain("desired 2 -> 4");
    }

    [Fact]
    public async Task Create_namespace_configmap_and_secret_work_and_deleting_the_namespace_empties_it()
    {
        await using var kubectl = await KubectlRunner.StartAsync();
        await kubectl.OkAsync("create namespace play");
        await kubectl.OkAsync("-n play create configmap settings --from-literal=a=b");
        await kubectl.OkAsync("-n play create secret generic key --from-literal=k=v");
        (await kubectl.OkAsync("-n play get configmap settings -o jsonpath={.data.a}")).Should().Be("b");
        (await kubectl.OkAsync("delete namespace play")).Should().Contain("namespace \"play\" deleted");
        (await kubectl.RunAsync("get namespace play")).Code.Should().NotBe(0);
    }

    [Fact]
    public async Task Server_side_apply_creates_and_updates()
    {
        await using var kubectl = await KubectlRunner.StartAsync();
        await kubectl.OkAsync($"apply --server-side -f {Crds}");
        await kubectl.OkAsync("wait --for=condition=Established crd/gamefleets.gridgame.io --timeout=10s");
        (await kubectl.OkAsync($"apply --server-side -f {SampleFleet}")).Should().Contain("serverside-applied");
        var changed = kubectl.WriteFile("fleet.yaml", File.ReadAllText(SampleFleet).Replace("replicas: 2", "replicas: 4", StringComparison.Ordinal));
        await kubectl.OkAsync($"apply --server-side -f {changed}");
        (await kubectl.OkAsync("get gf arena -o jsonpath={.spec.replicas}")).Should().Be("4");
    }

    [Fact]
    public async Task Pods_apply_get_and_label_like_a_real_cluster()
    {
        await using var kubectl = await KubectlRunner.StartAsync();
        var pod = kubectl.WriteFile("pod.yaml", """
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
              labels: { app: web }
            spec:
              containers:
              - name: c
                image: nginx:1.27
            """);
        await kubectl.OkAsync($"apply -f {pod}");
        await kubectl.OkAsync($"apply -f {pod}");
        await kubectl.OkAsync("label pod web tier=front");
        var output = await kubectl.OkAsync("get pods -l tier=front");
        output.Should().MatchRegex(@"NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE").And.MatchRegex(@"web\s+0/1\s+Pending\s+0\s");
        (await kubectl.OkAsync("delete pod web")).Should().Contain("pod \"web\" deleted");
    }

    [Fact]
    public async Task A_server_dry_run_checks_but_stores_nothing()
    {
        await using var kubectl = await WithFleetAsync();
        var changed = kubectl.WriteFile("fleet.yaml", File.ReadAllText(SampleFleet).Replace("replicas: 2", "replicas: 7", StringComparison.Ordinal));
        (await kubectl.OkAsync($"apply --dry-run=server -f {changed}")).Should().Contain("(server dry run)");
        (await kubectl.OkAsync("get gf arena -o jsonpath={.spec.replicas}")).Should().Be("2");
        var other = kubectl.WriteFile("other.yaml", File.ReadAllText(SampleFleet).Replace("name: arena", "name: other", StringComparison.Ordinal));
        await kubectl.OkAsync($"create --dry-run=server -f {other}");
        (await kubectl.RunAsync("get gf other")).Code.Should().NotBe(0);
        var bad = kubectl.WriteFile("bad.yaml", File.ReadAllText(SampleFleet).Replace("boardSize: 8", "boardSize: 1000", StringComparison.Ordinal));
        (await kubectl.RunAsync($"apply --dry-run=server -f {bad}")).Err.Should().Contain("spec.game.boardSize");
        await kubectl.OkAsync("delete gf arena --dry-run=server");
        (await kubectl.OkAsync("get gf arena -o name")).Should().Contain("gamefleet.gridgame.io/arena");
    }
}
