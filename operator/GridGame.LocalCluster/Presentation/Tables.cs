using System.Globalization;
using System.Text.Json.Nodes;
using GridGame.LocalCluster.Storage;

namespace GridGame.LocalCluster.Presentation;

/// <summary>
/// Server-side printing: the meta.k8s.io/v1 Table that <c>kubectl get</c> asks for, with a CRD's printer columns or
/// the built-in columns of pods, namespaces, nodes and the rest.
/// </summary>
internal static class Tables
{
    public const string ContentType = "application/json;as=Table;v=v1;g=meta.k8s.io";

    public static bool Wants(string accept) => accept.Contains("as=Table", StringComparison.Ordinal);

    private sealed record Column(string Name, string Type, string Format, string Description, int Priority, Func<JsonObject, DateTimeOffset, JsonNode?> Cell);

    public static JsonObject Build(ResourceType type, IReadOnlyList<StoredObject> objects, DateTimeOffset now, bool includeHeaders, string? includeObject)
    {
        var columns = ColumnsOf(type);
        var rows = new JsonArray();
        foreach (var o in objects)
        {
            var cells = new JsonArray();
            foreach (var c in columns)
            {
                cells.Add(c.Cell(o.Object, now));
            }
            var row = new JsonObject { ["cells"] = cells };
            switch (includeObject)
            {
                case "None":
                    break;
                case "Object":
                    row["object"] = o.Clone();
                    break;
                default:
                    row["object"] = PartialMetadata.Of(o);
                    break;
            }
            rows.Add(row);
        }
        var table = new JsonObject { ["kind"] = "Table", ["apiVersion"] = "meta.k8s.io/v1", ["metadata"] = new JsonObject() };
        if (includeHeaders)
        {
            table["columnDefinitions"] = new JsonArray(columns.Select(c => (JsonNode?)new JsonObject
            {
                ["name"] = c.Name,
                ["type"] = c.Type,
                ["format"] = c.Format,
                ["description"] = c.Description,
                ["priority"] = c.Priority,
            }).ToArray());
        }
        else
        {
            table["columnDefinitions"] = null;
        }
        table["rows"] = rows;
        return table;
    }

    private static Column NameColumn { get; } = new("Name", "string", "name", "Name must be unique within a namespace.", 0, (o, _) => (string?)o["metadata"]?["name"]);

    private static Column AgeColumn { get; } = new("Age", "string", "", "CreationTimestamp is a timestamp representing the server time when this object was created.", 0, (o, now) => Age((string?)o["metadata"]?["creationTimestamp"], now));

