using k8s;

namespace GridGame.Crds.Tests;

public sealed class YamlTests
{
    [Fact]
    public void The_sample_fleet_reads_through_KubernetesYaml()
    {
        var fleet = KubernetesYaml.Deserialize<GameFleet>(Repository.Read("config/samples/gamefleet.yaml"));

        fleet.Kind.Should().Be("GameFleet");
        fleet.Metadata.Name.Should().Be("arena");
        fleet.Spec.Scheduling.Should().Be(SchedulingStrategy.Packed);
        fleet.Spec.Ports![0].Policy.Should().Be(PortPolicy.Dynamic);
        ((string?)fleet.Spec.Autoscaling!.Buffer!.Size).Should().Be("2");
        fleet.Spec.Template.Spec.Containers[0].Image.Should().Be("gridgame-gameserver:dev");
    }

    [Fact]
    public void Both_samples_load_as_typed_objects_from_one_stream()
    {
        var text = Repository.Read("config/samples/gamefleet.yaml") + "---\n" + Repository.Read("config/samples/gamesession.yaml");

        var objects = KubernetesYaml.LoadAllFromString(text, GridGameApi.TypeMap);

        objects.Should().HaveCount(2);
        objects[0].Should().BeOfType<GameFleet>();
        objects[1].Should().BeOfType<GameSession>().Which.Spec.Players.Should().Equal("alice", "bob");
    }

    [Fact]
    public void A_fleet_round_trips_through_KubernetesYaml()
    {
        var fleet = GameFleetDefaults.Apply(Builders.Fleet(s => s.Autoscaling = new FleetAutoscaling { MaxReplicas = 9, Buffer = new BufferSettings { Size = "20%" } }));

        var back = KubernetesYaml.Deserialize<GameFleet>(KubernetesYaml.Serialize(fleet));

        KubernetesJson.Serialize(back).Should().Be(KubernetesJson.Serialize(fleet));
    }
}
