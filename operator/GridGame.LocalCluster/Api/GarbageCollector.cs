using System.Text.Json.Nodes;
using GridGame.LocalCluster.Storage;

namespace GridGame.LocalCluster.Api;

/// <summary>
/// ownerReference garbage collection, run synchronously under the store's lock: background deletion of dependents
/// whose owners are all gone, orphaning, and foreground deletion (the owner waits for its dependents).
/// </summary>
internal sealed class GarbageCollector(ClusterStore store, ResourceOperations operations)
{
    public const string ForegroundFinalizer = "foregroundDeletion";
    public const string OrphanFinalizer = "orphan";

    /// <summary>After <paramref name="removed"/> went: its dependents follow, and owners waiting in foreground deletion may finish.</summary>
    public void AfterRemoval(StoredObject removed)
    {
        var uid = (string?)ObjectMeta.Meta(removed.Object)["uid"] ?? "";
        DeleteDependents(uid, "Background");
        if (removed.Object["metadata"]?["ownerReferences"] is JsonArray owners)
        {
            foreach (var owner in owners.OfType<JsonObject>())
            {
                var ownerUid = (string?)owner["uid"] ?? "";
                foreach (var (ownerType, ownerObj) in FindByUid(ownerUid))
                {
                    if (ObjectMeta.Finalizers(ownerObj.Object).Contains(ForegroundFinalizer))
                    {
                        CompleteForeground(ownerType, ownerObj);
                    }
                }
            }
        }
    }

    public bool HasDependents(string? uid) => uid is not null && Dependents(uid).Count > 0;

    /// <summary>Background GC: a dependent whose owners are all gone is deleted; one with a live owner loses the dangling reference.</summary>
    public void DeleteDependents(string ownerUid, string policy)
    {
        foreach (var (type, dependent) in Dependents(ownerUid))
        {
            var current = store.Get(type.StorageKey, dependent.Namespace, dependent.Name);
            if (current is null || (string?)ObjectMeta.Meta(current.Object)["uid"] != (string?)ObjectMeta.Meta(dependent.Object)["uid"])
            {
                continue;
            }
            var refs = (JsonArray)current.Object["metadata"]!["ownerReferences"]!;
            var liveOwners = refs.OfType<JsonObject>().Where(r => (string?)r["uid"] != ownerUid && FindByUid((string?)r["uid"] ?? "").Any(o => !ObjectMeta.IsDeleting(o.Object.Object))).ToList();
            if (liveOwners.Count > 0)
            {
                var obj = current.Clone();
                ObjectMeta.Meta(obj)["ownerReferences"] = new JsonArray(liveOwners.Select(r => (JsonNode?)r.DeepClone()).ToArray());
                store.Put(type, obj);
                continue;
            }
            if (!ObjectMeta.IsDeleting(current.Object))
            {
                operations.Delete(type, current.Namespace.Length > 0 ? current.Namespace : null, current.Name, new DeleteOptions(policy, null, null, null));
            }
        }
    }

    public void OrphanDependents(string ownerUid)
    {
        foreach (var (type, dependent) in Dependents(ownerUid))
        {
            var obj = dependent.Clone();
            var refs = (JsonArray)obj["metadata"]!["ownerReferences"]!;
            var kept = refs.Where(r => (string?)r?["uid"] != ownerUid).Select(r => r?.DeepClone()).ToArray();
            if (kept.Length == 0)
            {
                ObjectMeta.Meta(obj).Remove("ownerReferences");
            }
            else
            {
                ObjectMeta.Meta(obj)["ownerReferences"] = new JsonArray(kept);
            }
            store.Put(type, obj);
        }
    }

    /// <summary>Foreground deletion ends when no dependent blocks the owner any more.</summary>
    public StoredObject CompleteForeground(ResourceType type, StoredObject owner)
    {
        var uid = (string?)ObjectMeta.Meta(owner.Object)["uid"] ?? "";
        return Dependents(uid).Count > 0 ? owner : operations.RemoveFinalizer(type, owner, ForegroundFinalizer);
    }

    private List<(ResourceType Type, StoredObject Object)> FindByUid(string uid) =>
        uid.Length > 0 && store.FindByUid(uid) is { } found && store.FindTypeByStorageKey(found.StorageKey) is { } type ? [(type, found.Object)] : [];

    private List<(ResourceType Type, StoredObject Object)> Dependents(string uid) =>
        uid.Length == 0
            ? []
            : store.DependentsOf(uid)
                .Select(d => (Type: store.FindTypeByStorageKey(d.StorageKey), d.Object))
                .Where(d => d.Type is not null)
                .Select(d => (d.Type!, d.Object))
                .ToList();
}
