using System.Text.Json.Nodes;
using GridGame.LocalCluster.Storage;

namespace GridGame.LocalCluster.Api;

/// <summary>
/// The namespace controller's part, run synchronously: deleting a namespace marks it Terminating and deletes its
/// contents; it goes once the last of them has gone.
/// </summary>
internal sealed class NamespaceFinalizer(ClusterStore store, ResourceOperations operations)
{
    /// <summary>After a namespaced object went: its namespace, if terminating, may now be empty.</summary>
    public void AfterRemoval(ResourceType type, StoredObject removed)
    {
        if (type.Namespaced && store.Get("/namespaces", "", removed.Namespace) is { } ns && ObjectMeta.IsDeleting(ns.Object))
        {
            Finish(ns);
        }
    }

    /// <summary>DELETE of a namespace (not a dry run): <paramref name="obj"/> is the stored namespace, already copied.</summary>
    public StoredObject Delete(ResourceType type, JsonObject obj, bool wasDeleting)
    {
        var stored = store.Get(type.StorageKey, "", ObjectMeta.Str(obj, "name"))!;
        if (!wasDeleting)
        {
            ObjectMeta.Meta(obj)["deletionTimestamp"] = operations.Now();
            ObjectMeta.Meta(obj)["deletionGracePeriodSeconds"] = 0;
            obj["status"] = new JsonObject { ["phase"] = "Terminating" };
            stored = store.Put(type, obj);
        }
        var ns = stored.Name;
        foreach (var (t, o) in AllObjects().Where(x => x.Type.Namespaced && x.Object.Namespace == ns).ToList())
        {
            if (store.Get(t.StorageKey, ns, o.Name) is { } live && !ObjectMeta.IsDeleting(live.Object))
            {
                operations.Delete(t, ns, o.Name, new DeleteOptions("Background", null, null, null));
            }
        }
        var current = store.Get(type.StorageKey, "", ns);
        return current is null ? stored : Finish(current);
    }

    private StoredObject Finish(StoredObject ns)
    {
        if (AllObjects().Any(x => x.Type.Namespaced && x.Object.Namespace == ns.Name))
        {
            return ns;
        }
        var type = store.FindTypeByStorageKey("/namespaces")!;
        var obj = ns.Clone();
        obj["spec"] = new JsonObject();
        return operations.RemoveNow(type, obj);
    }

    private IEnumerable<(ResourceType Type, StoredObject Object)> AllObjects()
    {
        foreach (var key in store.StorageKeys())
        {
            var type = store.FindTypeByStorageKey(key);
            if (type is null)
            {
                continue;
            }
            foreach (var o in store.List(key, null).Items)
            {
                yield return (type, o);
            }
        }
    }
}
