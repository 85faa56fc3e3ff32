using k8s.Models;

namespace GridGame.Crds.Tests;

public sealed class DefaultingTests
{
    [Fact]
    public void An_empty_fleet_spec_gets_every_documented_default()
    {
        var fleet = new GameFleet();

        GameFleetDefaults.Apply(fleet);

        var spec = fleet.Spec;
        spec.Replicas.Should().Be(1);
        spec.Scheduling.Should().Be(SchedulingStrategy.Packed);
        spec.Game.Should().BeEquivalentTo(new GameSettings { BoardSize = 8, MaxPlayers = 10, MinPlayers = 2, DurationSeconds = 300, ClaimCooldownMs = 100 });
        spec.Ports.Should().BeEquivalentTo([new GamePort { Name = "game", ContainerPort = 7777, Policy = PortPolicy.Dynamic }]);
        spec.Strategy.Should().BeEquivalentTo(new FleetStrategy
        {
            Type = StrategyType.BlueGreen,
            BlueGreen = new BlueGreenStrategy { AutoPromote = true, ReadyPercent = 100, ProgressDeadlineSeconds = 600 },
        });
        spec.Health.Should().BeEquivalentTo(new FleetHealth { UnhealthyAfterSeconds = 30, MaxRestarts = 3 });
        spec.Deletion.Should().BeEquivalentTo(new FleetDeletion { Policy = DeletionPolicy.Drain, DrainTimeoutSeconds = 3600 });
        spec.Autoscaling.Should().BeNull("autoscaling is opt-in");
    }

    [Fact]
    public void Autoscaling_when_present_gets_its_buffer_min_and_scale_down_defaults()
    {
        var fleet = Builders.Fleet(s => s.Autoscaling = new FleetAutoscaling { MaxReplicas = 50 });

        GameFleetDefaults.Apply(fleet);

        var autoscaling = fleet.Spec.Autoscaling!;
        autoscaling.Policy.Should().Be(AutoscalingPolicy.Buffer);
        ((string?)autoscaling.Buffer!.Size).Should().Be("5");
        autoscaling.MinReplicas.Should().Be(0);
        autoscaling.MaxReplicas.Should().Be(50);
        autoscaling.ScaleDown.Should().BeEquivalentTo(new ScaleDownSettings { StabilizationWindowSeconds = 300, MaxPercentPerMinute = 10 });
    }

    [Fact]
    public void Defaulting_keeps_given_values_and_defaults_each_port_policy()
    {
        var fleet = Builders.Fleet(s =>
        {
            s.Game = new GameSettings { BoardSize = 16 };
            s.Ports = [new GamePort { Name = "web", ContainerPort = 8080 }];
            s.Strategy = new FleetStrategy { BlueGreen = new BlueGreenStrategy { AutoPromote = false } };
        });

        GameFleetDefaults.Apply(fleet);

        fleet.Spec.Replicas.Should().Be(2);
        fleet.Spec.Game!.BoardSize.Should().Be(16);
        fleet.Spec.Game.MaxPlayers.Should().Be(10);
        fleet.Spec.Ports.Should().BeEquivalentTo([new GamePort { Name = "web", ContainerPort = 8080, Policy = PortPolicy.Dynamic }]);
        fleet.Spec.Strategy!.BlueGreen!.AutoPromote.Should().BeFalse();
        fleet.Spec.Strategy.BlueGreen.ReadyPercent.Should().Be(100);
    }

    [Fact]
    public void Defaulting_twice_changes_nothing_more()
    {
        var once = GameFleetDefaults.Apply(Builders.Fleet(s => s.Autoscaling = new FleetAutoscaling { MaxReplicas = 5 }));
        var twice = GameFleetDefaults.Apply(GameFleetDefaults.Apply(Builders.Fleet(s => s.Autoscaling = new FleetAutoscaling { MaxReplicas = 5 })));

        k8s.KubernetesJson.Serialize(twice).Should().Be(k8s.KubernetesJson.Serialize(once));
    }

    [Fact]
    public void A_session_gets_its_allocation_timeout_and_ttl()
    {
        var session = GameSessionDefaults.Apply(Builders.Session());

        session.Spec.AllocationTimeoutSeconds.Should().Be(30);
        session.Spec.TtlSecondsAfterFinished.Should().Be(3600);
        session.Spec.Game.Should().BeNull("overrides are only what the matchmaker gives");
    }

    [Fact]
    public void A_sessions_effective_game_is_its_overrides_over_the_fleets_settings()
    {
        var fleet = GameFleetDefaults.Apply(Builders.Fleet(s => s.Game = new GameSettings { BoardSize = 12, DurationSeconds = 600 }));
        var session = Builders.Session(s => s.Game = new GameOverrides { BoardSize = 6, MaxPlayers = 4 });

        var game = GameSessionDefaults.EffectiveGame(session, fleet);

        game.Should().BeEquivalentTo(new GameSettings { BoardSize = 6, MaxPlayers = 4, MinPlayers = 2, DurationSeconds = 600, ClaimCooldownMs = 100 });
    }

    [Fact]
    public void The_template_is_left_as_given()
    {
        var fleet = Builders.Fleet();
        var before = k8s.KubernetesJson.Serialize(fleet.Spec.Template);

        GameFleetDefaults.Apply(fleet);

        k8s.KubernetesJson.Serialize(fleet.Spec.Template).Should().Be(before);
        fleet.Spec.Template.Spec.Containers.Should().ContainSingle().Which.Should().BeEquivalentTo(new V1Container { Name = "gameserver", Image = "gridgame-gameserver:dev" });
    }

    [Fact]
    public void WithDefaults_returns_a_defaulted_copy_and_leaves_the_original_alone()
    {
        var original = Builders.Fleet();

        var copy = GameFleetDefaults.WithDefaults(original);

        copy.Should().NotBeSameAs(original);
        copy.Spec.Game!.BoardSize.Should().Be(8);
        original.Spec.Game.Should().BeNull();
        GameSessionDefaults.WithDefaults(Builders.Session()).Spec.AllocationTimeoutSeconds.Should().Be(30);
    }
}
