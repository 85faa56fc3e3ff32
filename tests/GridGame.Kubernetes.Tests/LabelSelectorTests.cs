using System.Text.Json.Nodes;

namespace GridGame.Kube.Tests;

public sealed class LabelSelectorTests
{
    private static JsonObject Json(string json) => JsonNode.Parse(json)!.AsObject();

    private static Dictionary<string, string> Dictionary(string json) =>
        Json(json).ToDictionary(kv => kv.Key, kv => (string)kv.Value!);

    [Theory]
    [InlineData("", """{"a":"1"}""", true)]
    [InlineData("a=1", """{"a":"1"}""", true)]
    [InlineData("a==1", """{"a":"1"}""", true)]
    [InlineData("a = 1", """{"a":"1"}""", true)]
    [InlineData("a=1", """{"a":"2"}""", false)]
    [InlineData("a=1", """{}""", false)]
    [InlineData("a!=1", """{}""", true)]
    [InlineData("a!=1", """{"a":"1"}""", false)]
    [InlineData("a in (1, 2)", """{"a":"2"}""", true)]
    [InlineData("a in (1,2)", """{}""", false)]
    [InlineData("a notin (1,2)", """{}""", true)]
    [InlineData("a notin (1,2)", """{"a":"1"}""", false)]
    [InlineData("gridgame.io/state", """{"gridgame.io/state":"Ready"}""", true)]
    [InlineData("gridgame.io/state", """{}""", false)]
    [InlineData("!gridgame.io/state", """{"gridgame.io/state":"Ready"}""", false)]
    [InlineData("!gridgame.io/state", """{}""", true)]
    [InlineData("a=1,!b", """{"a":"1","b":"x"}""", false)]
    [InlineData("a=1,!b", """{"a":"1"}""", true)]
    [InlineData("a=", """{"a":""}""", true)]
    public void A_string_selector_matches_labels_as_JSON_and_as_a_dictionary_alike(string selector, string labels, bool expected)
    {
        var parsed = LabelSelector.Parse(selector);
        parsed.Matches(Json(labels)).Should().Be(expected);
        parsed.Matches(Dictionary(labels)).Should().Be(expected);
    }

    [Theory]
    [InlineData("a in b", "unable to parse requirement: found '', expected: '('; in selector \"a in b\"")]
    [InlineData("=x", "unable to parse requirement: found '=', expected: identifier; in selector \"=x\"")]
    [InlineData("a=1,", "unable to parse requirement: found '', expected: !, identifier, or 'end of string'; in selector \"a=1,\"")]
    [InlineData("-a=1", "unable to parse requirement: invalid label key \"-a\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character; in selector \"-a=1\"")]
    [InlineData("a>1", "unable to parse requirement: found '>', expected: in, notin, =, ==, !=, gt, lt; in selector \"a>1\"")]
    public void A_malformed_string_selector_is_a_FormatException_worded_as_the_API_server(string selector, string message)
    {
        var act = () => LabelSelector.Parse(selector);
        act.Should().Throw<FormatException>().WithMessage(message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void No_selector_is_the_empty_selector_that_matches_everything(string? selector)
    {
        var parsed = LabelSelector.Parse(selector);
        parsed.IsEmpty.Should().BeTrue();
        parsed.Matches((JsonObject?)null).Should().BeTrue();
    }

    [Fact]
    public void Labels_that_are_absent_are_no_labels()
    {
        LabelSelector.Parse("!a").Matches((IReadOnlyDictionary<string, string>?)null).Should().BeTrue();
        LabelSelector.Parse("a").Matches((IReadOnlyDictionary<string, string>?)null).Should().BeFalse();
    }

    [Fact]
    public void A_metav1_LabelSelector_matches_like_its_string_form()
    {
        var selector = LabelSelector.FromMatch(
            new Dictionary<string, string> { ["region"] = "eu" },
            [new LabelSelectorRequirement("tier", "NotIn", ["db"])]);
        selector.Matches(Json("""{"region":"eu","tier":"web"}""")).Should().BeTrue();
        selector.Matches(Json("""{"region":"eu","tier":"db"}""")).Should().BeFalse();
        selector.Matches(Json("""{"region":"us","tier":"web"}""")).Should().BeFalse();
    }

    [Theory]
    [InlineData("In", "eu,us", """{"region":"us"}""", true)]
    [InlineData("In", "eu", """{"region":"us"}""", false)]
    [InlineData("NotIn", "eu", """{"region":"us"}""", true)]
    [InlineData("NotIn", "eu", """{}""", true)]
    [InlineData("Exists", "", """{"region":"us"}""", true)]
    [InlineData("Exists", "", """{}""", false)]
    [InlineData("DoesNotExist", "", """{}""", true)]
    [InlineData("DoesNotExist", "", """{"region":"us"}""", false)]
    [InlineData("Gt", "1", """{"region":"5"}""", false)]
    [InlineData("Bogus", "", """{"region":"us"}""", false)]
    [InlineData("Bogus", "", """{}""", false)]
    public void A_match_expression_holds_per_its_operator_and_an_invalid_operator_matches_nothing(string op, string values, string labels, bool expected)
    {
        var selector = LabelSelector.FromMatch(null, [new LabelSelectorRequirement("region", op, values.Split(',', StringSplitOptions.RemoveEmptyEntries))]);
        selector.Matches(Dictionary(labels)).Should().Be(expected);
    }

    [Fact]
    public void An_empty_metav1_LabelSelector_matches_everything()
    {
        var selector = LabelSelector.FromMatch(new Dictionary<string, string>(), null);
        selector.IsEmpty.Should().BeTrue();
        selector.Matches(Dictionary("""{"a":"1"}""")).Should().BeTrue();
    }

    [Theory]
    [InlineData("Gt", "4", "5", true)]
    [InlineData("Gt", "5", "5", false)]
    [InlineData("Lt", "6", "5", true)]
    [InlineData("Lt", "5", "5", false)]
    [InlineData("Gt", "4", "five", false)]
    [InlineData("Gt", "four", "5", false)]
    [InlineData("Gt", "1,2", "5", false)]
    [InlineData("In", "5", "5", true)]
    [InlineData("Bogus", "5", "5", false)]
    public void A_node_selector_term_also_compares_integers(string op, string values, string label, bool expected)
    {
        var term = LabelSelector.FromNodeSelectorTerm([new LabelSelectorRequirement("cpu", op, values.Split(','))]);
        term.Matches(new Dictionary<string, string> { ["cpu"] = label }).Should().Be(expected);
    }

    [Fact]
    public void A_node_selector_term_without_expressions_matches_every_node()
    {
        LabelSelector.FromNodeSelectorTerm(null).Matches(Dictionary("""{"a":"1"}""")).Should().BeTrue();
        LabelSelector.FromNodeSelectorTerm([]).Matches(Dictionary("""{"a":"1"}""")).Should().BeTrue();
    }
}
