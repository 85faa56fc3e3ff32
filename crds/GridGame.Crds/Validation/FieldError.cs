namespace GridGame.Crds.Validation;

/// <summary>A semantic validation failure: the field's path (<c>spec.ports[1].hostPort</c>) and what is wrong with it.</summary>
/// <param name="Field">Dotted path with <c>[i]</c> for list items, as the API server writes it.</param>
/// <param name="Detail">What is wrong, phrased to follow the field: <c>must be 3..64 (got 100)</c>.</param>
public sealed record FieldError(string Field, string Detail)
{
    /// <summary>The whole sentence: <c>spec.game.boardSize must be 3..64 (got 100)</c>.</summary>
    public string Message => $"{Field} {Detail}";

    public override string ToString() => Message;

    /// <summary>All messages in one line, for an <c>Invalid</c> condition or an Event.</summary>
    public static string Summarize(IEnumerable<FieldError> errors) => string.Join("; ", errors.Select(e => e.Message));
}
