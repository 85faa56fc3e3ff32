using GridGame.Crds;
using GridGame.Operator.Fleets;
using k8s.Models;

namespace GridGame.Operator.Tests.Fleets;

public sealed class PodFactoryTests
{
    [Fact]
    public void A_pod_carries_the_fleet_and_revision_labels_but_no_state_until_Ready()
    {
        var pod = PodFactory.Create(FleetBuilder.Fleet(), "abc", [7001]);
        pod.Metadata.Labels.Should().Contain(WellKnown.FleetLabel, "arena").And.Contain(WellKnown.RevisionLabel, "abc").And.Contain("app", "gridgame");
        pod.Metadata.Labels.Should().NotContainKey(WellKnown.StateLabel);
        pod.Metadata.GenerateName.Should().Be("arena-");
        pod.Metadata.NamespaceProperty.Should().Be("default");
    }

    [Fact]
    public void A_pod_is_controlled_by_its_fleet()
    {
        var owner = PodFactory.Create(FleetBuilder.Fleet(), "abc", [7001]).Metadata.OwnerReferences.Should().ContainSingle().Subject;
        owner.Should().BeEquivalentTo(new V1OwnerReference { ApiVersion = "gridgame.io/v1", Kind = "GameFleet", Name = "arena", Uid = "uid-arena", Controller = true, BlockOwnerDeletion = true });
    }

    [Fact]
    public void Ports_follow_their_policy()
    {
        var fleet = FleetBuilder.Fleet();
        fleet.Spec.Ports =
        [
            new GamePort { Name = "game", ContainerPort = 7777, Policy = PortPolicy.Dynamic },
            new GamePort { Name = "admin", ContainerPort = 9000, Policy = PortPolicy.Static, HostPort = 9900 },
            new GamePort { Name = "metrics", ContainerPort = 9100, Policy = PortPolicy.None },
        ];
        var ports = PodFactory.Create(fleet, "abc", [7005]).Spec.Containers[0].Ports;
        ports.Select(p => (p.Name, p.ContainerPort, p.HostPort)).Should().Equal(
            ("game", 7777, (int?)7005), ("admin", 9000, (int?)9900), ("metrics", 9100, (int?)null), ("ops", 8081, (int?)null));
    }

    [Fact]
    public void The_pod_knows_its_name_namespace_and_game_settings()
    {
        var env = PodFactory.Create(FleetBuilder.Fleet(), "abc", [7001]).Spec.Containers[0].Env;
        env.Single(e => e.Name == "POD_NAME").ValueFrom.FieldRef.FieldPath.Should().Be("metadata.name");
        env.Single(e => e.Name == "POD_NAMESPACE").ValueFrom.FieldRef.FieldPath.Should().Be("metadata.namespace");
        env.Single(e => e.Name == "GridGame__Game__BoardSize").Value.Should().Be("8");
        env.Single(e => e.Name == "GridGame__Game__ClaimCooldownMs").Value.Should().Be("100");
    }

    [Fact]
    public void Readiness_and_liveness_are_probed_on_the_ops_port_which_has_no_host_port()
    {
        var container = PodFactory.Create(FleetBuilder.Fleet(), "abc", [7001]).Spec.Containers[0];

        container.Ports.Should().ContainSingle(p => p.Name == "ops").Which.Should().BeEquivalentTo(new { ContainerPort = 8081, HostPort = (int?)null, Protocol = "TCP" });
        container.ReadinessProbe.HttpGet.Should().BeEquivalentTo(new { Path = "/ready", Port = (IntOrString)"ops" });
        container.LivenessProbe.HttpGet.Should().BeEquivalentTo(new { Path = "/health", Port = (IntOrString)"ops" });
    }

    [Fact]
    public void A_readiness_probe_on_ready_is_added_unless_the_template_has_one()
    {
        PodFactory.Create(FleetBuilder.Fleet(), "abc", [7001]).Spec.Containers[0].ReadinessProbe.HttpGet.Path.Should().Be("/ready");
        var fleet = FleetBuilder.Fleet();
        fleet.Spec.Template.Spec.Containers[0].ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/custom", Port = 1 } };
        PodFactory.Create(fleet, "abc", [7001]).Spec.Containers[0].ReadinessProbe.HttpGet.Path.Should().Be("/custom");
    }

    [Fact]
    public void Packed_prefers_nodes_with_the_fleets_pods_and_Distributed_avoids_them()
    {
        var packed = PodFactory.Create(FleetBuilder.Fleet(), "abc", [7001]).Spec.Affinity;
        packed.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution.Should().ContainSingle()
            .Which.PodAffinityTerm.TopologyKey.Should().Be("kubernetes.io/hostname");
        packed.PodAntiAffinity.Should().BeNull();

        var spread = PodFactory.Create(FleetBuilder.Fleet(scheduling: SchedulingStrategy.Distributed), "abc", [7001]).Spec.Affinity;
        spread.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution.Should().ContainSingle()
            .Which.PodAffinityTerm.LabelSelector.MatchLabels.Should().Contain(WellKnown.FleetLabel, "arena");
        spread.PodAffinity.Should().BeNull();
    }

    [Fact]
    public void Building_a_pod_does_not_change_the_fleets_template()
    {
        var fleet = FleetBuilder.Fleet();
        var before = RevisionHash.Of(fleet.Spec);
        PodFactory.Create(fleet, "abc", [7001]);
        RevisionHash.Of(fleet.Spec).Should().Be(before);
        fleet.Spec.Template.Spec.Containers[0].Env.Should().BeNull();
    }
}
