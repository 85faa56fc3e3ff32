using System.Text.Json.Nodes;
using GridGame.Kube;
using GridGame.LocalCluster.Storage;

namespace GridGame.LocalCluster.Selection;

/// <summary>A list's, watch's or delete-collection's <c>labelSelector</c> and <c>fieldSelector</c>, applied together.</summary>
internal sealed class ObjectSelector(LabelSelector labels, FieldSelector fields)
{
    public static ObjectSelector Everything { get; } = new(LabelSelector.Everything, FieldSelector.Everything);

    /// <summary>Parses both query parameters; a malformed one is a 400 BadRequest, worded like the API server's.</summary>
    public static ObjectSelector Parse(string? labelSelector, string? fieldSelector, ResourceType type) =>
        new(ParseLabels(labelSelector), FieldSelector.Parse(fieldSelector, type.SelectableFields, type.Kind));

    /// <summary>The <c>labelSelector</c> parameter; a syntax error is a 400 BadRequest.</summary>
    public static LabelSelector ParseLabels(string? text)
    {
        try
        {
            return LabelSelector.Parse(text);
        }
        catch (FormatException e)
        {
            throw ApiException.BadRequest(e.Message);
        }
    }

    /// <summary>Whether the object is selected; field selectors read it in <paramref name="type"/>'s version (as stored when null).</summary>
    public bool Matches(StoredObject o, ResourceType? type) =>
        (labels.IsEmpty || labels.Matches(o.Object["metadata"]?["labels"] as JsonObject))
        && (fields.IsEmpty || fields.Matches(type?.View(o) ?? o.Object));
}
