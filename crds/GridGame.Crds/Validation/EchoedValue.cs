using System.Globalization;

namespace GridGame.Crds.Validation;

/// <summary>
/// A value a refusal repeats back to its writer, quoted and cut to a bound: the message still shows what was refused,
/// but a 100,000-character value does not travel on into a status, its condition, an Event and the logs.
/// </summary>
public static class EchoedValue
{
    /// <summary>The most characters of a value a message repeats; longer values end in an ellipsis and their length.</summary>
    public const int MaxLength = 64;

    /// <summary><c>"Packed"</c>, or <c>"xxxx…" (100000 characters)</c> for a value longer than <see cref="MaxLength"/>.</summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length <= MaxLength)
        {
            return "\"" + value + "\"";
        }

        // Never split a surrogate pair: half of one is not a character any reader can show.
        var cut = char.IsHighSurrogate(value[MaxLength - 1]) ? MaxLength - 1 : MaxLength;
        return string.Create(CultureInfo.InvariantCulture, $"\"{value.AsSpan(0, cut)}…\" ({value.Length} characters)");
    }
}
