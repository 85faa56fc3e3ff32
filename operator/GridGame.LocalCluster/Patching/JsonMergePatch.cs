using System.Text.Json.Nodes;

namespace GridGame.LocalCluster.Patching;

/// <summary>RFC 7386 JSON merge patch: objects merge, null deletes, anything else (arrays included) replaces.</summary>
internal static class JsonMergePatch
{
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }
        var result = target as JsonObject ?? new JsonObject();
        foreach (var (key, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(key);
            }
            else
            {
                result.TryGetPropertyValue(key, out var existing);
                var merged = Apply(existing is JsonObject ? existing : null, value);
                if (ReferenceEquals(merged, existing))
                {
                    continue;
                }
                result[key] = merged;
            }
        }
        return result;
    }
}
