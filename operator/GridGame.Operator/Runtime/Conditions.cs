using k8s.Models;

namespace GridGame.Operator.Runtime;

/// <summary>Sets a status condition the Kubernetes way: lastTransitionTime moves only when the status changes.</summary>
internal static class Conditions
{
    public static List<V1Condition> Set(IEnumerable<V1Condition>? existing, string type, bool status, string reason, string message, DateTimeOffset now, long? generation)
    {
        var list = existing?.Select(Copy).ToList() ?? [];
        var value = status ? "True" : "False";
        var current = list.FirstOrDefault(c => c.Type == type);
        if (current is null)
        {
            list.Add(new V1Condition { Type = type, Status = value, Reason = reason, Message = message, LastTransitionTime = now.UtcDateTime, ObservedGeneration = generation });
            return list;
        }
        if (current.Status != value)
        {
            current.LastTransitionTime = now.UtcDateTime;
        }
        current.Status = value;
        current.Reason = reason;
        current.Message = message;
        current.ObservedGeneration = generation;
        return list;
    }

    public static bool IsTrue(IEnumerable<V1Condition>? conditions, string type) =>
        conditions?.Any(c => c.Type == type && c.Status == "True") == true;

    /// <summary>Equal apart from lastTransitionTime (and, if asked, messages): used to skip or defer status writes.</summary>
    public static bool SameAs(IList<V1Condition>? a, IList<V1Condition>? b, bool ignoreMessages = false)
    {
        if ((a?.Count ?? 0) != (b?.Count ?? 0))
        {
            return false;
        }
        return a is null || a.All(x => b!.Any(y => y.Type == x.Type && y.Status == x.Status && y.Reason == x.Reason && (ignoreMessages || y.Message == x.Message) && y.ObservedGeneration == x.ObservedGeneration));
    }

    private static V1Condition Copy(V1Condition c) => new()
    {
        Type = c.Type,
        Status = c.Status,
        Reason = c.Reason,
        Message = c.Message,
        LastTransitionTime = c.LastTransitionTime,
        ObservedGeneration = c.ObservedGeneration,
    };
}
