using System.Globalization;
using GridGame.Crds;
using GridGame.Operator.Runtime;
using k8s.Models;

namespace GridGame.Operator.Fleets;

/// <summary>
/// Adoption, as the ReplicaSet controller does it: a pod labelled for a fleet that no controller owns (restored by
/// Velero, which drops ownerReferences, or left behind by an orphaning delete) becomes the fleet's, so its server,
/// Allocated or not, is kept instead of being created again beside it.
/// </summary>
internal sealed partial class FleetController
{
    /// <summary>Pod cache index: <c>namespace/fleet</c> of a live pod with the fleet label and no controller ownerReference.</summary>
    internal const string OrphansByFleet = "orphans-by-fleet";

    internal static IEnumerable<string> OrphanOf(V1Pod pod) =>
        pod.Metadata?.Labels is { } labels && labels.TryGetValue(WellKnown.FleetLabel, out var fleet) && fleet.Length > 0
        && pod.Metadata.OwnerReferences?.Any(o => o.Controller == true) != true
        && pod.Metadata.DeletionTimestamp is null
            ? [ObjectKey.Of(pod.Metadata.NamespaceProperty, fleet)]
            : [];

    /// <summary>Takes the fleet's orphans; a pod another controller claimed meanwhile (its version moved) is left alone.</summary>
    private async Task AdoptOrphansAsync(string key, GameFleet fleet, CancellationToken cancellationToken)
    {
        var orphans = _pods.Cache.ByIndex(OrphansByFleet, key);
        if (orphans.Count == 0)
        {
            return;
        }
        var owner = PodFactory.ControllerReference(fleet);
        var adopted = 0;
        await PodWriter.ForEachAsync(orphans, async (pod, ct) =>
        {
            if (await _podWriter.AdoptAsync(pod, owner, ct).ConfigureAwait(false))
            {
                Interlocked.Increment(ref adopted);
                Log.PodAdopted(_logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, fleet.Metadata.Name);
            }
        }, cancellationToken).ConfigureAwait(false);
        if (adopted > 0)
        {
            _setup.Events.RecordNormal(fleet, "ServersAdopted", string.Create(CultureInfo.InvariantCulture, $"adopted {adopted} servers that no controller owned"));
        }
    }
}
