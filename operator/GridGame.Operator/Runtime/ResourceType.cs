using System.Reflection;
using k8s;
using k8s.Models;

namespace GridGame.Operator.Runtime;

/// <summary>Where a kind of resource lives in the API (group, version, plural), for list/watch URLs.</summary>
internal sealed record ResourceType(string Group, string Version, string Plural, string Kind, bool Namespaced = true)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>
    /// A label selector every list and watch of this type carries, so an informer caches only the objects its
    /// controllers own (e.g. ControllerRevisions labelled <c>gridgame.io/fleet</c>, not those of every StatefulSet).
    /// Part of the record's equality: informers with different selectors are different informers.
    /// </summary>
    public string? LabelSelector { get; init; }

    /// <summary>The query parameter for <see cref="LabelSelector"/> (with a leading <c>&amp;</c>), or nothing.</summary>
    public string LabelSelectorQuery => string.IsNullOrEmpty(LabelSelector) ? string.Empty : "&labelSelector=" + Uri.EscapeDataString(LabelSelector);

    private static readonly HashSet<string> ClusterScopedKinds = new(StringComparer.Ordinal)
    {
        "Node", "Namespace", "PersistentVolume", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "StorageClass", "PriorityClass",
    };

    /// <summary>
    /// Reads <see cref="KubernetesEntityAttribute"/> from the model type (pods, leases and our CRD types carry it).
    /// Nodes, namespaces and the other well-known cluster-scoped kinds are known; say so for others.
    /// </summary>
    public static ResourceType For<T>(bool? namespaced = null)
        where T : IKubernetesObject
    {
        var entity = typeof(T).GetCustomAttribute<KubernetesEntityAttribute>()
            ?? throw new InvalidOperationException($"{typeof(T).Name} has no [KubernetesEntity] attribute; pass a ResourceType explicitly.");
        return new ResourceType(entity.Group ?? string.Empty, entity.ApiVersion, entity.PluralName, entity.Kind, namespaced ?? !ClusterScopedKinds.Contains(entity.Kind));
    }

    /// <summary>The collection path relative to the API root: <c>api/v1/namespaces/ns/pods</c> or <c>apis/g/v/plural</c>.</summary>
    public string CollectionPath(string? @namespace)
    {
        var root = Group.Length == 0 ? $"api/{Version}" : $"apis/{Group}/{Version}";
        return Namespaced && !string.IsNullOrEmpty(@namespace)
            ? $"{root}/namespaces/{Uri.EscapeDataString(@namespace)}/{Plural}"
            : $"{root}/{Plural}";
    }

    public override string ToString() => (Group.Length == 0 ? Plural : $"{Plural}.{Group}") + (string.IsNullOrEmpty(LabelSelector) ? string.Empty : $" ({LabelSelector})");
}
