using System.Text.Json.Nodes;
using GridGame.LocalCluster.Storage;

namespace GridGame.LocalCluster.Api;

/// <summary>
/// Graceful pod deletion: a scheduled, running pod is only marked (deletionTimestamp + grace period) and stays until
/// its kubelet has stopped it; anything else goes at once.
/// </summary>
internal static class PodGracePeriod
{
    /// <summary>The grace period a delete gives: 0 for a non-pod, an unscheduled or a finished pod; never longer than one already given.</summary>
    public static long Of(ResourceType type, JsonObject obj, DeleteOptions options)
    {
        if (!type.IsCore("pods"))
        {
            return 0;
        }
        var spec = obj["spec"] as JsonObject;
        var phase = (string?)obj["status"]?["phase"];
        if (string.IsNullOrEmpty((string?)spec?["nodeName"]) || phase is "Succeeded" or "Failed")
        {
            return 0; // never scheduled or already terminal: nothing to stop, deleted at once
        }
        var existing = JsonNumber.Long(ObjectMeta.Meta(obj)["deletionGracePeriodSeconds"]);
        var grace = options.GracePeriodSeconds ?? existing ?? JsonNumber.Long(spec?["terminationGracePeriodSeconds"]) ?? 30;
        if (existing is { } e && grace > e)
        {
            grace = e; // a grace period can only be shortened
        }
        return Math.Max(grace, 0);
    }

    public static bool IsPending(ResourceType type, JsonObject obj) =>
        type.IsCore("pods") && JsonNumber.Long(ObjectMeta.Meta(obj)["deletionGracePeriodSeconds"]) is > 0 && !string.IsNullOrEmpty((string?)obj["spec"]?["nodeName"]);
}
