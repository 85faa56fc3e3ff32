using System.Globalization;
using GridGame.Crds;
using GridGame.Operator.Autoscaling;
using GridGame.Operator.Ports;
using GridGame.Operator.Rollout;
using GridGame.Operator.Runtime;
using k8s;
using k8s.Models;

namespace GridGame.Operator.Fleets;

/// <summary>The act step: each <see cref="FleetAction"/> as the writes that perform it.</summary>
internal sealed partial class FleetController
{
    /// <summary>One reconcile's working state: the fleet as the last write returned it, and what the writes reported.</summary>
    private sealed class Pass(string key, GameFleet fleet, string specRevision, IReadOnlyDictionary<string, V1Pod> pods, DateTimeOffset now)
    {
        public string Key { get; } = key;

        /// <summary>The fleet as the last write returned it: the next conditional write pins this version.</summary>
        public GameFleet Fleet { get; set; } = fleet;

        public string SpecRevision { get; } = specRevision;

        /// <summary>The fleet's pods as observed, by name.</summary>
        public IReadOnlyDictionary<string, V1Pod> Pods { get; } = pods;

        public DateTimeOffset Now { get; } = now;

        /// <summary>Pods the creations asked for and made: fewer made means the hostPort range ran out.</summary>
        public int Wanted { get; set; }

        public int Created { get; set; }

        /// <summary>Sessions of the fleet waiting for a server, as the autoscaler counted them (0 without autoscaling).</summary>
        public int PendingSessions { get; init; }

        /// <summary>When the status write that was deferred (only counts changed) is due.</summary>
        public DateTimeOffset? StatusDueAt { get; set; }
    }

