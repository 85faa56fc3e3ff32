using System.Text.Json.Nodes;
using GridGame.LocalCluster.Storage;

namespace GridGame.LocalCluster.Api;

/// <summary>
/// The CRD cleanup finalizer, run synchronously: a deleted CRD that still has custom resources deletes them first and
/// goes once the last has gone; while it is terminating no new ones may be created.
/// </summary>
internal sealed class CrdFinalizer(ClusterStore store, ResourceOperations operations)
{
    public const string CleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io";

    /// <summary>After a custom resource went: its terminating CRD may now be free to go.</summary>
    public void AfterRemoval(ResourceType type)
    {
        if (type.IsCustom && store.Types.Values.FirstOrDefault(t => t.StorageKey == "apiextensions.k8s.io/customresourcedefinitions") is { } crdType)
        {
            var crd = store.Get(crdType.StorageKey, "", type.Plural + "." + type.Group);
            if (crd is not null && ObjectMeta.IsDeleting(crd.Object) && store.List(type.StorageKey, null).Items.Count == 0)
            {
                operations.RemoveFinalizer(crdType, crd, CleanupFinalizer);
            }
        }
    }

    public bool HasCustomResources(JsonObject crd)
    {
        var group = (string?)crd["spec"]?["group"] ?? "";
        var plural = (string?)crd["spec"]?["names"]?["plural"] ?? "";
        return store.List(group + "/" + plural, null).Items.Count > 0;
    }

    public bool IsTerminating(ResourceType type)
    {
        var crd = store.Get("apiextensions.k8s.io/customresourcedefinitions", "", type.Plural + "." + type.Group);
        return crd is not null && ObjectMeta.IsDeleting(crd.Object);
    }

    public StoredObject CleanUp(ResourceType crdType, StoredObject crd)
    {
        var group = (string?)crd.Object["spec"]?["group"] ?? "";
        var plural = (string?)crd.Object["spec"]?["names"]?["plural"] ?? "";
        var storageKey = group + "/" + plural;
        var crType = store.FindTypeByStorageKey(storageKey);
        if (crType is not null)
        {
            foreach (var o in store.List(storageKey, null).Items)
            {
                if (!ObjectMeta.IsDeleting(o.Object))
                {
                    operations.Delete(crType, o.Namespace.Length > 0 ? o.Namespace : null, o.Name, new DeleteOptions("Background", null, null, null));
                }
            }
        }
        var current = store.Get(crdType.StorageKey, "", crd.Name);
        if (current is not null && store.List(storageKey, null).Items.Count == 0)
        {
            return operations.RemoveFinalizer(crdType, current, CleanupFinalizer);
        }
        return current ?? crd;
    }
}
