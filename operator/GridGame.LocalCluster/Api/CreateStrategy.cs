using System.Text.Json.Nodes;
using GridGame.LocalCluster.Storage;

namespace GridGame.LocalCluster.Api;

/// <summary>What the API server sets on a new object of each kind before it is validated: defaults and server-owned status.</summary>
internal static class CreateStrategy
{
    /// <summary>Fills in the server's part of <paramref name="obj"/>, in place.</summary>
    public static void Prepare(ResourceType type, JsonObject obj, TimeProvider time)
    {
        if (type.IsCustom && type.HasStatus)
        {
            obj.Remove("status"); // create cannot set status when the status subresource is on
        }
        if (type.IsCore("namespaces"))
        {
            obj["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") };
            obj["status"] = new JsonObject { ["phase"] = "Active" };
        }
        else if (type.IsCore("pods"))
        {
            PodDefaults.Apply(obj);
        }
        else if (type.IsCore("secrets") && string.IsNullOrEmpty((string?)obj["type"]))
        {
            obj["type"] = "Opaque";
        }
        else if (type.Group == "apiextensions.k8s.io")
        {
            ObjectMeta.Meta(obj).Remove("finalizers");
            obj["status"] = CrdStatus(obj, time);
        }
    }

    private static JsonObject CrdStatus(JsonObject crd, TimeProvider time)
    {
        var spec = crd["spec"] as JsonObject;
        var storage = (spec?["versions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(v => (bool?)v["storage"] == true);
        var now = ObjectMeta.Timestamp(time.GetUtcNow());
        return new JsonObject
        {
            ["conditions"] = new JsonArray(
                new JsonObject { ["type"] = "NamesAccepted", ["status"] = "True", ["lastTransitionTime"] = now, ["reason"] = "NoConflicts", ["message"] = "no conflicts found" },
                new JsonObject { ["type"] = "Established", ["status"] = "True", ["lastTransitionTime"] = now, ["reason"] = "InitialNamesAccepted", ["message"] = "the initial names have been accepted" }),
            ["acceptedNames"] = spec?["names"]?.DeepClone(),
            ["storedVersions"] = new JsonArray((string?)storage?["name"] ?? "v1"),
        };
    }
}