    private async Task PerformAsync(Pass pass, FleetAction action, CancellationToken cancellationToken)
    {
        switch (action)
        {
            case ReportInvalid invalid:
                await ReportInvalidAsync(pass.Fleet, invalid.Message, pass.Now, cancellationToken).ConfigureAwait(false);
                break;
            case SetDrainFinalizer finalizer:
                pass.Fleet = await SetDrainFinalizerAsync(pass.Fleet, finalizer.Present, cancellationToken).ConfigureAwait(false);
                break;
            case RememberAutoscaler autoscaler:
                _autoscaler[pass.Key] = autoscaler.State;
                break;
            case Scale scale:
                pass.Fleet = await ScaleAsync(pass.Fleet, scale.From, scale.Decision, cancellationToken).ConfigureAwait(false);
                break;
            case RecordRevision record:
                await EnsureRevisionAsync(pass.Fleet, record.Revision, cancellationToken).ConfigureAwait(false);
                break;
            case WriteRollout promotion:
                pass.Fleet = await WriteRolloutAsync(pass.Fleet, promotion.Rollout, cancellationToken).ConfigureAwait(false);
                break;
            case RecordRolloutEvent rolloutEvent:
                RecordRolloutEvent(pass.Fleet, rolloutEvent.Event);
                break;
            case RememberCrashLoops loops when loops.CrashLoops.Count > 0:
                _crashLoops[pass.Key] = loops.CrashLoops;
                break;
            case RememberCrashLoops:
                _crashLoops.TryRemove(pass.Key, out _);
                break;
            case DeletePods delete:
                await DeleteAsync(pass.Fleet, delete.Deletes, pass.Pods, cancellationToken).ConfigureAwait(false);
                break;
            case MarkDraining draining:
                await RelabelAsync(draining.Pods, pass.Pods, WellKnown.States.Allocated, WellKnown.States.Draining, cancellationToken).ConfigureAwait(false);
                break;
            case MarkReady ready:
                // A Starting pod cannot have been allocated (allocation tests for state Ready), so labelling it Ready needs
                // no precondition; pinning its resourceVersion would only collide with the kubelet's status updates.
                await RelabelAsync(ready.Pods, pass.Pods, null, WellKnown.States.Ready, cancellationToken).ConfigureAwait(false);
                break;
            case CreatePods create:
                await CreateAsync(pass, create.Revision, create.Count, cancellationToken).ConfigureAwait(false);
                break;
            case ReportMissingRevision missing:
                RecordMissingRevision(pass.Fleet, missing.Revision);
                break;
            case ReleaseFleet:
                await SetDrainFinalizerAsync(pass.Fleet, present: false, cancellationToken).ConfigureAwait(false);
                Log.FinalizerReleased(_logger, pass.Fleet.Metadata.NamespaceProperty, pass.Fleet.Metadata.Name);
                break;
            case WriteStatus status:
                ReportMetrics(pass, status);
                pass.StatusDueAt = await WriteStatusAsync(pass.Fleet, status, portsExhausted: pass.Created < pass.Wanted, pass.Now, cancellationToken).ConfigureAwait(false);
                break;
            case PruneRevisions prune:
                await PruneRevisionsAsync(pass.Fleet, prune.Keep, cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new InvalidOperationException($"no writes for fleet action {action.GetType().Name}");
        }
    }

    private void RecordRolloutEvent(GameFleet fleet, RolloutEvent e)
    {
        if (e.Warning)
        {
            _setup.Events.RecordWarning(fleet, e.Reason, e.Message);
        }
        else
        {
            _setup.Events.RecordNormal(fleet, e.Reason, e.Message);
        }
        Log.Rollout(_logger, fleet.Metadata.NamespaceProperty, fleet.Metadata.Name, e.Reason, e.Message);
    }

    private async Task<GameFleet> SetDrainFinalizerAsync(GameFleet fleet, bool present, CancellationToken cancellationToken)
    {
        var finalizers = fleet.Metadata.Finalizers?.Where(f => f != WellKnown.DrainFinalizer).ToList() ?? [];
        if (present)
        {
            finalizers.Add(WellKnown.DrainFinalizer);
        }
        // The resourceVersion makes the merge patch conditional: a finalizer list is replaced whole.
        var patch = new { metadata = new { finalizers, resourceVersion = fleet.Metadata.ResourceVersion } };
        var response = await _setup.Client.CustomObjects.PatchNamespacedCustomObjectAsync<GameFleet>(
            new V1Patch(patch, V1Patch.PatchType.MergePatch), GridGameApi.Group, GridGameApi.Version,
            fleet.Metadata.NamespaceProperty, GameFleet.KubePluralName, fleet.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        _fleets.Cache.Upsert(response);
        return GameFleetDefaults.Apply(Clone(response));
    }

    private async Task<GameFleet> ScaleAsync(GameFleet fleet, int from, AutoscalerDecision decision, CancellationToken cancellationToken)
    {
        var patch = new { metadata = new { resourceVersion = fleet.Metadata.ResourceVersion }, spec = new { replicas = decision.Replicas } };
        var response = await _setup.Client.CustomObjects.PatchNamespacedCustomObjectAsync<GameFleet>(
            new V1Patch(patch, V1Patch.PatchType.MergePatch), GridGameApi.Group, GridGameApi.Version,
            fleet.Metadata.NamespaceProperty, GameFleet.KubePluralName, fleet.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        _fleets.Cache.Upsert(response);
        _setup.Events.RecordNormal(fleet, decision.Reason, string.Create(CultureInfo.InvariantCulture, $"replicas {from} → {decision.Replicas}: {decision.Message}"));
        Log.Scaled(_logger, fleet.Metadata.NamespaceProperty, fleet.Metadata.Name, from, decision.Replicas, decision.Message);
        return GameFleetDefaults.Apply(Clone(response));
    }

    private async Task DeleteAsync(GameFleet fleet, IReadOnlyList<PodDeletion> deletes, IReadOnlyDictionary<string, V1Pod> pods, CancellationToken cancellationToken)
    {
        await PodWriter.ForEachAsync(deletes, async (deletion, ct) =>
        {
            var pod = pods[deletion.Pod.Name];
            // Unless the pod is unhealthy, delete only the version we looked at: if allocation took it meanwhile
            // (its resourceVersion moved), the delete fails and the Allocated server lives.
            var guard = deletion.Reason == DeletionReason.Unhealthy ? DeleteGuard.None : DeleteGuard.SameVersion;
            if (!await _podWriter.DeleteAsync(pod, guard, ct).ConfigureAwait(false))
            {
                return;
            }
            if (deletion.Reason == DeletionReason.Unhealthy)
            {
                _setup.Events.RecordWarning(fleet, "UnhealthyReplaced", $"server {pod.Metadata.Name} replaced: {deletion.Detail}");
            }
            Log.PodDeleted(_logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, deletion.Reason.ToString());
        }, cancellationToken).ConfigureAwait(false);
        var surplus = deletes.Count(d => d.Reason is DeletionReason.Surplus or DeletionReason.OldRevision);
        if (surplus > 0)
        {
            _setup.Events.RecordNormal(fleet, "ServersDeleted", string.Create(CultureInfo.InvariantCulture, $"deleted {surplus} surplus or old-revision servers"));
        }
    }

    /// <summary>Moves the state label; with <paramref name="from"/>, only where it still says so. A pod changed meanwhile enqueues the fleet again.</summary>
    private Task RelabelAsync(IReadOnlyList<FleetPod> targets, IReadOnlyDictionary<string, V1Pod> pods, string? from, string to, CancellationToken cancellationToken) =>
        PodWriter.ForEachAsync(targets, async (target, ct) => await _podWriter.RelabelAsync(pods[target.Name], from, to, ct).ConfigureAwait(false), cancellationToken);

    private async Task CreateAsync(Pass pass, string revision, int count, CancellationToken cancellationToken)
    {
        // Blue, while the spec describes green, is made from its ControllerRevision (checked when observed; it may
        // have gone since).
        if (FleetAt(pass.Fleet, pass.SpecRevision, revision) is not { } fleet)
        {
            RecordMissingRevision(pass.Fleet, revision);
            return;
        }
        pass.Wanted += count;
        var dynamicPorts = PodFactory.DynamicPortCount(fleet.Spec);
        var pods = new List<V1Pod>(count);
        if (dynamicPorts > 0)
        {
            // Ports are counted when the pods are made: after this pass's deletes, with the pods of every fleet.
            var usage = PortUsage();
            var nodeCount = _nodes.Cache.List().Count(n => n.Spec?.Unschedulable != true);
            for (var i = 0; i < count; i++)
            {
                var ports = PortAllocator.Allocate(_portRange, dynamicPorts, usage, nodeCount);
                if (ports is null)
                {
                    _setup.Events.RecordWarning(fleet, "PortsExhausted", $"no free hostPort in {_portRange} on {nodeCount} nodes for {count - i} more servers");
                    break;
                }
                pods.Add(PodFactory.Create(fleet, revision, ports));
            }
        }
        else
        {
            for (var i = 0; i < count; i++)
            {
                pods.Add(PodFactory.Create(fleet, revision, []));
            }
        }

        var created = await _podWriter.CreateAsync(pods, fleet.Metadata.NamespaceProperty, _setup.Expectations, pass.Key, cancellationToken).ConfigureAwait(false);
        pass.Created += created;
        if (created > 0)
        {
            _setup.Events.RecordNormal(fleet, "ServersCreated", string.Create(CultureInfo.InvariantCulture, $"created {created} servers of revision {revision}"));
        }
    }

    /// <summary>How many live pods hold each hostPort of the range, across the cluster.</summary>
    private Dictionary<int, int> PortUsage()
    {
        var usage = new Dictionary<int, int>();
        foreach (var pod in _pods.Cache.List())
        {
            if (PodObservation.IsTerminating(pod) || PodObservation.IsFailed(pod))
            {
                continue;
            }
            foreach (var port in PodObservation.HostPorts(pod))
            {
                if (_portRange.Contains(port))
                {
                    usage[port] = usage.GetValueOrDefault(port) + 1;
                }
            }
        }
        return usage;
    }
}
