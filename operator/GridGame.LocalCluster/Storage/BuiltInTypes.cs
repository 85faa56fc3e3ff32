namespace GridGame.LocalCluster.Storage;

/// <summary>The built-in resources LocalCluster serves (docs/contributing/localcluster.md, "What it serves").</summary>
internal static class BuiltInTypes
{
    public static IReadOnlyList<ResourceType> All { get; } =
    [
        new() { Group = "", Version = "v1", Kind = "Namespace", Plural = "namespaces", Namespaced = false, ShortNames = ["ns"], HasStatus = true },
        new()
        {
            Group = "", Version = "v1", Kind = "Pod", Plural = "pods", Namespaced = true, ShortNames = ["po"], Categories = ["all"], HasStatus = true,
            SelectableFields = ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"],
        },
        new() { Group = "", Version = "v1", Kind = "Node", Plural = "nodes", Namespaced = false, ShortNames = ["no"], HasStatus = true, SelectableFields = ["spec.unschedulable"] },
        new() { Group = "", Version = "v1", Kind = "Service", Plural = "services", Namespaced = true, ShortNames = ["svc"], Categories = ["all"], HasStatus = true },
        new() { Group = "", Version = "v1", Kind = "ConfigMap", Plural = "configmaps", Namespaced = true, ShortNames = ["cm"] },
        new() { Group = "", Version = "v1", Kind = "Secret", Plural = "secrets", Namespaced = true, SelectableFields = ["type"] },
        new() { Group = "", Version = "v1", Kind = "ServiceAccount", Plural = "serviceaccounts", Namespaced = true, ShortNames = ["sa"] },
        new()
        {
            Group = "", Version = "v1", Kind = "Event", Plural = "events", Namespaced = true, ShortNames = ["ev"],
            SelectableFields =
            [
                "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion",
                "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type",
            ],
        },
        new()
        {
            Group = "events.k8s.io", Version = "v1", Kind = "Event", Plural = "events", Namespaced = true, ShortNames = ["ev"],
            SharedStorageKey = "/events", Conversion = new EventsV1Conversion(),
            SelectableFields = ["regarding.kind", "regarding.namespace", "regarding.name", "regarding.uid", "reason", "reportingController", "type"],
        },
        new() { Group = "coordination.k8s.io", Version = "v1", Kind = "Lease", Plural = "leases", Namespaced = true },
        new() { Group = "apps", Version = "v1", Kind = "ControllerRevision", Plural = "controllerrevisions", Namespaced = true },
        new()
        {
            Group = "apiextensions.k8s.io", Version = "v1", Kind = "CustomResourceDefinition", Plural = "customresourcedefinitions", Namespaced = false,
            ShortNames = ["crd", "crds"], Categories = ["api-extensions"], HasStatus = true, AllowUnconditionalUpdate = false, HasGeneration = true,
        },
    ];
}
