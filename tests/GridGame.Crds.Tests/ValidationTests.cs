using GridGame.Crds.Validation;
using k8s.Models;

namespace GridGame.Crds.Tests;

public sealed class ValidationTests
{
    /// <summary>Invalid fleets, each a change to a valid one, with the field the error must name and words of its message.</summary>
    public static TheoryData<string, Action<GameFleetSpec>, string, string> InvalidFleets => new()
    {
        { "min above max replicas", s => s.Autoscaling = new FleetAutoscaling { MinReplicas = 5, MaxReplicas = 3 }, "spec.autoscaling.minReplicas", "must be <= maxReplicas" },
        { "no maxReplicas", s => s.Autoscaling = new FleetAutoscaling { MinReplicas = 1 }, "spec.autoscaling.maxReplicas", "is required" },
        { "board too big", s => s.Game = new GameSettings { BoardSize = 100 }, "spec.game.boardSize", "must be 3..64" },
        { "board too small", s => s.Game = new GameSettings { BoardSize = 2 }, "spec.game.boardSize", "must be 3..64" },
        { "minPlayers above maxPlayers", s => s.Game = new GameSettings { MinPlayers = 6, MaxPlayers = 4 }, "spec.game.minPlayers", "must be <= maxPlayers" },
        { "minPlayers above default maxPlayers", s => s.Game = new GameSettings { MinPlayers = 11 }, "spec.game.minPlayers", "must be <= maxPlayers (11 > 10)" },
        { "negative replicas", s => s.Replicas = -1, "spec.replicas", "must be >= 0" },
        { "negative buffer", s => s.Autoscaling = new FleetAutoscaling { MaxReplicas = 5, Buffer = new BufferSettings { Size = -1 } }, "spec.autoscaling.buffer.size", "non-negative count" },
        { "percent above 100", s => s.Autoscaling = new FleetAutoscaling { MaxReplicas = 5, Buffer = new BufferSettings { Size = "120%" } }, "spec.autoscaling.buffer.size", "(got \"120%\")" },
        { "percent without number", s => s.Autoscaling = new FleetAutoscaling { MaxReplicas = 5, Buffer = new BufferSettings { Size = "%" } }, "spec.autoscaling.buffer.size", "percent" },
        { "words as buffer", s => s.Autoscaling = new FleetAutoscaling { MaxReplicas = 5, Buffer = new BufferSettings { Size = "five" } }, "spec.autoscaling.buffer.size", "non-negative count" },
        { "static without hostPort", s => s.Ports = [new GamePort { Name = "game", ContainerPort = 7777, Policy = PortPolicy.Static }], "spec.ports[0].hostPort", "is required when policy is Static" },
        { "dynamic with hostPort", s => s.Ports = [new GamePort { Name = "game", ContainerPort = 7777, HostPort = 7001 }], "spec.ports[0].hostPort", "must not be set when policy is Dynamic" },
        { "none with hostPort", s => s.Ports = [new GamePort { Name = "game", ContainerPort = 7777, HostPort = 7001, Policy = PortPolicy.None }], "spec.ports[0].hostPort", "must not be set when policy is None" },
        { "duplicate port name", s => s.Ports = [new GamePort { Name = "game", ContainerPort = 7777 }, new GamePort { Name = "game", ContainerPort = 7778 }], "spec.ports[1].name", "must be unique" },
        { "duplicate containerPort", s => s.Ports = [new GamePort { Name = "game", ContainerPort = 7777 }, new GamePort { Name = "metrics", ContainerPort = 7777 }], "spec.ports[1].containerPort", "must be unique" },
        { "duplicate static hostPort", s => s.Ports = [new GamePort { Name = "a", ContainerPort = 1, HostPort = 9000, Policy = PortPolicy.Static }, new GamePort { Name = "b", ContainerPort = 2, HostPort = 9000, Policy = PortPolicy.Static }], "spec.ports[1].hostPort", "must be unique" },
        { "no ports", s => s.Ports = [], "spec.ports", "at least one port" },
        { "port name with capitals", s => s.Ports = [new GamePort { Name = "Game", ContainerPort = 7777 }], "spec.ports[0].name", "lower-case" },
        { "port name too long", s => s.Ports = [new GamePort { Name = "a-very-long-port-name", ContainerPort = 7777 }], "spec.ports[0].name", "at most 15 characters" },
        { "port without containerPort", s => s.Ports = [new GamePort { Name = "game" }], "spec.ports[0].containerPort", "is required" },
        { "containerPort out of range", s => s.Ports = [new GamePort { Name = "game", ContainerPort = 70000 }], "spec.ports[0].containerPort", "must be 1..65535" },
        { "no containers", s => s.Template.Spec.Containers = [], "spec.template.spec.containers", "at least one container" },
        { "no pod spec", s => s.Template.Spec = null, "spec.template.spec.containers", "at least one container" },
        { "container without image", s => s.Template.Spec.Containers[0].Image = null, "spec.template.spec.containers[0].image", "is required" },
        { "reserved template label", s => s.Template.Metadata.Labels[WellKnown.StateLabel] = "Ready", "spec.template.metadata.labels[gridgame.io/state]", "set by the operator" },
        { "readyPercent zero", s => s.Strategy = new FleetStrategy { BlueGreen = new BlueGreenStrategy { ReadyPercent = 0 } }, "spec.strategy.blueGreen.readyPercent", "must be 1..100" },
        { "maxPercentPerMinute zero", s => s.Autoscaling = new FleetAutoscaling { MaxReplicas = 5, ScaleDown = new ScaleDownSettings { MaxPercentPerMinute = 0 } }, "spec.autoscaling.scaleDown.maxPercentPerMinute", "must be 1..100" },
        { "negative drain timeout", s => s.Deletion = new FleetDeletion { DrainTimeoutSeconds = -1 }, "spec.deletion.drainTimeoutSeconds", "must be >= 0" },
        { "zero unhealthyAfter", s => s.Health = new FleetHealth { UnhealthyAfterSeconds = 0 }, "spec.health.unhealthyAfterSeconds", "must be >= 1" },
    };

