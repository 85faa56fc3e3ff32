using GridGame.Crds;
using GridGame.Operator.Fleets;

namespace GridGame.Operator.Tests.Fleets;

public sealed class RevisionHashTests
{
    [Fact]
    public void The_hash_is_stable_and_short()
    {
        var hash = RevisionHash.Of(FleetBuilder.Fleet().Spec);
        hash.Should().Be(RevisionHash.Of(FleetBuilder.Fleet().Spec)).And.HaveLength(10).And.MatchRegex("^[0-9a-f]+$");
    }

    [Fact]
    public void Replicas_scheduling_and_autoscaling_do_not_change_the_revision()
    {
        var fleet = FleetBuilder.Fleet();
        var before = RevisionHash.Of(fleet.Spec);
        fleet.Spec.Replicas = 100;
        fleet.Spec.Scheduling = SchedulingStrategy.Distributed;
        fleet.Spec.Autoscaling = new FleetAutoscaling { MaxReplicas = 5 };
        RevisionHash.Of(fleet.Spec).Should().Be(before);
    }

    [Fact]
    public void Template_game_and_ports_change_the_revision()
    {
        var baseline = RevisionHash.Of(FleetBuilder.Fleet().Spec);
        var image = FleetBuilder.Fleet();
        image.Spec.Template.Spec.Containers[0].Image = "gridgame-gameserver:2.0.0";
        var game = FleetBuilder.Fleet();
        game.Spec.Game!.BoardSize = 10;
        var ports = FleetBuilder.Fleet();
        ports.Spec.Ports![0].ContainerPort = 8888;
        new[] { RevisionHash.Of(image.Spec), RevisionHash.Of(game.Spec), RevisionHash.Of(ports.Spec) }.Should().NotContain(baseline).And.OnlyHaveUniqueItems();
    }

    [Fact]
    public void Label_order_does_not_change_the_revision()
    {
        var a = FleetBuilder.Fleet();
        a.Spec.Template.Metadata.Labels = new Dictionary<string, string> { ["x"] = "1", ["y"] = "2" };
        var b = FleetBuilder.Fleet();
        b.Spec.Template.Metadata.Labels = new Dictionary<string, string> { ["y"] = "2", ["x"] = "1" };
        RevisionHash.Of(a.Spec).Should().Be(RevisionHash.Of(b.Spec));
    }
}
