using System.Text.Json.Nodes;
using GridGame.LocalCluster.Storage;

namespace GridGame.LocalCluster.Api;

/// <summary>
/// Who owns which half of an object with a status subresource: a write to the object keeps the stored status, a write
/// to <c>/status</c> keeps the stored spec (and, for a custom resource, everything but the status).
/// </summary>
internal static class StatusStrategy
{
    /// <summary>The object to store for a write of <paramref name="obj"/> over <paramref name="old"/>; <paramref name="subresource"/> is null or "status".</summary>
    public static JsonObject Apply(ResourceType type, JsonObject obj, JsonObject old, string? subresource)
    {
        if (!type.HasStatus)
        {
            return obj;
        }
        if (subresource == "status")
        {
            if (type.IsCustom || type.Group == "apiextensions.k8s.io")
            {
                var result = (JsonObject)old.DeepClone();
                var meta = ObjectMeta.Meta(result);
                meta["resourceVersion"] = ObjectMeta.Meta(obj)["resourceVersion"]?.DeepClone();
                if (obj["status"] is { } status)
                {
                    result["status"] = status.DeepClone();
                }
                else
                {
                    result.Remove("status");
                }
                return result;
            }
            // Built-ins: /status may not touch the spec or the owner references.
            if (old["spec"] is { } spec)
            {
                obj["spec"] = spec.DeepClone();
            }
            else
            {
                obj.Remove("spec");
            }
            ObjectMeta.CopyOrRemove(ObjectMeta.Meta(old), ObjectMeta.Meta(obj), "ownerReferences");
            return obj;
        }
        if (type.Group == "apiextensions.k8s.io")
        {
            // The CRD status is the server's: accepted names follow the spec.
            obj["status"] = old["status"]?.DeepClone();
            if (obj["status"] is JsonObject s)
            {
                s["acceptedNames"] = (obj["spec"] as JsonObject)?["names"]?.DeepClone();
            }
            return obj;
        }
        if (old["status"] is { } oldStatus)
        {
            obj["status"] = oldStatus.DeepClone();
        }
        else
        {
            obj.Remove("status");
        }
        return obj;
    }
}
