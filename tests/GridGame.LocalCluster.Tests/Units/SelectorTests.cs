using System.Text.Json.Nodes;
using GridGame.Kube;
using GridGame.LocalCluster.Api;
using GridGame.LocalCluster.Selection;
using GridGame.LocalCluster.Storage;

namespace GridGame.LocalCluster.Tests.Units;

public sealed class SelectorTests
{
    [Theory]
    [InlineData("a in b")]
    [InlineData("=x")]
    [InlineData("a=1,")]
    [InlineData("-a=1")]
    public void A_malformed_label_selector_is_a_BadRequest(string selector)
    {
        var act = () => ObjectSelector.ParseLabels(selector);
        act.Should().Throw<ApiException>().Which.Code.Should().Be(400);
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
        WatchStreamer.Translate(e, new ObjectSelector(LabelSelector.Parse("l=a"), FieldSelector.Everything)).Type.Should().Be(expected);
    }
}
