using System.Text.Json.Nodes;

namespace GridGame.LocalCluster.Storage;

/// <summary>
/// events.k8s.io/v1 Events are core/v1 Events in another shape, stored once, as on a real cluster: an event recorded
/// through either API is listed, watched and described through both.
/// </summary>
internal sealed class EventsV1Conversion : IObjectConversion
{
    // core/v1 field → events.k8s.io/v1 field
    private static readonly (string Core, string V1)[] Fields =
    [
        ("involvedObject", "regarding"),
        ("related", "related"),
        ("message", "note"),
        ("reason", "reason"),
        ("type", "type"),
        ("action", "action"),
        ("reportingComponent", "reportingController"),
        ("reportingInstance", "reportingInstance"),
        ("eventTime", "eventTime"),
        ("series", "series"),
        ("source", "deprecatedSource"),
        ("firstTimestamp", "deprecatedFirstTimestamp"),
        ("lastTimestamp", "deprecatedLastTimestamp"),
        ("count", "deprecatedCount"),
    ];

    public JsonObject FromStorage(JsonObject stored) => Map(stored, "events.k8s.io/v1", toV1: true);

    public JsonObject ToStorage(JsonObject served) => Map(served, "v1", toV1: false);

    private static JsonObject Map(JsonObject from, string apiVersion, bool toV1)
    {
        var result = new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = "Event", ["metadata"] = from["metadata"]?.DeepClone() };
        foreach (var (core, v1) in Fields)
        {
            var (source, target) = toV1 ? (core, v1) : (v1, core);
            if (from[source] is { } value)
            {
                result[target] = value.DeepClone();
            }
        }
        return result;
    }
}
