using System.Text.Json.Nodes;
using GridGame.LocalCluster.Presentation;
using GridGame.LocalCluster.Patching;
using GridGame.LocalCluster.Storage;

namespace GridGame.LocalCluster.Api;

/// <summary>The scale subresource of a custom resource, served as autoscaling/v1 Scale through the CRD's scale paths.</summary>
internal static class ScaleSubresource
{
    public static JsonObject ToScale(ResourceType type, JsonObject obj)
    {
        var paths = type.Scale!;
        var meta = ObjectMeta.Meta(obj);
        var scaleMeta = new JsonObject
        {
            ["name"] = meta["name"]?.DeepClone(),
            ["namespace"] = meta["namespace"]?.DeepClone(),
            ["uid"] = meta["uid"]?.DeepClone(),
            ["resourceVersion"] = meta["resourceVersion"]?.DeepClone(),
            ["creationTimestamp"] = meta["creationTimestamp"]?.DeepClone(),
        };
        if (!type.Namespaced)
        {
            scaleMeta.Remove("namespace");
        }
        var status = new JsonObject { ["replicas"] = Number(JsonPathExpression.Evaluate(obj, paths.StatusReplicasPath)) };
        if (paths.LabelSelectorPath is not null && JsonPathExpression.Evaluate(obj, paths.LabelSelectorPath) is JsonValue selector)
        {
            status["selector"] = selector.DeepClone();
        }
        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = scaleMeta,
            ["spec"] = new JsonObject { ["replicas"] = Number(JsonPathExpression.Evaluate(obj, paths.SpecReplicasPath)) },
            ["status"] = status,
        };
    }

    public static JsonObject Write(ResourceOperations operations, ResourceType type, string? ns, string name, JsonObject scale)
    {
        lock (operations.Store.Gate)
        {
            var current = operations.Get(type, ns, name);
            var replicas = scale["spec"]?["replicas"];
            var parsed = JsonNumber.Long(replicas);
            var value = parsed ?? 0;
            if (replicas is not null && parsed is null)
            {
                throw ApiException.BadRequest("Scale.spec.replicas: must be an integer");
            }
            if (value < 0)
            {
                throw ApiException.Invalid("Scale", "autoscaling", name, [FieldError.Invalid("spec.replicas", value.ToString(System.Globalization.CultureInfo.InvariantCulture), "must be greater than or equal to 0")]);
            }
            var obj = current.Clone();
            var rv = (string?)scale["metadata"]?["resourceVersion"];
            ObjectMeta.Meta(obj)["resourceVersion"] = string.IsNullOrEmpty(rv) ? current.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) : rv;
            Set(obj, type.Scale!.SpecReplicasPath, value);
            var updated = operations.Update(type, ns, name, obj, null, fromPatch: true);
            return ToScale(type, updated.Object);
        }
    }

    public static JsonObject Patch(ResourceOperations operations, ResourceType type, string? ns, string name, string contentType, JsonNode? patch)
    {
        lock (operations.Store.Gate)
        {
            var current = operations.Get(type, ns, name);
            var scale = ToScale(type, current.Object);
            var scaleObject = new StoredObject(scale, current.ResourceVersion);
            var scaleType = new ResourceType { Group = "autoscaling", Version = "v1", Kind = "Scale", Plural = "scale", Namespaced = type.Namespaced };
            var patched = PatchDocument.Apply(scaleType, scaleObject, contentType, patch, "scale");
            return Write(operations, type, ns, name, patched);
        }
    }

    private static JsonNode? Number(JsonNode? n) => JsonNumber.Long(n) is { } l ? l : n is null ? 0 : n.DeepClone();

    private static void Set(JsonObject obj, string path, long value)
    {
        var parts = path.TrimStart('.').Split('.');
        var node = obj;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            if (node[parts[i]] is not JsonObject child)
            {
                child = [];
                node[parts[i]] = child;
            }
            node = child;
        }
        node[parts[^1]] = value;
    }
}