    [Theory]
    [MemberData(nameof(InvalidFleets))]
    public void An_invalid_fleet_is_reported_on_its_field(string why, Action<GameFleetSpec> change, string field, string words)
    {
        var errors = GameFleetValidator.Validate(Builders.Fleet(change));

        errors.Should().ContainSingle(because: why).Which.Should().Match<FieldError>(e => e.Field == field && e.Message.Contains(words), because: $"{why}: {FieldError.Summarize(errors)}");
    }

    [Fact]
    public void A_valid_fleet_has_no_errors_before_or_after_defaulting()
    {
        var fleet = Builders.Fleet(s => s.Autoscaling = new FleetAutoscaling { MinReplicas = 2, MaxReplicas = 10, Buffer = new BufferSettings { Size = "20%" } });

        GameFleetValidator.Validate(fleet).Should().BeEmpty();
        GameFleetValidator.Validate(GameFleetDefaults.Apply(fleet)).Should().BeEmpty();
    }

    [Theory]
    [InlineData("0")]
    [InlineData("5")]
    [InlineData("0%")]
    [InlineData("20%")]
    [InlineData("100%")]
    public void A_buffer_size_may_be_a_count_or_a_percent_up_to_100(string size)
    {
        var fleet = Builders.Fleet(s => s.Autoscaling = new FleetAutoscaling { MaxReplicas = 5, Buffer = new BufferSettings { Size = size } });

        GameFleetValidator.Validate(fleet).Should().BeEmpty();
    }

