using System.Globalization;

namespace GridGame.LocalCluster.Schema.Cel;

/// <summary>The type conversion functions <c>int()</c>, <c>uint()</c>, <c>double()</c>, <c>string()</c> and <c>bool()</c>.</summary>
internal static class CelConversions
{
    // 2^63 is exactly representable; every double below it (and at or above -2^63) fits a long.
    private const double TwoTo63 = 9223372036854775808.0;

    public static object ToInt(object? value) => value switch
    {
        long l => l,
        ulong u => u <= long.MaxValue ? (long)u : new CelError("range error converting uint to int"),
        double d => d >= -TwoTo63 && d < TwoTo63 ? (long)Math.Truncate(d) : new CelError("range error converting double to int"),
        string s => long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l : new CelError($"cannot convert '{s}' to int"),
        _ => CelError.NoOverload("int"),
    };

    public static object ToUint(object? value) => value switch
    {
        ulong u => u,
        long l => l >= 0 ? (ulong)l : new CelError("range error converting int to uint"),
        double d => d >= 0 && d < 2 * TwoTo63 ? (ulong)Math.Truncate(d) : new CelError("range error converting double to uint"),
        string s => ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var u) ? u : new CelError($"cannot convert '{s}' to uint"),
        _ => CelError.NoOverload("uint"),
    };

    public static object ToDouble(object? value) => value switch
    {
        double d => d,
        long l => (double)l,
        ulong u => (double)u,
        string s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : new CelError($"cannot convert '{s}' to double"),
        _ => CelError.NoOverload("double"),
    };

    public static object ToText(object? value) => value switch
    {
        string s => s,
        long l => l.ToString(CultureInfo.InvariantCulture),
        ulong u => u.ToString(CultureInfo.InvariantCulture),
        double d => GoValue.FormatFloat(d),
        bool b => b ? "true" : "false",
        _ => CelError.NoOverload("string"),
    };

    // Go's strconv.ParseBool, which cel-go uses.
    public static object ToBool(object? value) => value switch
    {
        bool b => b,
        "1" or "t" or "T" or "true" or "TRUE" or "True" => true,
        "0" or "f" or "F" or "false" or "FALSE" or "False" => false,
        string s => new CelError($"type conversion error from 'string' to 'bool': {s}"),
        _ => CelError.NoOverload("bool"),
    };
}
