using System.Globalization;
using k8s.Models;

namespace GridGame.Crds.Validation;

/// <summary>Reads <c>spec.autoscaling.buffer.size</c>: a non-negative count (5) or a percent ("20%").</summary>
public static class BufferSize
{
    /// <summary>Whether <paramref name="size"/> is a valid count or percent; <paramref name="value"/> is its number.</summary>
    public static bool TryParse(IntOrString? size, out int value) => TryParse(size, out value, out _);

    /// <summary>Parses a valid size into a count or a percent (0..100).</summary>
    public static bool TryParse(IntOrString? size, out int value, out bool percent)
    {
        value = 0;
        percent = false;
        var text = size?.Value;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        if (text.EndsWith('%'))
        {
            percent = true;
            return text.Length > 1
                && text[..^1].All(char.IsAsciiDigit)
                && int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out value)
                && value <= 100;
        }

        return text.All(char.IsAsciiDigit) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>
    /// The buffer in servers for <paramref name="desired"/> replicas: a count as given, a percent of
    /// <paramref name="desired"/> rounded up. Invalid sizes count as the default.
    /// </summary>
    public static int Resolve(IntOrString? size, int desired)
    {
        if (!TryParse(size, out var value, out var percent))
        {
            return GameFleetDefaults.BufferSize;
        }

        return percent ? (int)Math.Ceiling(desired * value / 100.0) : value;
    }

    internal static string Describe(IntOrString size) =>
        size.Value is { Length: <= EchoedValue.MaxLength } text && text.All(char.IsAsciiDigit) ? text : EchoedValue.Quote(size.Value ?? "");
}
