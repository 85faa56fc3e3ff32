using System.Text.Json.Nodes;

namespace GridGame.LocalCluster.Patching;

/// <summary>
/// Strategic merge patch for the built-in types, driven by a table of the patch merge keys of the Kubernetes Go types
/// instead of their OpenAPI extensions: lists of containers, env, volumes, ports, conditions, ownerReferences... merge by
/// key, <c>finalizers</c> merge as a set, other lists replace. Honours <c>$patch: replace|delete|merge</c>,
/// <c>$deleteFromPrimitiveList/</c>, and accepts (and drops) <c>$setElementOrder/</c> and <c>$retainKeys</c>.
/// </summary>
internal static class StrategicMergePatch
{
    private static readonly Dictionary<string, string> MergeKeys = new(StringComparer.Ordinal)
    {
        ["containers"] = "name",
        ["initContainers"] = "name",
        ["ephemeralContainers"] = "name",
        ["env"] = "name",
        ["volumes"] = "name",
        ["volumeMounts"] = "mountPath",
        ["volumeDevices"] = "devicePath",
        ["imagePullSecrets"] = "name",
        ["conditions"] = "type",
        ["ownerReferences"] = "uid",
        ["hostAliases"] = "ip",
        ["podIPs"] = "ip",
        ["addresses"] = "type",
        ["topologySpreadConstraints"] = "topologyKey",
        ["resourceClaims"] = "name",
    };

    private static readonly HashSet<string> PrimitiveMergeLists = new(StringComparer.Ordinal) { "finalizers" };

    public static JsonObject Apply(JsonObject target, JsonObject patch)
    {
        var result = (JsonObject)target.DeepClone();
        MergeMap(result, patch);
        return result;
    }

    private static void MergeMap(JsonObject target, JsonObject patch)
    {
        if ((string?)patch["$patch"] == "replace")
        {
            target.Clear();
            foreach (var (k, v) in patch)
            {
                if (!k.StartsWith('$'))
                {
                    target[k] = v?.DeepClone();
                }
            }
            return;
        }
        foreach (var (key, value) in patch)
        {
            if (key.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal))
            {
                var field = key["$deleteFromPrimitiveList/".Length..];
                if (target[field] is JsonArray list && value is JsonArray remove)
                {
                    for (var i = list.Count - 1; i >= 0; i--)
                    {
                        if (remove.Any(r => JsonNode.DeepEquals(r, list[i])))
                        {
                            list.RemoveAt(i);
                        }
                    }
                }
                continue;
            }
            if (key.StartsWith('$'))
            {
                continue;
            }
            if (value is null)
            {
                target.Remove(key);
                continue;
            }
            target.TryGetPropertyValue(key, out var existing);
            switch (value)
            {
                case JsonObject patchMap when (string?)patchMap["$patch"] == "delete":
                    target.Remove(key);
                    break;
                case JsonObject patchMap when existing is JsonObject existingMap:
                    MergeMap(existingMap, patchMap);
                    break;
                case JsonObject patchMap:
                {
                    var fresh = new JsonObject();
                    MergeMap(fresh, patchMap);
                    target[key] = fresh;
                    break;
                }
                case JsonArray patchList:
                    target[key] = MergeList(key, existing as JsonArray, patchList);
                    break;
                default:
                    target[key] = value.DeepClone();
                    break;
            }
        }
    }

    private static JsonArray MergeList(string field, JsonArray? existing, JsonArray patch)
    {
        if (patch.OfType<JsonObject>().Any(o => (string?)o["$patch"] == "replace"))
        {
            return new JsonArray(patch.Where(e => e is not JsonObject o || (string?)o["$patch"] != "replace").Select(e => e?.DeepClone()).ToArray());
        }
        if (PrimitiveMergeLists.Contains(field))
        {
            var merged = existing is null ? new JsonArray() : (JsonArray)existing.DeepClone();
            foreach (var item in patch)
            {
                if (!merged.Any(m => JsonNode.DeepEquals(m, item)))
                {
                    merged.Add(item?.DeepClone());
                }
            }
            return merged;
        }
        var mergeKey = MergeKey(field, patch, existing);
        if (mergeKey is null || existing is null)
        {
            return new JsonArray(patch.Where(e => e is not JsonObject o || (string?)o["$patch"] != "delete").Select(e => StripDirectives(e?.DeepClone())).ToArray());
        }
        var result = (JsonArray)existing.DeepClone();
        foreach (var item in patch.OfType<JsonObject>())
        {
            var keyValue = item[mergeKey];
            var index = -1;
            for (var i = 0; i < result.Count; i++)
            {
                if (result[i] is JsonObject candidate && JsonNode.DeepEquals(candidate[mergeKey], keyValue))
                {
                    index = i;
                    break;
                }
            }
            if ((string?)item["$patch"] == "delete")
            {
                if (index >= 0)
                {
                    result.RemoveAt(index);
                }
                continue;
            }
            if (index >= 0)
            {
                MergeMap((JsonObject)result[index]!, item);
            }
            else
            {
                var fresh = new JsonObject();
                MergeMap(fresh, item);
                result.Add(fresh);
            }
        }
        return result;
    }

    private static string? MergeKey(string field, JsonArray patch, JsonArray? existing)
    {
        if (field == "ports")
        {
            // Container ports merge on containerPort; service ports on port.
            var sample = patch.OfType<JsonObject>().FirstOrDefault() ?? existing?.OfType<JsonObject>().FirstOrDefault();
            return sample is not null && sample.ContainsKey("containerPort") ? "containerPort" : "port";
        }
        return MergeKeys.GetValueOrDefault(field);
    }

    private static JsonNode? StripDirectives(JsonNode? node)
    {
        if (node is JsonObject o)
        {
            foreach (var key in o.Select(kv => kv.Key).Where(k => k.StartsWith('$')).ToList())
            {
                o.Remove(key);
            }
            foreach (var (_, v) in o)
            {
                StripDirectives(v);
            }
        }
        return node;
    }
}
