using System.Text.Json.Nodes;

namespace GridGame.LocalCluster.Api;

/// <summary>What the API server defaults and checks on a pod (the subset the operator and kubectl touch).</summary>
internal static class PodDefaults
{
    public static void Apply(JsonObject pod)
    {
        var spec = pod["spec"] as JsonObject ?? [];
        pod["spec"] = spec;
        spec["restartPolicy"] ??= "Always";
        spec["terminationGracePeriodSeconds"] ??= 30L; // long: deletion reads it back as long?
        spec["dnsPolicy"] ??= "ClusterFirst";
        spec["schedulerName"] ??= "default-scheduler";
        spec["securityContext"] ??= new JsonObject();
        spec["enableServiceLinks"] ??= true;
        spec["preemptionPolicy"] ??= "PreemptLowerPriority";
        spec["priority"] ??= 0;
        foreach (var list in new[] { "containers", "initContainers" })
        {
            foreach (var c in (spec[list] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                var image = (string?)c["image"] ?? "";
                c["imagePullPolicy"] ??= image.EndsWith(":latest", StringComparison.Ordinal) || !image.Contains(':', StringComparison.Ordinal) ? "Always" : "IfNotPresent";
                c["terminationMessagePath"] ??= "/dev/termination-log";
                c["terminationMessagePolicy"] ??= "File";
                c["resources"] ??= new JsonObject();
                foreach (var port in (c["ports"] as JsonArray)?.OfType<JsonObject>() ?? [])
                {
                    port["protocol"] ??= "TCP";
                }
            }
        }
        pod["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = "BestEffort" };
    }

    public static List<FieldError> Validate(JsonObject pod)
    {
        var errors = new List<FieldError>();
        var containers = pod["spec"]?["containers"] as JsonArray;
        if (containers is null || containers.Count == 0)
        {
            errors.Add(FieldError.Required("spec.containers", ""));
            return errors;
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < containers.Count; i++)
        {
            var c = containers[i] as JsonObject;
            var name = (string?)c?["name"] ?? "";
            if (name.Length == 0)
            {
                errors.Add(FieldError.Required($"spec.containers[{i}].name", ""));
            }
            else if (!names.Add(name))
            {
                errors.Add(new FieldError($"spec.containers[{i}].name", "FieldValueDuplicate", $"Duplicate value: \"{name}\""));
            }
            if (string.IsNullOrEmpty((string?)c?["image"]))
            {
                errors.Add(FieldError.Required($"spec.containers[{i}].image", ""));
            }
        }
        return errors;
    }

    /// <summary>Pod updates may change only images, activeDeadlineSeconds, tolerations (additions) and terminationGracePeriodSeconds.</summary>
    public static FieldError? ValidateSpecUpdate(JsonObject? oldSpec, JsonObject? newSpec)
    {
        // Most pod updates (labels, annotations, status) leave the spec alone: no copies for them.
        if (JsonNode.DeepEquals(oldSpec, newSpec))
        {
            return null;
        }
        var a = Mutable(oldSpec);
        var b = Mutable(newSpec);
        if (JsonNode.DeepEquals(a, b))
        {
            return null;
        }
        return FieldError.Forbidden("spec", "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)");
    }

    private static JsonObject Mutable(JsonObject? spec)
    {
        var copy = (JsonObject?)spec?.DeepClone() ?? [];
        copy.Remove("activeDeadlineSeconds");
        copy.Remove("tolerations");
        copy.Remove("terminationGracePeriodSeconds");
        foreach (var list in new[] { "containers", "initContainers" })
        {
            foreach (var c in (copy[list] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                c.Remove("image");
            }
        }
        return copy;
    }
}
