using System.Text.Json;
using System.Text.Json.Nodes;

namespace GridGame.LocalCluster.Storage;

/// <summary>One object as stored: its JSON tree (never mutated once stored) and its serialized bytes.</summary>
internal sealed class StoredObject
{
    public StoredObject(JsonObject obj, long resourceVersion)
    {
        Object = obj;
        ResourceVersion = resourceVersion;
        Json = JsonSerializer.SerializeToUtf8Bytes(obj, JsonDefaults.Options);
        var meta = obj["metadata"] as JsonObject;
        Namespace = (string?)meta?["namespace"] ?? "";
        Name = (string?)meta?["name"] ?? "";
    }

    public JsonObject Object { get; }

    public byte[] Json { get; }

    public long ResourceVersion { get; }

    public string Namespace { get; }

    public string Name { get; }

    public string Key => Namespace + "/" + Name;

    /// <summary>A private copy the caller may change.</summary>
    public JsonObject Clone() => (JsonObject)Object.DeepClone();
}

/// <summary>Shared serializer options: compact JSON, no escaping of &lt; &gt; &amp; (as the Go encoder writes them).</summary>
internal static class JsonDefaults
{
    public static JsonSerializerOptions Options { get; } = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
