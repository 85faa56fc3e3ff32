using System.Text.Json.Nodes;
using GridGame.LocalCluster.Api;
using GridGame.LocalCluster.Selection;
using GridGame.LocalCluster.Storage;

namespace GridGame.LocalCluster.Tests.Units;

public sealed class SelectorTests
{
    private static JsonObject Labels(string json) => JsonNode.Parse(json)!.AsObject();

    [Theory]
    [InlineData("", """{"a":"1"}""", true)]
    [InlineData("a=1", """{"a":"1"}""", true)]
    [InlineData("a = 1", """{"a":"1"}""", true)]
    [InlineData("a=1", """{"a":"2"}""", false)]
    [InlineData("a!=1", """{}""", true)]
    [InlineData("a in (1, 2)", """{"a":"2"}""", true)]
    [InlineData("a notin (1,2)", """{}""", true)]
    [InlineData("a notin (1,2)", """{"a":"1"}""", false)]
    [InlineData("gridgame.io/state", """{"gridgame.io/state":"Ready"}""", true)]
    [InlineData("!gridgame.io/state", """{"gridgame.io/state":"Ready"}""", false)]
    [InlineData("a=1,!b", """{"a":"1","b":"x"}""", false)]
    [InlineData("a=", """{"a":""}""", true)]
    public void Label_selector_matches(string selector, string labels, bool expected) =>
        LabelSelector.Parse(selector).Matches(Labels(labels)).Should().Be(expected);

    [Theory]
    [InlineData("a in b")]
    [InlineData("=x")]
    [InlineData("a=1,")]
    [InlineData("-a=1")]
    public void A_malformed_label_selector_is_a_BadRequest(string selector)
    {
        var act = () => LabelSelector.Parse(selector);
        act.Should().Throw<ApiException>().Which.Code.Should().Be(400);
    }

    [Fact]
    public void A_metav1_LabelSelector_object_matches_like_its_string_form()
    {
        var selector = LabelSelector.FromObject(JsonNode.Parse("""{"matchLabels":{"region":"eu"},"matchExpressions":[{"key":"tier","operator":"NotIn","values":["db"]}]}""")!.AsObject());
        selector.Matches(Labels("""{"region":"eu","tier":"web"}""")).Should().BeTrue();
        selector.Matches(Labels("""{"region":"eu","tier":"db"}""")).Should().BeFalse();
    }

    [Theory]
    [InlineData("spec.nodeName=n1", true)]
    [InlineData("spec.nodeName==n1,status.phase=Running", true)]
    [InlineData("spec.nodeName!=n1", false)]
    [InlineData("status.phase=Pending", false)]
    [InlineData("metadata.name=p", true)]
    public void Field_selector_matches(string selector, bool expected)
    {
        var pod = JsonNode.Parse("""{"metadata":{"name":"p","namespace":"default"},"spec":{"nodeName":"n1"},"status":{"phase":"Running"}}""")!.AsObject();
        FieldSelector.Parse(selector, ["spec.nodeName", "status.phase"], "Pod").Matches(pod).Should().Be(expected);
    }

    [Theory]
    [InlineData("ADDED", null, "a", "ADDED")]
    [InlineData("ADDED", null, "b", null)]
    [InlineData("MODIFIED", "a", "a", "MODIFIED")]
    [InlineData("MODIFIED", "a", "b", "DELETED")]
    [InlineData("MODIFIED", "b", "a", "ADDED")]
    [InlineData("MODIFIED", "b", "b", null)]
    [InlineData("DELETED", "a", "a", "DELETED")]
    [InlineData("DELETED", "b", "b", null)]
    public void A_selector_watch_translates_events(string type, string? before, string after, string? expected)
    {
        static StoredObject Obj(string label, long rv) => new(JsonNode.Parse("{\"metadata\":{\"name\":\"x\",\"labels\":{\"l\":\"" + label + "\"}}}")!.AsObject(), rv);
        var e = new WatchEvent(type, "/configmaps", Obj(after, 2), before is null ? null : Obj(before, 1));
        WatchStreamer.Translate(e, LabelSelector.Parse("l=a"), FieldSelector.Everything).Type.Should().Be(expected);
    }
}
