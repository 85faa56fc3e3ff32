using System.Globalization;
using System.Text.Json.Nodes;

namespace GridGame.LocalCluster.Storage;

/// <summary>Small accessors over an object's JSON metadata.</summary>
internal static class ObjectMeta
{
    public static JsonObject Meta(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject m)
        {
            return m;
        }
        var fresh = new JsonObject();
        obj["metadata"] = fresh;
        return fresh;
    }

    /// <summary>Sets <paramref name="field"/> of <paramref name="to"/> to a copy of the one in <paramref name="from"/>, or removes it.</summary>
    public static void CopyOrRemove(JsonObject from, JsonObject to, string field)
    {
        if (from[field] is { } v)
        {
            to[field] = v.DeepClone();
        }
        else
        {
            to.Remove(field);
        }
    }

    public static string Str(JsonObject obj, string field) => (string?)(obj["metadata"] as JsonObject)?[field] ?? "";

    public static List<string> Finalizers(JsonObject obj) =>
        (Meta(obj)["finalizers"] as JsonArray)?.Select(f => (string?)f ?? "").ToList() ?? [];

    public static void SetFinalizers(JsonObject obj, List<string> finalizers)
    {
        if (finalizers.Count == 0)
        {
            Meta(obj).Remove("finalizers");
        }
        else
        {
            Meta(obj)["finalizers"] = new JsonArray(finalizers.Select(f => (JsonNode?)f).ToArray());
        }
    }

    public static bool IsDeleting(JsonObject obj) => Meta(obj)["deletionTimestamp"] is not null;

    public static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static long? ParseResourceVersion(string? rv, bool allowEmpty = true)
    {
        if (string.IsNullOrEmpty(rv))
        {
            return allowEmpty ? null : throw ApiException.BadRequest("resourceVersion: Invalid value: \"\": must be specified");
        }
        if (!long.TryParse(rv, NumberStyles.None, CultureInfo.InvariantCulture, out var v))
        {
            throw ApiException.BadRequest($"resourceVersion: Invalid value: \"{rv}\": strconv.ParseUint: parsing \"{rv}\": invalid syntax");
        }
        return v;
    }

    /// <summary>Whether two objects are equal apart from metadata, status, apiVersion and kind: what a generation bump compares.</summary>
    public static bool SameSpecPart(JsonObject a, JsonObject b)
    {
        // Compared in place rather than on copies: this runs on every update of a resource with a generation.
        var count = 0;
        foreach (var (k, v) in a)
        {
            if (IsSpecPart(k))
            {
                count++;
                if (!b.TryGetPropertyValue(k, out var other) || !JsonNode.DeepEquals(v, other))
                {
                    return false;
                }
            }
        }
        return count == b.Count(kv => IsSpecPart(kv.Key));
    }

    private static bool IsSpecPart(string key) => key is not ("metadata" or "status" or "apiVersion" or "kind");
}

/// <summary>Reads numbers from JSON nodes whatever their backing type (parsed JsonElement, int, long, double).</summary>
internal static class JsonNumber
{
    public static long? Long(JsonNode? node)
    {
        if (node is not JsonValue v)
        {
            return null;
        }
        if (v.TryGetValue<long>(out var l))
        {
            return l;
        }
        if (v.TryGetValue<int>(out var i))
        {
            return i;
        }
        if (v.TryGetValue<double>(out var d) && d == Math.Floor(d))
        {
            return (long)d;
        }
        if (v.TryGetValue<System.Text.Json.JsonElement>(out var e) && e.ValueKind == System.Text.Json.JsonValueKind.Number && e.TryGetInt64(out var el))
        {
            return el;
        }
        return null;
    }
}
