using System.Text.Json.Nodes;

namespace GridGame.LocalCluster.Storage;

/// <summary>A CRD printer column: <c>name</c>, <c>type</c>, <c>jsonPath</c> and optional format/description/priority.</summary>
internal sealed record PrinterColumn(string Name, string Type, string JsonPath, string Format = "", string Description = "", int Priority = 0);

/// <summary>Where the scale subresource reads and writes replicas on a custom resource.</summary>
internal sealed record ScalePaths(string SpecReplicasPath, string StatusReplicasPath, string? LabelSelectorPath);

/// <summary>One served resource of one group version: what discovery lists and what the handlers need to know.</summary>
internal sealed class ResourceType
{
    public required string Group { get; init; }

    public required string Version { get; init; }

    public required string Kind { get; init; }

    public required string Plural { get; init; }

    public required bool Namespaced { get; init; }

    public string Singular => Kind.ToLowerInvariant();

    public string ListKind => CustomListKind ?? Kind + "List";

    public string? CustomListKind { get; init; }

    public IReadOnlyList<string> ShortNames { get; init; } = [];

    public IReadOnlyList<string> Categories { get; init; } = [];

    public bool HasStatus { get; init; }

    public ScalePaths? Scale { get; init; }

    public bool IsCustom { get; init; }

    /// <summary>The version's openAPIV3Schema (custom resources only).</summary>
    public JsonObject? Schema { get; init; }

    public IReadOnlyList<PrinterColumn> PrinterColumns { get; init; } = [];

    /// <summary>Field selectors beyond metadata.name and metadata.namespace.</summary>
    public IReadOnlyList<string> SelectableFields { get; init; } = [];

    /// <summary>PUT without a resourceVersion: allowed for most built-ins, refused for CRDs and custom resources.</summary>
    public bool AllowUnconditionalUpdate { get; init; } = true;

    /// <summary>Whether metadata.generation is kept (set to 1 on create, bumped on spec changes).</summary>
    public bool HasGeneration { get; init; }

    /// <summary>Key of the storage this type lives in: every served version of a CRD shares one.</summary>
    public string StorageKey => SharedStorageKey ?? Group + "/" + Plural;

    /// <summary>Set when this type is another type's storage seen through a conversion (events.k8s.io events are core events).</summary>
    public string? SharedStorageKey { get; init; }

    /// <summary>Converts between the stored form and this type's form; null when they are the same.</summary>
    public IObjectConversion? Conversion { get; init; }

    /// <summary>The object as this type shows it.</summary>
    public JsonObject View(StoredObject o) => Conversion is null ? o.Object : Conversion.FromStorage(o.Clone());

    public string ApiVersion => Group.Length == 0 ? Version : Group + "/" + Version;

    public string GroupResource => Group.Length == 0 ? Plural : Plural + "." + Group;

    public bool IsCore(string plural) => Group.Length == 0 && Plural == plural;
}

/// <summary>A conversion between the stored form of an object and the form a served type shows.</summary>
internal interface IObjectConversion
{
    JsonObject FromStorage(JsonObject stored);

    JsonObject ToStorage(JsonObject served);
}
