using System.Text.Json.Nodes;
using GridGame.LocalCluster.Patching;

namespace GridGame.LocalCluster.Tests.Units;

public sealed class PatchTests
{
    private static JsonNode J(string json) => JsonNode.Parse(json)!;

    [Theory]
    [InlineData("""{"a":1,"b":{"c":2}}""", """{"b":{"c":null,"d":3}}""", """{"a":1,"b":{"d":3}}""")]
    [InlineData("""{"a":[1,2]}""", """{"a":[3]}""", """{"a":[3]}""")]
    [InlineData("""{"a":1}""", """{"a":{"b":1}}""", """{"a":{"b":1}}""")]
    [InlineData("""{"a":{"b":1}}""", """{"a":2}""", """{"a":2}""")]
    public void Json_merge_patch_follows_RFC_7386(string target, string patch, string expected) =>
        JsonNode.DeepEquals(JsonMergePatch.Apply(J(target), J(patch)), J(expected)).Should().BeTrue();

    [Theory]
    [InlineData("""{"a":{"b":1}}""", """[{"op":"add","path":"/a/c","value":2}]""", """{"a":{"b":1,"c":2}}""")]
    [InlineData("""{"a":[1,2]}""", """[{"op":"add","path":"/a/-","value":3}]""", """{"a":[1,2,3]}""")]
    [InlineData("""{"a":[1,2]}""", """[{"op":"add","path":"/a/0","value":0}]""", """{"a":[0,1,2]}""")]
    [InlineData("""{"a":{"b":1}}""", """[{"op":"remove","path":"/a/b"}]""", """{"a":{}}""")]
    [InlineData("""{"a":{"b":1}}""", """[{"op":"replace","path":"/a/b","value":5}]""", """{"a":{"b":5}}""")]
    [InlineData("""{"a":{"b":1}}""", """[{"op":"move","from":"/a/b","path":"/c"}]""", """{"a":{},"c":1}""")]
    [InlineData("""{"a":{"b":1}}""", """[{"op":"copy","from":"/a/b","path":"/c"}]""", """{"a":{"b":1},"c":1}""")]
    [InlineData("""{"m":{"x/y":"1"}}""", """[{"op":"test","path":"/m/x~1y","value":"1"}]""", """{"m":{"x/y":"1"}}""")]
    public void Json_patch_follows_RFC_6902(string target, string patch, string expected) =>
        JsonNode.DeepEquals(JsonPatch.Apply(J(target), J(patch).AsArray()), J(expected)).Should().BeTrue();

    [Theory]
    [InlineData("""[{"op":"test","path":"/a","value":2}]""", "testing value /a failed: test failed")]
    [InlineData("""[{"op":"test","path":"/missing","value":2}]""", "testing value /missing failed")]
    [InlineData("""[{"op":"replace","path":"/missing","value":2}]""", "replace operation does not apply")]
    [InlineData("""[{"op":"remove","path":"/missing"}]""", "remove operation does not apply")]
    public void A_json_patch_that_does_not_apply_says_why(string patch, string message)
    {
        var act = () => JsonPatch.Apply(J("""{"a":1}"""), J(patch).AsArray());
        act.Should().Throw<JsonPatchException>().WithMessage("*" + message + "*");
    }

    [Fact]
    public void A_failed_json_patch_changes_nothing()
    {
        var doc = J("""{"a":1}""");
        var act = () => JsonPatch.Apply(doc, J("""[{"op":"replace","path":"/a","value":2},{"op":"test","path":"/a","value":3}]""").AsArray());
        act.Should().Throw<JsonPatchException>();
        ((int)doc["a"]!).Should().Be(1);
    }

    [Fact]
    public void Strategic_merge_merges_containers_and_env_by_name()
    {
        var pod = J("""{"spec":{"containers":[{"name":"a","image":"x:1","env":[{"name":"E","value":"1"}]},{"name":"b","image":"y:1"}]}}""").AsObject();
        var patched = StrategicMergePatch.Apply(pod, J("""{"spec":{"containers":[{"name":"a","env":[{"name":"F","value":"2"}]}]}}""").AsObject());
        JsonNode.DeepEquals(patched, J("""{"spec":{"containers":[{"name":"a","image":"x:1","env":[{"name":"E","value":"1"},{"name":"F","value":"2"}]},{"name":"b","image":"y:1"}]}}""")).Should().BeTrue();
    }

    [Fact]
    public void Strategic_merge_honours_patch_directives()
    {
        var obj = J("""{"metadata":{"finalizers":["a","b"],"labels":{"x":"1","y":"2"}},"spec":{"containers":[{"name":"a"},{"name":"b"}],"tolerations":[{"key":"k"}]}}""").AsObject();
        var patch = J("""
            {"metadata":{"$deleteFromPrimitiveList/finalizers":["a"],"labels":{"$patch":"replace","z":"3"}},
             "spec":{"$setElementOrder/containers":[{"name":"b"}],"containers":[{"name":"a","$patch":"delete"}],"tolerations":[{"key":"t"}]}}
            """).AsObject();
        var patched = StrategicMergePatch.Apply(obj, patch);
        JsonNode.DeepEquals(patched, J("""{"metadata":{"finalizers":["b"],"labels":{"z":"3"}},"spec":{"containers":[{"name":"b"}],"tolerations":[{"key":"t"}]}}""")).Should().BeTrue(patched.ToJsonString());
    }

    [Fact]
    public void Strategic_merge_adds_finalizers_as_a_set_and_merges_conditions_by_type()
    {
        var obj = J("""{"metadata":{"finalizers":["a"]},"status":{"conditions":[{"type":"Ready","status":"False"}]}}""").AsObject();
        var patched = StrategicMergePatch.Apply(obj, J("""{"metadata":{"finalizers":["a","b"]},"status":{"conditions":[{"type":"Ready","status":"True"}]}}""").AsObject());
        JsonNode.DeepEquals(patched, J("""{"metadata":{"finalizers":["a","b"]},"status":{"conditions":[{"type":"Ready","status":"True"}]}}""")).Should().BeTrue();
    }

    [Fact]
    public void Apply_patch_yaml_is_parsed_with_types()
    {
        var node = ApplyPatch.Parse(System.Text.Encoding.UTF8.GetBytes("a: 1\nb: 'x'\nc: true\nd: [1, two]\ne: null\n"))!;
        JsonNode.DeepEquals(node, J("""{"a":1,"b":"x","c":true,"d":[1,"two"],"e":null}""")).Should().BeTrue(node.ToJsonString());
    }
}
