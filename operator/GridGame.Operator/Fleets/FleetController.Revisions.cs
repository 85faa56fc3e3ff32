using System.Globalization;
using GridGame.Crds;
using GridGame.Operator.Runtime;
using k8s;
using k8s.Models;

namespace GridGame.Operator.Fleets;

/// <summary>
/// Keeps the pod-shaping part of each revision the fleet still needs in an `apps/v1` ControllerRevision
/// (`&lt;fleet&gt;-&lt;revision&gt;`, owned by the fleet, labelled fleet and revision), as StatefulSets and DaemonSets do:
/// once the spec describes green, blue's servers can only be recreated from there.
/// </summary>
internal sealed partial class FleetController
{
    private Informer<V1ControllerRevision> _revisions = null!;

    internal static string RevisionObjectName(string fleet, string revision) => $"{fleet}-{revision}";

    private bool IsRecorded(GameFleet fleet, string revision) =>
        _revisions.Cache.Get(ObjectKey.Of(fleet.Metadata.NamespaceProperty, RevisionObjectName(fleet.Metadata.Name, revision))) is not null;

    /// <summary>The revisions other than the spec's whose pods can still be made (<see cref="FleetAt"/> finds them).</summary>
    private HashSet<string> RecordedRevisions(GameFleet fleet, string specRevision)
    {
        var recorded = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in _revisions.Cache.ByIndex(CacheIndexes.Owner, fleet.Metadata.Uid))
        {
            if (PodObservation.Get(record.Metadata.Labels, WellKnown.RevisionLabel) is { } revision && revision != specRevision
                && FleetAt(fleet, specRevision, revision) is not null)
            {
                recorded.Add(revision);
            }
        }
        return recorded;
    }

    /// <summary>Records the spec's revision if it is not recorded yet.</summary>
    private async Task EnsureRevisionAsync(GameFleet fleet, string revision, CancellationToken cancellationToken)
    {
        if (IsRecorded(fleet, revision))
        {
            return;
        }
        var ns = fleet.Metadata.NamespaceProperty;
        var name = RevisionObjectName(fleet.Metadata.Name, revision);
        var number = _revisions.Cache.ByIndex(CacheIndexes.Owner, fleet.Metadata.Uid).Select(r => r.Revision).DefaultIfEmpty(0).Max() + 1;
        var record = new V1ControllerRevision
        {
            ApiVersion = "apps/v1",
            Kind = V1ControllerRevision.KubeKind,
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = ns,
                Labels = new Dictionary<string, string> { [WellKnown.FleetLabel] = fleet.Metadata.Name, [WellKnown.RevisionLabel] = revision },
                OwnerReferences = [PodFactory.ControllerReference(fleet)],
            },
            Data = new GameFleetSpec { Template = fleet.Spec.Template, Game = fleet.Spec.Game, Ports = fleet.Spec.Ports },
            Revision = number,
        };
        try
        {
            var response = await _setup.Client.AppsV1.CreateNamespacedControllerRevisionAsync(record, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            _revisions.Cache.Upsert(response);
        }
        catch (Exception e) when (ApiErrors.IsConflict(e))
        {
            // Already there (our cache is behind): the watch brings it.
        }
    }

    /// <summary>
    /// The fleet as it was at <paramref name="revision"/>: the current fleet with template, game and ports from the
    /// recorded revision; null when that revision is not recorded (or its record no longer hashes to it).
    /// </summary>
    private GameFleet? FleetAt(GameFleet fleet, string specRevision, string revision)
    {
        if (revision == specRevision)
        {
            return fleet;
        }
        var record = _revisions.Cache.Get(ObjectKey.Of(fleet.Metadata.NamespaceProperty, RevisionObjectName(fleet.Metadata.Name, revision)));
        if (record?.Data is null)
        {
            return null;
        }
        var shape = KubernetesJson.Deserialize<GameFleetSpec>(KubernetesJson.Serialize(record.Data));
        var past = Clone(fleet);
        past.Spec.Template = shape.Template;
        past.Spec.Game = shape.Game;
        past.Spec.Ports = shape.Ports;
        GameFleetDefaults.Apply(past);
        return RevisionHash.Of(past.Spec) == revision ? past : null;
    }

    /// <summary>Drops the records of revisions no pod will be created from again (neither active nor target).</summary>
    private async Task PruneRevisionsAsync(GameFleet fleet, IReadOnlySet<string> keep, CancellationToken cancellationToken)
    {
        foreach (var record in _revisions.Cache.ByIndex(CacheIndexes.Owner, fleet.Metadata.Uid))
        {
            if (PodObservation.Get(record.Metadata.Labels, WellKnown.RevisionLabel) is { } revision && keep.Contains(revision))
            {
                continue;
            }
            try
            {
                await _setup.Client.AppsV1.DeleteNamespacedControllerRevisionAsync(record.Metadata.Name, record.Metadata.NamespaceProperty,
                    new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = record.Metadata.Uid } }, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (ApiErrors.IsLostRace(e))
            {
                // Already gone.
            }
            _revisions.Cache.Remove(ObjectKey.Of(record));
        }
    }

    private void RecordMissingRevision(GameFleet fleet, string revision) =>
        _setup.Events.RecordWarning(fleet, "RevisionMissing", string.Create(CultureInfo.InvariantCulture,
            $"ControllerRevision {RevisionObjectName(fleet.Metadata.Name, revision)} is missing: servers of active revision {revision} cannot be replaced until the spec changes"));
}
