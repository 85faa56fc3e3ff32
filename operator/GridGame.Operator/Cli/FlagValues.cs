using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using GridGame.Operator.Hosting;

namespace GridGame.Operator.Cli;

/// <summary>
/// The value syntaxes the flags share, and the factory for a flag that takes one value. A converter throws
/// <see cref="FormatException"/> with what is wrong; the flag's name goes in front, so every error names its flag.
/// </summary>
internal static class FlagValues
{
    /// <summary>
    /// A flag with one value, converted by <paramref name="convert"/>; null when absent. Repeating it is allowed and the
    /// last one wins (as kubectl and client-go flags do), so an overlay can append a flag to override the base's.
    /// </summary>
    public static Option<T?> Single<T>(string name, string valueName, string description, Func<string, T> convert)
        where T : struct => new(name)
        {
            Description = description,
            HelpName = valueName,
            Arity = ArgumentArity.OneOrMore,
            CustomParser = result => Convert(result, name, convert, out var value) ? value : null,
        };

    /// <summary>As <see cref="Single{T}"/> for a text value.</summary>
    public static Option<string?> Text(string name, string valueName, string description) => new(name)
    {
        Description = description,
        HelpName = valueName,
        Arity = ArgumentArity.OneOrMore,
        CustomParser = result => result.Tokens[^1].Value,
    };

    /// <summary>Applies a converter to a value read from the environment, naming the flag it stands for.</summary>
    public static T FromText<T>(string flag, string text, Func<string, T> convert)
    {
        try
        {
            return convert(text);
        }
        catch (FormatException ex)
        {
            throw new FormatException($"{flag}: '{text}' {ex.Message}", ex);
        }
    }

    /// <summary>Seconds (<c>15</c>) or a number with a unit: <c>500ms</c>, <c>15s</c>, <c>2m</c>.</summary>
    public static TimeSpan Duration(string text)
    {
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : (text, 1.0);
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0
            ? TimeSpan.FromSeconds(value * unit)
            : throw new FormatException("is not a positive duration (e.g. 15s, 500ms, 1m)");
    }

    /// <summary>A TCP port, 0 included (0 asks for any free one where the flag says so).</summary>
    public static int Port(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535
            ? port
            : throw new FormatException("is not a valid port (0-65535)");

    public static int PositiveInt(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new FormatException("is not a positive number");

    public static bool Bool(string text) => text.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" => false,
        _ => throw new FormatException("is not true or false"),
    };

    /// <summary><c>FROM-TO</c>, both ends included, starting above 0.</summary>
    public static PortRange Range(string text)
    {
        var parts = text.Split('-', 2);
        if (parts.Length != 2)
        {
            throw new FormatException("is not FROM-TO");
        }

        var range = new PortRange(Port(parts[0]), Port(parts[1]));
        return range.From <= range.To && range.From > 0 ? range : throw new FormatException("is empty or starts at 0");
    }

    public static IEnumerable<string> List(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static bool Convert<T>(ArgumentResult result, string name, Func<string, T> convert, out T value)
    {
        var text = result.Tokens[^1].Value;
        try
        {
            value = convert(text);
            return true;
        }
        catch (FormatException ex)
        {
            result.AddError($"{name}: '{text}' {ex.Message}");
            value = default!;
            return false;
        }
    }
}