    [Fact]
    public void The_message_names_the_field_and_reads_as_a_sentence()
    {
        var errors = GameFleetValidator.Validate(Builders.Fleet(s => s.Autoscaling = new FleetAutoscaling { MinReplicas = 5, MaxReplicas = 3 }));

        errors.Single().Message.Should().Be("spec.autoscaling.minReplicas must be <= maxReplicas (5 > 3)");
    }

    [Fact]
    public void Several_errors_are_all_reported_and_summarized_in_one_line()
    {
        var errors = GameFleetValidator.Validate(Builders.Fleet(s =>
        {
            s.Game = new GameSettings { BoardSize = 100 };
            s.Template.Spec.Containers = [];
        }));

        errors.Select(e => e.Field).Should().BeEquivalentTo(["spec.game.boardSize", "spec.template.spec.containers"]);
        FieldError.Summarize(errors).Should().Be("spec.game.boardSize must be 3..64 (got 100); spec.template.spec.containers must have at least one container");
    }

    [Fact]
    public void A_fleet_name_longer_than_a_label_value_is_rejected()
    {
        var fleet = Builders.Fleet();
        fleet.Metadata.Name = new string('a', 64);

        GameFleetValidator.Validate(fleet).Should().ContainSingle().Which.Field.Should().Be("metadata.name");
    }

    /// <summary>Invalid sessions (against the fleet of <see cref="Fleet"/>), with the field the error must name.</summary>
    public static TheoryData<string, Action<GameSessionSpec>, string, string> InvalidSessions => new()
    {
        { "no fleet", s => s.FleetName = null, "spec.fleetName", "is required" },
        { "fleet name with capitals", s => s.FleetName = "Arena", "spec.fleetName", "a fleet name" },
        { "duplicate player", s => s.Players = ["alice", "bob", "alice"], "spec.players[2]", "must be unique" },
        { "empty player id", s => s.Players = ["alice", ""], "spec.players[1]", "non-empty player id" },
        { "player id with spaces", s => s.Players = ["alice smith"], "spec.players[0]", "a player id" },
        { "more players than the fleet allows", s => s.Players = ["a", "b", "c", "d", "e"], "spec.players", "at most maxPlayers (4)" },
        { "board larger than the fleet's", s => s.Game = new GameOverrides { BoardSize = 10 }, "spec.game.boardSize", "must be <= the fleet's boardSize (8)" },
        { "more players than the fleet's", s => s.Game = new GameOverrides { MaxPlayers = 6 }, "spec.game.maxPlayers", "must be <= the fleet's maxPlayers (4)" },
        { "longer than the fleet's", s => s.Game = new GameOverrides { DurationSeconds = 301 }, "spec.game.durationSeconds", "must be <= the fleet's durationSeconds (300)" },
        { "min above max override", s => s.Game = new GameOverrides { MinPlayers = 3, MaxPlayers = 2 }, "spec.game.minPlayers", "must be <= maxPlayers (3 > 2)" },
        { "max below the fleet's min", s => s.Game = new GameOverrides { MaxPlayers = 1 }, "spec.game.maxPlayers", "leaves minPlayers (2) above maxPlayers (1)" },
        { "board below 3", s => s.Game = new GameOverrides { BoardSize = 2 }, "spec.game.boardSize", "must be 3..64" },
        { "zero allocation timeout", s => s.AllocationTimeoutSeconds = 0, "spec.allocationTimeoutSeconds", "must be 1..3600" },
        { "negative ttl", s => s.TtlSecondsAfterFinished = -5, "spec.ttlSecondsAfterFinished", "must be >= 0" },
        { "bad selector operator", s => s.Selector = new V1LabelSelector { MatchExpressions = [new V1LabelSelectorRequirement { Key = "region", OperatorProperty = "Near" }] }, "spec.selector.matchExpressions[0].operator", "must be one of In" },
        { "In without values", s => s.Selector = new V1LabelSelector { MatchExpressions = [new V1LabelSelectorRequirement { Key = "region", OperatorProperty = "In" }] }, "spec.selector.matchExpressions[0].values", "must be non-empty" },
    };

