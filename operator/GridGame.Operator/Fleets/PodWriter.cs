using GridGame.Crds;
using GridGame.Operator.Runtime;
using k8s;
using k8s.Models;

namespace GridGame.Operator.Fleets;

/// <summary>What a pod delete must still find for it to go through.</summary>
internal enum DeleteGuard
{
    /// <summary>No precondition: the pod goes whatever happened to it since we looked (an unhealthy server).</summary>
    None,

    /// <summary>The same pod (its uid): a pod made since under the same name is left alone.</summary>
    SamePod,

    /// <summary>The same version (uid and resourceVersion): a pod allocated since we looked survives the delete.</summary>
    SameVersion,
}

/// <summary>
/// The controllers' writes to game-server pods. Every response goes into the shared pod cache at once, so the next
/// reconcile sees the write without waiting for the watch; a write that lost a race (the pod changed or went
/// meanwhile: 404, 409, 422) is an outcome, not an error.
/// </summary>
internal sealed class PodWriter(Kubernetes client, ResourceCache<V1Pod> pods)
{
    /// <summary>JSON Pointer of the <c>gridgame.io/state</c> label, for JSON Patches that test or move it.</summary>
    public const string StateLabelPath = "/metadata/labels/gridgame.io~1state";

    /// <summary>Pod writes in flight at once, per batch.</summary>
    private const int Concurrency = 32;

    /// <summary>
    /// Creates <paramref name="batch"/> in <paramref name="namespace"/> and returns how many were created. The creations
    /// are announced to <paramref name="expectations"/> of <paramref name="owner"/> first, so no reconcile of the owner
    /// runs on a cache that does not show them yet; the cache's Added event (or, when the watch was first, this method)
    /// reports each one observed. A failed creation is reported observed too, and its exception ends the batch.
    /// </summary>
    public async Task<int> CreateAsync(IReadOnlyList<V1Pod> batch, string @namespace, Expectations expectations, string owner, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return 0;
        }
        expectations.ExpectCreations(owner, batch.Count);
        var created = 0;
        await ForEachAsync(batch, async (pod, ct) =>
        {
            try
            {
                var response = await client.CoreV1.CreateNamespacedPodAsync(pod, @namespace, cancellationToken: ct).ConfigureAwait(false);
                if (!pods.Upsert(response))
                {
                    expectations.CreationObserved(owner);
                }
                Interlocked.Increment(ref created);
            }
            catch
            {
                expectations.CreationObserved(owner);
                throw;
            }
        }, cancellationToken).ConfigureAwait(false);
        return created;
    }

    /// <summary>Deletes <paramref name="pod"/> if it still is what <paramref name="guard"/> asks; false when it was not (or is gone).</summary>
    public async Task<bool> DeleteAsync(V1Pod pod, DeleteGuard guard, CancellationToken cancellationToken)
    {
        var options = guard switch
        {
            DeleteGuard.SamePod => new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = pod.Metadata.Uid } },
            DeleteGuard.SameVersion => new V1DeleteOptions { Preconditions = new V1Preconditions { ResourceVersion = pod.Metadata.ResourceVersion, Uid = pod.Metadata.Uid } },
            _ => null,
        };
        try
        {
            var response = await client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, options, cancellationToken: cancellationToken).ConfigureAwait(false);
            // A pod with a grace period is answered terminating; one without, or already gone, is answered with a Status.
            if (response?.Metadata?.DeletionTimestamp is not null && response.Metadata.Name == pod.Metadata.Name)
            {
                pods.Upsert(response);
            }
            else
            {
                pods.Remove(ObjectKey.Of(pod));
            }
            return true;
        }
        catch (Exception e) when (ApiErrors.IsLostRace(e))
        {
            return false;
        }
    }

    /// <summary>
    /// Sets the pod's state label to <paramref name="to"/>; with <paramref name="from"/>, only if the label still says so
    /// (a JSON Patch <c>test</c>). False when the pod changed or went meanwhile; its change enqueues the owner again.
    /// </summary>
    public async Task<bool> RelabelAsync(V1Pod pod, string? from, string to, CancellationToken cancellationToken)
    {
        var patch = from is null
            ? new V1Patch(new { metadata = new { labels = new Dictionary<string, string> { [WellKnown.StateLabel] = to } } }, V1Patch.PatchType.MergePatch)
            : new V1Patch(new object[]
            {
                new { op = "test", path = StateLabelPath, value = from },
                new { op = "replace", path = StateLabelPath, value = to },
            }, V1Patch.PatchType.JsonPatch);
        return await PatchAsync(pod, patch, cancellationToken).ConfigureAwait(false) is not null;
    }

    /// <summary>
    /// Patches <paramref name="pod"/> and returns it as patched; null when the patch lost a race (a failed JSON Patch
    /// <c>test</c>, a conflict, or the pod gone).
    /// </summary>
    public async Task<V1Pod?> PatchAsync(V1Pod pod, V1Patch patch, CancellationToken cancellationToken)
    {
        try
        {
            var response = await client.CoreV1.PatchNamespacedPodAsync(patch, pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            pods.Upsert(response);
            return response;
        }
        catch (Exception e) when (ApiErrors.IsLostRace(e))
        {
            return null;
        }
    }

    /// <summary>
    /// Adds <paramref name="owner"/> as the pod's controller ownerReference, only at the version observed (so a pod that
    /// another controller adopted, or that was replaced under the same name, meanwhile is not taken). False when it changed.
    /// </summary>
    public async Task<bool> AdoptAsync(V1Pod pod, V1OwnerReference owner, CancellationToken cancellationToken)
    {
        // A merge patch replaces the list whole: keep the pod's other (non-controller) references.
        var references = (pod.Metadata.OwnerReferences ?? []).Where(o => o.Controller != true).Append(owner).ToList();
        var patch = new { metadata = new { ownerReferences = references, resourceVersion = pod.Metadata.ResourceVersion, uid = pod.Metadata.Uid } };
        try
        {
            var response = await client.CoreV1.PatchNamespacedPodAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            pods.Upsert(response);
            return true;
        }
        catch (Exception e) when (ApiErrors.IsLostRace(e))
        {
            return false;
        }
    }

    /// <summary>Runs one pod write per item, <see cref="Concurrency"/> at a time.</summary>
    public static Task ForEachAsync<T>(IEnumerable<T> items, Func<T, CancellationToken, ValueTask> write, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken }, write);
}
