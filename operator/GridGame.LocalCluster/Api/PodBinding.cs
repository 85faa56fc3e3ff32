using System.Text.Json.Nodes;
using GridGame.LocalCluster.Storage;

namespace GridGame.LocalCluster.Api;

/// <summary>The pods/binding subresource: what the scheduler posts to put a pod on a node.</summary>
internal static class PodBinding
{
    public static StoredObject Bind(ResourceOperations operations, ResourceType type, string ns, string name, JsonObject binding)
    {
        var store = operations.Store;
        lock (store.Gate)
        {
            var current = operations.Get(type, ns, name);
            var target = binding["target"] as JsonObject;
            var node = (string?)target?["name"] ?? "";
            if (node.Length == 0)
            {
                throw ApiException.Invalid("Binding", "", name, [FieldError.Required("target.name", "")]);
            }
            var pod = current.Clone();
            if (ObjectMeta.IsDeleting(pod))
            {
                throw ApiException.Conflict(type.Plural, type.Group, name, "pod is being deleted, cannot be assigned to a host");
            }
            var spec = pod["spec"] as JsonObject ?? [];
            pod["spec"] = spec;
            var existing = (string?)spec["nodeName"] ?? "";
            if (existing.Length > 0)
            {
                throw ApiException.Conflict(type.Plural, type.Group, name, $"pod {name} is already assigned to node \"{existing}\"");
            }
            spec["nodeName"] = node;
            var status = pod["status"] as JsonObject ?? [];
            pod["status"] = status;
            var conditions = status["conditions"] as JsonArray ?? [];
            status["conditions"] = conditions;
            for (var i = conditions.Count - 1; i >= 0; i--)
            {
                if ((string?)conditions[i]?["type"] == "PodScheduled")
                {
                    conditions.RemoveAt(i);
                }
            }
            conditions.Add(new JsonObject { ["type"] = "PodScheduled", ["status"] = "True", ["lastProbeTime"] = null, ["lastTransitionTime"] = operations.Now() });
            return store.Put(type, pod);
        }
    }
}