    private static GameFleet Fleet() => GameFleetDefaults.Apply(Builders.Fleet(s => s.Game = new GameSettings { MaxPlayers = 4 }));

    [Theory]
    [MemberData(nameof(InvalidSessions))]
    public void An_invalid_session_is_reported_on_its_field(string why, Action<GameSessionSpec> change, string field, string words)
    {
        var errors = GameSessionValidator.Validate(Builders.Session(change), Fleet());

        errors.Should().ContainSingle(because: why).Which.Should().Match<FieldError>(e => e.Field == field && e.Message.Contains(words), because: $"{why}: {FieldError.Summarize(errors)}");
    }

    [Fact]
    public void A_session_within_the_fleets_settings_is_valid()
    {
        var session = Builders.Session(s =>
        {
            s.Players = ["alice", "bob"];
            s.Game = new GameOverrides { BoardSize = 6, MaxPlayers = 2, MinPlayers = 2 };
            s.Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["region"] = "eu" } };
        });

        GameSessionValidator.Validate(session, Fleet()).Should().BeEmpty();
        GameSessionValidator.Validate(GameSessionDefaults.Apply(session), Fleet()).Should().BeEmpty();
    }

    /// <summary>Every check that repeats a value of the writer's repeats at most <see cref="EchoedValue.MaxLength"/> characters of it.</summary>
    public static TheoryData<string, Func<string, IReadOnlyList<FieldError>>> LongValues => new()
    {
        { "selector operator", v => GameSessionValidator.Validate(Builders.Session(s => s.Selector = new V1LabelSelector { MatchExpressions = [new V1LabelSelectorRequirement { Key = "region", OperatorProperty = v }] }), Fleet()) },
        { "player id", v => GameSessionValidator.Validate(Builders.Session(s => s.Players = [v[..^1] + " ", v[..^1] + " "]), Fleet()) },
        { "port name", v => GameFleetValidator.Validate(Builders.Fleet(s => s.Ports = [new GamePort { Name = v, ContainerPort = 1 }, new GamePort { Name = v, ContainerPort = 2 }])) },
        { "container name", v => GameFleetValidator.Validate(Builders.Fleet(s => s.Template.Spec.Containers = [new() { Name = v, Image = "i" }, new() { Name = v, Image = "i" }])) },
        { "buffer size", v => GameFleetValidator.Validate(Builders.Fleet(s => s.Autoscaling = new FleetAutoscaling { MaxReplicas = 5, Buffer = new BufferSettings { Size = v } })) },
        { "buffer size of digits", v => GameFleetValidator.Validate(Builders.Fleet(s => s.Autoscaling = new FleetAutoscaling { MaxReplicas = 5, Buffer = new BufferSettings { Size = new string('9', v.Length) } })) },
    };

    [Theory]
    [MemberData(nameof(LongValues))]
    public void A_refusal_repeats_a_long_value_cut_short(string why, Func<string, IReadOnlyList<FieldError>> validate)
    {
        var errors = validate(new string('X', 100_000));

        errors.Should().NotBeEmpty(why);
        errors.Should().OnlyContain(e => e.Message.Length < 300, $"{why}: {string.Join("; ", errors.Select(e => e.Message.Length > 300 ? e.Message[..300] + "..." : e.Message))}");
        errors.Should().Contain(e => e.Message.Contains("…\" (100000 characters)"), why);
    }

    [Fact]
    public void Without_the_fleet_only_the_sessions_own_bounds_are_checked()
    {
        var session = Builders.Session(s => s.Game = new GameOverrides { BoardSize = 40 });

        GameSessionValidator.Validate(session, fleet: null).Should().BeEmpty();
        GameSessionValidator.Validate(session, Fleet()).Should().ContainSingle().Which.Field.Should().Be("spec.game.boardSize");
    }
}
