using System.Text.Json.Nodes;

namespace GridGame.Crds.Schema;

/// <summary>
/// Renders the apiextensions.k8s.io/v1 CustomResourceDefinitions of GridGame from the C# types, the single
/// source of the API. <c>gridgame-operator crds</c> writes them; a test fails when the checked-in YAML drifts.
/// </summary>
public static class CrdGenerator
{
    /// <summary>The command that regenerates the checked-in manifests, for error messages.</summary>
    public const string RegenerateCommand = "dotnet run --project operator/GridGame.Operator -- crds";

    /// <summary>Every CRD with the file name it is written to (<c>gamefleets.gridgame.io.yaml</c>).</summary>
    public static IReadOnlyList<(string FileName, JsonObject Crd)> All() =>
    [
        (GameFleet.KubePluralName + "." + GridGameApi.Group + ".yaml", GameFleetCrd()),
        (GameSession.KubePluralName + "." + GridGameApi.Group + ".yaml", GameSessionCrd()),
    ];

    /// <summary>The GameFleet CRD, with status and scale subresources.</summary>
    public static JsonObject GameFleetCrd() => Crd(
        typeof(GameFleet),
        GameFleet.KubeKind,
        GameFleet.KubeListKind,
        GameFleet.KubePluralName,
        GameFleet.KubeSingularName,
        GameFleet.KubeShortName,
        new JsonObject
        {
            ["scale"] = new JsonObject
            {
                ["labelSelectorPath"] = ".status.selector",
                ["specReplicasPath"] = ".spec.replicas",
                ["statusReplicasPath"] = ".status.replicas",
            },
            ["status"] = new JsonObject(),
        },
        [
            Column("Desired", "integer", ".spec.replicas", "Desired servers of the active revision"),
            Column("Ready", "integer", ".status.readyReplicas", "Servers Ready for allocation"),
            Column("Allocated", "integer", ".status.allocatedReplicas", "Servers playing a session"),
            Column("Draining", "integer", ".status.drainingReplicas", "Servers finishing a game before they go"),
            Column("Active", "string", ".status.activeRevision", "The revision that receives allocations"),
            Column("Target", "string", ".status.targetRevision", "The newest revision", priority: 1),
            Column("Rollout", "string", ".status.rollout.phase", "The phase of the blue-green rollout"),
            Column("Age", "date", ".metadata.creationTimestamp", null),
        ]);

    /// <summary>The GameSession CRD, with a status subresource.</summary>
    public static JsonObject GameSessionCrd() => Crd(
        typeof(GameSession),
        GameSession.KubeKind,
        GameSession.KubeListKind,
        GameSession.KubePluralName,
        GameSession.KubeSingularName,
        GameSession.KubeShortName,
        new JsonObject { ["status"] = new JsonObject() },
        [
            Column("Phase", "string", ".status.phase", "Pending, Allocated, Running, Finished or Failed"),
            Column("Fleet", "string", ".spec.fleetName", "The fleet the server comes from"),
            Column("Address", "string", ".status.address", "The address players connect to"),
            Column("Port", "integer", ".status.port", "The port players connect to"),
            Column("Winner", "string", ".status.winner", "The winner's player id"),
            Column("Server", "string", ".status.serverName", "The pod that serves the session", priority: 1),
            Column("Reason", "string", ".status.reason", "Why the session is in its phase", priority: 1),
            Column("Age", "date", ".metadata.creationTimestamp", null),
        ]);

    /// <summary>The <c>openAPIV3Schema</c> of a CRD (what LocalCluster's StructuralSchema validates against).</summary>
    public static JsonObject OpenApiSchema(JsonObject crd) =>
        crd["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!.AsObject();

    /// <summary>Renders every CRD and writes it into <paramref name="directory"/>; returns the paths written.</summary>
    public static IReadOnlyList<string> WriteAll(string directory)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        foreach (var (fileName, crd) in All())
        {
            var path = Path.Combine(directory, fileName);
            File.WriteAllText(path, CrdYaml.Render(crd));
            written.Add(path);
        }

        return written;
    }

    private static JsonObject Crd(Type type, string kind, string listKind, string plural, string singular, string shortName, JsonObject subresources, JsonNode[] columns) => new()
    {
        ["apiVersion"] = "apiextensions.k8s.io/v1",
        ["kind"] = "CustomResourceDefinition",
        ["metadata"] = new JsonObject
        {
            ["name"] = plural + "." + GridGameApi.Group,
            ["labels"] = new JsonObject { ["app.kubernetes.io/part-of"] = "gridgame" },
        },
        ["spec"] = new JsonObject
        {
            ["group"] = GridGameApi.Group,
            ["names"] = new JsonObject
            {
                ["categories"] = new JsonArray(GridGameApi.Category),
                ["kind"] = kind,
                ["listKind"] = listKind,
                ["plural"] = plural,
                ["shortNames"] = new JsonArray(shortName),
                ["singular"] = singular,
            },
            ["scope"] = "Namespaced",
            ["versions"] = new JsonArray(new JsonObject
            {
                ["name"] = GridGameApi.Version,
                ["served"] = true,
                ["storage"] = true,
                ["additionalPrinterColumns"] = new JsonArray(columns),
                ["schema"] = new JsonObject { ["openAPIV3Schema"] = SchemaBuilder.ForResource(type) },
                ["subresources"] = subresources,
            }),
        },
    };

    private static JsonObject Column(string name, string type, string jsonPath, string? description, int priority = 0)
    {
        var column = new JsonObject { ["name"] = name, ["type"] = type, ["jsonPath"] = jsonPath };
        if (description is not null)
        {
            column["description"] = description;
        }

        if (priority != 0)
        {
            column["priority"] = priority;
        }

        return column;
    }
}
