using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace GridGame.Crds.Tests;

public sealed class SerializationTests
{
    [Fact]
    public void A_fleet_serializes_camelCase_with_nulls_omitted_and_enums_as_strings()
    {
        var fleet = new GameFleet
        {
            Metadata = new V1ObjectMeta { Name = "arena", NamespaceProperty = "default" },
            Spec = new GameFleetSpec
            {
                Replicas = 3,
                Scheduling = SchedulingStrategy.Distributed,
                Ports = [new GamePort { Name = "game", ContainerPort = 7777, Policy = PortPolicy.None }],
            },
        };

        var json = JsonNode.Parse(KubernetesJson.Serialize(fleet))!.AsObject();

        json["apiVersion"]!.GetValue<string>().Should().Be("gridgame.io/v1");
        json["kind"]!.GetValue<string>().Should().Be("GameFleet");
        json["spec"]!["replicas"]!.GetValue<int>().Should().Be(3);
        json["spec"]!["scheduling"]!.GetValue<string>().Should().Be("Distributed");
        json["spec"]!["ports"]![0]!["policy"]!.GetValue<string>().Should().Be("None");
        json["spec"]!["ports"]![0]!["containerPort"]!.GetValue<int>().Should().Be(7777);
        json["spec"]!.AsObject().Should().NotContainKey("autoscaling");
        json["spec"]!["ports"]![0]!.AsObject().Should().NotContainKey("hostPort");
        json.Should().NotContainKey("status");
    }

    [Theory]
    [InlineData("5", "5")]
    [InlineData("\"20%\"", "20%")]
    public void A_buffer_size_round_trips_as_a_number_or_a_percent_string(string jsonValue, string value)
    {
        var text = """{"apiVersion":"gridgame.io/v1","kind":"GameFleet","metadata":{"name":"a"},"spec":{"autoscaling":{"buffer":{"size":SIZE},"maxReplicas":10}}}""".Replace("SIZE", jsonValue, StringComparison.Ordinal);

        var fleet = KubernetesJson.Deserialize<GameFleet>(text);

        ((string?)fleet.Spec.Autoscaling!.Buffer!.Size).Should().Be(value);
        var again = JsonNode.Parse(KubernetesJson.Serialize(fleet))!;
        again["spec"]!["autoscaling"]!["buffer"]!["size"]!.ToJsonString().Should().Be(jsonValue);
    }

    [Fact]
    public void A_session_round_trips_with_status_and_timestamps()
    {
        var session = new GameSession
        {
            Metadata = new V1ObjectMeta { Name = "match-1" },
            Spec = new GameSessionSpec { FleetName = "arena", Players = ["alice", "bob"] },
            Status = new GameSessionStatus
            {
                Phase = SessionPhase.Finished,
                Port = 7001,
                AllocatedAt = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc),
                Players = [new SessionPlayer { Id = "alice", Connected = false, Score = 40 }],
                Winner = "alice",
                Conditions = [new V1Condition { Type = "Allocated", Status = "True", Reason = "Allocated", Message = "m", LastTransitionTime = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc) }],
            },
        };

        var text = KubernetesJson.Serialize(session);
        var json = JsonNode.Parse(text)!;
        var back = KubernetesJson.Deserialize<GameSession>(text);

        json["status"]!["phase"]!.GetValue<string>().Should().Be("Finished");
        json["status"]!["allocatedAt"]!.GetValue<string>().Should().Be("2026-01-02T03:04:05Z");
        back.Status!.Phase.Should().Be(SessionPhase.Finished);
        back.Status.Players![0].Score.Should().Be(40);
        back.Spec.Players.Should().Equal("alice", "bob");
        back.Status.AllocatedAt.Should().Be(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc));
    }

    [Fact]
    public void Unknown_enum_values_fail_to_deserialize_rather_than_becoming_the_first_value()
    {
        var text = """{"spec":{"scheduling":"Sideways"}}""";

        var act = () => KubernetesJson.Deserialize<GameFleet>(text);

        act.Should().Throw<System.Text.Json.JsonException>();
    }

    [Fact]
    public void A_list_deserializes_its_items()
    {
        var text = """{"apiVersion":"gridgame.io/v1","kind":"GameFleetList","metadata":{"resourceVersion":"7"},"items":[{"metadata":{"name":"a"},"spec":{"replicas":2}}]}""";

        var list = KubernetesJson.Deserialize<GameFleetList>(text);

        list.Metadata.ResourceVersion.Should().Be("7");
        list.Items.Should().ContainSingle().Which.Spec.Replicas.Should().Be(2);
    }
}
