using k8s;
using k8s.Models;

namespace GridGame.Operator.Runtime;

/// <summary>
/// Where the host's informers report: everything to the metrics, and an object the operator cannot read also as a
/// Warning Event on that object, so <c>kubectl describe</c> shows its owner why the operator ignores it.
/// </summary>
internal sealed class InformerReports(OperatorMetrics metrics, EventRecorder events) : IInformerObserver
{
    /// <summary>Decoder messages name the field; the rest of a long one is noise in an Event.</summary>
    private const int MaxMessage = 900;

    public void WatchRestarted(ResourceType type, string reason) => metrics.WatchRestarted(type, reason);

    public void Undecodable(ResourceType type, UndecodableObject obj)
    {
        metrics.Undecodable(type, obj);
        if (string.IsNullOrEmpty(obj.Name))
        {
            return;
        }

        var involved = new UnreadObject
        {
            ApiVersion = type.ApiVersion,
            Kind = type.Kind,
            Metadata = new V1ObjectMeta { Name = obj.Name, NamespaceProperty = obj.Namespace, Uid = obj.Uid, ResourceVersion = obj.ResourceVersion },
        };
        var error = obj.Error.Length > MaxMessage ? obj.Error[..MaxMessage] + "…" : obj.Error;
        events.RecordWarning(involved, "Undecodable", $"the operator cannot read this {type.Kind} and ignores it until it is fixed: {error}");
    }

    /// <summary>The object as far as it could be read: enough for an Event's involvedObject.</summary>
    private sealed class UnreadObject : IKubernetesObject<V1ObjectMeta>
    {
        public required string ApiVersion { get; set; }

        public required string Kind { get; set; }

        public required V1ObjectMeta Metadata { get; set; }
    }
}