    private static List<Column> ColumnsOf(ResourceType type)
    {
        if (type.IsCustom)
        {
            var columns = new List<Column> { NameColumn };
            if (type.PrinterColumns.Count == 0)
            {
                columns.Add(AgeColumn with { Type = "date" });
                return columns;
            }
            foreach (var pc in type.PrinterColumns)
            {
                var column = pc;
                columns.Add(new Column(column.Name, column.Type, column.Format, column.Description, column.Priority, (o, now) => CustomCell(o, column, now)));
            }
            return columns;
        }
        if (type.Group == "apiextensions.k8s.io")
        {
            return [NameColumn, new Column("Created At", "date", "", "", 0, (o, _) => (string?)o["metadata"]?["creationTimestamp"])];
        }
        return (type.Group, type.Plural) switch
        {
            ("", "pods") =>
            [
                NameColumn,
                new("Ready", "string", "", "The aggregate readiness state of this pod for accepting traffic.", 0, (o, _) => PodReady(o)),
                new("Status", "string", "", "The aggregate status of the containers in this pod.", 0, (o, _) => PodStatus(o)),
                new("Restarts", "string", "", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.", 0, (o, _) => PodRestarts(o)),
                AgeColumn,
                new("IP", "string", "", "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", 1, (o, _) => (string?)o["status"]?["podIP"] ?? "<none>"),
                new("Node", "string", "", "NodeName is a request to schedule this pod onto a specific node.", 1, (o, _) => Str(o["spec"]?["nodeName"]) ?? "<none>"),
                new("Nominated Node", "string", "", "nominatedNodeName is set only when this pod preempts other pods on the node.", 1, (o, _) => Str(o["status"]?["nominatedNodeName"]) ?? "<none>"),
                new("Readiness Gates", "string", "", "If specified, all readiness gates will be evaluated for pod readiness.", 1, (_, _) => "<none>"),
            ],
            ("", "namespaces") => [NameColumn, new("Status", "string", "", "The status of the namespace", 0, (o, _) => (string?)o["status"]?["phase"] ?? ""), AgeColumn],
            ("", "nodes") =>
            [
                NameColumn,
                new("Status", "string", "", "The status of the node", 0, (o, _) => NodeStatus(o)),
                new("Roles", "string", "", "The roles of the node", 0, (_, _) => "<none>"),
                AgeColumn,
                new("Version", "string", "", "Kubelet Version reported by the node.", 0, (o, _) => (string?)o["status"]?["nodeInfo"]?["kubeletVersion"] ?? ""),
            ],
            ("", "services") =>
            [
                NameColumn,
                new("Type", "string", "", "The type of service.", 0, (o, _) => (string?)o["spec"]?["type"] ?? "ClusterIP"),
                new("Cluster-IP", "string", "", "Internal IP of the service.", 0, (o, _) => (string?)o["spec"]?["clusterIP"] ?? "<none>"),
                new("External-IP", "string", "", "External IP of the service.", 0, (_, _) => "<none>"),
                new("Port(s)", "string", "", "Ports of the service.", 0, (o, _) => ServicePorts(o)),
                AgeColumn,
            ],
            ("", "configmaps") => [NameColumn, new("Data", "integer", "", "Number of data entries.", 0, (o, _) => Count(o["data"]) + Count(o["binaryData"])), AgeColumn],
            ("", "secrets") => [NameColumn, new("Type", "string", "", "The type of the secret.", 0, (o, _) => (string?)o["type"] ?? "Opaque"), new("Data", "integer", "", "Number of data entries.", 0, (o, _) => Count(o["data"])), AgeColumn],
            ("", "serviceaccounts") => [NameColumn, new("Secrets", "string", "", "Number of secrets.", 0, (o, _) => Count(o["secrets"])), AgeColumn],
            ("", "events") =>
            [
                new("Last Seen", "string", "", "Time when last this event was observed.", 0, (o, now) => Age((string?)o["lastTimestamp"] ?? (string?)o["eventTime"] ?? (string?)o["metadata"]?["creationTimestamp"], now)),
                new("Type", "string", "", "Type of this event.", 0, (o, _) => (string?)o["type"] ?? ""),
                new("Reason", "string", "", "Reason why this event was generated.", 0, (o, _) => (string?)o["reason"] ?? ""),
                new("Object", "string", "", "Object this event is about.", 0, (o, _) => $"{((string?)o["involvedObject"]?["kind"] ?? "").ToLowerInvariant()}/{(string?)o["involvedObject"]?["name"]}"),
                new("Message", "string", "", "A human-readable description of the status of this operation.", 0, (o, _) => ((string?)o["message"] ?? "").Trim()),
            ],
            ("coordination.k8s.io", "leases") => [NameColumn, new("Holder", "string", "", "The holder of the lease.", 0, (o, _) => (string?)o["spec"]?["holderIdentity"] ?? ""), AgeColumn],
            _ => [NameColumn, AgeColumn],
        };
    }

    private static string? Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    private static long Count(JsonNode? n) => n switch
    {
        JsonObject o => o.Count,
        JsonArray a => a.Count,
        _ => 0,
    };

    private static string Age(string? timestamp, DateTimeOffset now) =>
        DateTimeOffset.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? HumanDuration.Format(now - t) : "<unknown>";

    private static JsonNode? CustomCell(JsonObject o, PrinterColumn column, DateTimeOffset now)
    {
        var value = JsonPathExpression.Evaluate(o, column.JsonPath);
        if (value is null)
        {
            return null;
        }
        if (column.Type == "date" && value is JsonValue v && v.TryGetValue<string>(out var s))
        {
            return Age(s, now);
        }
        return value.DeepClone();
    }

    private static string PodReady(JsonObject pod)
    {
        var total = (pod["spec"]?["containers"] as JsonArray)?.Count ?? 0;
        var ready = (pod["status"]?["containerStatuses"] as JsonArray)?.Count(c => (bool?)c?["ready"] == true) ?? 0;
        return string.Create(CultureInfo.InvariantCulture, $"{ready}/{total}");
    }

    private static string PodStatus(JsonObject pod)
    {
        if (pod["metadata"]?["deletionTimestamp"] is not null)
        {
            return "Terminating";
        }
        var status = pod["status"] as JsonObject;
        var reason = (string?)status?["reason"] ?? (string?)status?["phase"] ?? "Pending";
        foreach (var c in (status?["containerStatuses"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            var waiting = (string?)c["state"]?["waiting"]?["reason"];
            var terminated = (string?)c["state"]?["terminated"]?["reason"];
            if (!string.IsNullOrEmpty(waiting))
            {
                reason = waiting;
            }
            else if (!string.IsNullOrEmpty(terminated) && reason == "Running")
            {
                reason = terminated;
            }
        }
        return reason;
    }

    private static string PodRestarts(JsonObject pod)
    {
        var restarts = (pod["status"]?["containerStatuses"] as JsonArray)?.Sum(c => JsonNumber.Long(c?["restartCount"]) ?? 0) ?? 0;
        return restarts.ToString(CultureInfo.InvariantCulture);
    }

    private static string NodeStatus(JsonObject node)
    {
        var ready = (node["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == "Ready");
        var status = (string?)ready?["status"] == "True" ? "Ready" : ready is null ? "Unknown" : "NotReady";
        return (bool?)node["spec"]?["unschedulable"] == true ? status + ",SchedulingDisabled" : status;
    }

    private static string ServicePorts(JsonObject svc)
    {
        var ports = (svc["spec"]?["ports"] as JsonArray)?.OfType<JsonObject>()
            .Select(p => $"{JsonNumber.Long(p["port"])}{(JsonNumber.Long(p["nodePort"]) is { } n ? ":" + n.ToString(CultureInfo.InvariantCulture) : "")}/{(string?)p["protocol"] ?? "TCP"}").ToList() ?? [];
        return ports.Count == 0 ? "<none>" : string.Join(',', ports);
    }
}

/// <summary>PartialObjectMetadata: the metadata-only form kubectl asks for in some commands, and table rows carry.</summary>
internal static class PartialMetadata
{
    public static bool Wants(string accept) => accept.Contains("as=PartialObjectMetadata", StringComparison.Ordinal);

    public static JsonObject Of(StoredObject o) => new()
    {
        ["kind"] = "PartialObjectMetadata",
        ["apiVersion"] = "meta.k8s.io/v1",
        ["metadata"] = o.Object["metadata"]?.DeepClone(),
    };

    public static JsonObject List(IEnumerable<StoredObject> items, string rv, string? next)
    {
        var meta = new JsonObject { ["resourceVersion"] = rv };
        if (next is not null)
        {
            meta["continue"] = next;
        }
        return new JsonObject
        {
            ["kind"] = "PartialObjectMetadataList",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = meta,
            ["items"] = new JsonArray(items.Select(i => (JsonNode?)Of(i)).ToArray()),
        };
    }
}
