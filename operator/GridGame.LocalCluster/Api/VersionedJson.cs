using System.Text.Json;
using GridGame.LocalCluster.Storage;

namespace GridGame.LocalCluster.Api;

/// <summary>An object's JSON in the version a request named: the stored bytes when they already are, else a converted or relabelled copy.</summary>
internal static class VersionedJson
{
    public static byte[] Serialize(ResourceType type, StoredObject o)
    {
        if (type.Conversion is not null)
        {
            return JsonSerializer.SerializeToUtf8Bytes(type.View(o), JsonDefaults.Options);
        }
        if ((string?)o.Object["apiVersion"] == type.ApiVersion)
        {
            return o.Json;
        }
        var copy = o.Clone();
        copy["apiVersion"] = type.ApiVersion;
        return JsonSerializer.SerializeToUtf8Bytes(copy, JsonDefaults.Options);
    }
}
