using GridGame.LocalCluster.Api;

namespace GridGame.LocalCluster.Tests.Units;

public sealed class ProtobufObjectsTests
{
    // What `kubectl create namespace foo` (v1.32) sends.
    private static readonly byte[] CreateNamespaceFoo = Convert.FromHexString(
        "6b3873000a0f0a0276311209" + "4e616d657370616365" + "121b0a130a03666f6f12001a0022002a00320038004200" + "12001a020a00" + "1a002200");

    [Fact]
    public void Decodes_the_namespace_kubectl_create_sends()
    {
        var obj = ProtobufObjects.Decode(CreateNamespaceFoo);
        ((string?)obj["kind"]).Should().Be("Namespace");
        ((string?)obj["apiVersion"]).Should().Be("v1");
        ((string?)obj["metadata"]!["name"]).Should().Be("foo");
    }
}
