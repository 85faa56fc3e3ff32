using System.Text.Json.Nodes;
using GridGame.LocalCluster.Api;
using GridGame.LocalCluster.Patching;
using GridGame.LocalCluster.Storage;

namespace GridGame.LocalCluster.Tests.Units;

/// <summary>The shortcuts that keep a write from copying whole objects answer as the copying versions did.</summary>
public sealed class WriteCostTests
{
    private static JsonObject O(string json) => JsonNode.Parse(json)!.AsObject();

    [Theory]
    [InlineData("""{"spec":{"a":1},"metadata":{"x":1}}""", """{"spec":{"a":1},"metadata":{"x":2},"status":{"s":1}}""", true)]
    [InlineData("""{"spec":{"a":1},"kind":"K","apiVersion":"v1"}""", """{"spec":{"a":1}}""", true)]
    [InlineData("""{"spec":{"a":1}}""", """{"spec":{"a":2}}""", false)]
    [InlineData("""{"spec":{"a":1}}""", """{"spec":{"a":1},"data":{}}""", false)]
    [InlineData("""{"spec":{"a":1},"data":null}""", """{"spec":{"a":1}}""", false)]
    [InlineData("""{"data":{"k":"v"},"spec":{"a":1}}""", """{"spec":{"a":1},"data":{"k":"v"}}""", true)]
    [InlineData("""{}""", """{"status":{}}""", true)]
    public void Same_spec_part_ignores_metadata_status_kind_and_apiVersion(string a, string b, bool same)
    {
        ObjectMeta.SameSpecPart(O(a), O(b)).Should().Be(same);
        ObjectMeta.SameSpecPart(O(b), O(a)).Should().Be(same);
    }

    [Theory]
    [InlineData("""{"containers":[{"name":"c","image":"a:1"}]}""", """{"containers":[{"name":"c","image":"a:1"}]}""", true)]
    [InlineData("""{"containers":[{"name":"c","image":"a:1"}]}""", """{"containers":[{"name":"c","image":"a:2"}],"activeDeadlineSeconds":5}""", true)]
    [InlineData("""{"containers":[{"name":"c","image":"a:1"}]}""", """{"containers":[{"name":"d","image":"a:1"}]}""", false)]
    [InlineData("""{"containers":[{"name":"c","image":"a:1"}]}""", """{"containers":[{"name":"c","image":"a:1"}],"nodeName":"n"}""", false)]
    public void A_pod_spec_update_may_change_only_the_mutable_fields(string before, string after, bool allowed) =>
        (PodDefaults.ValidateSpecUpdate(O(before), O(after)) is null).Should().Be(allowed);

    [Fact]
    public void A_json_patch_copies_the_document_unless_asked_to_work_in_place()
    {
        var patch = JsonNode.Parse("""[{"op":"replace","path":"/a","value":2}]""")!.AsArray();
        var original = O("""{"a":1}""");

        var copy = JsonPatch.Apply(original, patch);
        ((int)original["a"]!).Should().Be(1);
        ((int)copy["a"]!).Should().Be(2);

        var same = JsonPatch.Apply(original, patch, inPlace: true);
        same.Should().BeSameAs(original);
        ((int)original["a"]!).Should().Be(2);
    }
}
