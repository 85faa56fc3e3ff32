using System.Text;

namespace GridGame.LocalCluster.Schema.Cel;

/// <summary>
/// The parts of the Kubernetes CEL libraries CRD rules use most: cel-go's strings extension (indexes count code
/// points) and Kubernetes' list functions. The receiver is <c>args[0]</c>.
/// </summary>
internal static class CelLibrary
{
    /// <summary>Method names with the argument counts they take besides the receiver.</summary>
    public static readonly Dictionary<string, int[]> Methods = new(StringComparer.Ordinal)
    {
        ["charAt"] = [1], ["indexOf"] = [1, 2], ["lastIndexOf"] = [1, 2], ["lowerAscii"] = [0], ["upperAscii"] = [0],
        ["replace"] = [2, 3], ["split"] = [1, 2], ["substring"] = [1, 2], ["trim"] = [0], ["join"] = [0, 1],
        ["isSorted"] = [0], ["sum"] = [0], ["min"] = [0], ["max"] = [0],
    };

    public static object? Call(string function, List<object?> args) => (function, args[0]) switch
    {
        ("indexOf" or "lastIndexOf", IReadOnlyList<object?> list) when args.Count == 2 => ListIndexOf(list, args[1], function == "lastIndexOf"),
        (_, string s) => StringMethod(function, s, args),
        (_, IReadOnlyList<object?> list) => ListMethod(function, list, args),
        _ => CelError.NoOverload(function),
    };

    private static object? StringMethod(string function, string s, List<object?> args)
    {
        var runes = s.EnumerateRunes().ToArray();
        switch (function, args.Count)
        {
            case ("lowerAscii", 1):
                return string.Concat(s.Select(c => char.IsAsciiLetterUpper(c) ? char.ToLowerInvariant(c) : c));
            case ("upperAscii", 1):
                return string.Concat(s.Select(c => char.IsAsciiLetterLower(c) ? char.ToUpperInvariant(c) : c));
            case ("trim", 1):
                return s.Trim();
            case ("charAt", 2) when args[1] is long i:
                return i >= 0 && i <= runes.Length ? (i == runes.Length ? "" : runes[i].ToString()) : new CelError($"index out of range: {i}");
            case ("indexOf" or "lastIndexOf", 2 or 3) when args[1] is string sub:
                return StringIndexOf(runes, sub, args.Count == 3 ? args[2] : null, function == "lastIndexOf");
            case ("substring", 2 or 3) when args[1] is long start && (args.Count == 2 || args[2] is long):
                var end = args.Count == 3 ? (long)args[2]! : runes.Length;
                return start < 0 || end > runes.Length || start > end
                    ? new CelError($"index out of range: {(start < 0 || start > runes.Length ? start : end)}")
                    : Join(runes.AsSpan((int)start, (int)(end - start)));
            case ("replace", 3 or 4) when args[1] is string from && args[2] is string to && (args.Count == 3 || args[3] is long):
                return Replace(s, from, to, args.Count == 4 ? (long)args[3]! : -1);
            case ("split", 2 or 3) when args[1] is string separator && (args.Count == 2 || args[2] is long):
                return Split(s, separator, args.Count == 3 ? (long)args[2]! : -1);
            default:
                return CelError.NoOverload(function);
        }
    }

    private static object? ListMethod(string function, IReadOnlyList<object?> list, List<object?> args)
    {
        switch (function, args.Count)
        {
            case ("join", 1 or 2) when args.Count == 1 || args[1] is string:
                return list.All(item => item is string) ? string.Join(args.Count == 2 ? (string)args[1]! : "", list) : CelError.NoOverload("join");
            case ("isSorted", 1):
                for (var i = 1; i < list.Count; i++)
                {
                    if (Order(list[i - 1], list[i]) is not { } order)
                    {
                        return CelError.NoOverload("isSorted");
                    }
                    if (order > 0)
                    {
                        return false;
                    }
                }
                return true;
            case ("min" or "max", 1):
                if (list.Count == 0)
                {
                    return new CelError($"{function} called on empty list");
                }
                var best = list[0];
                foreach (var item in list.Skip(1))
                {
                    if (Order(item, best) is not { } order)
                    {
                        return CelError.NoOverload(function);
                    }
                    best = (function == "min" ? order < 0 : order > 0) ? item : best;
                }
                return best;
            case ("sum", 1):
                return Sum(list);
            default:
                return CelError.NoOverload(function);
        }
    }

    private static int? Order(object? a, object? b) => CelValues.CompareNumbers(a, b) ?? (a, b) switch
    {
        (string x, string y) => string.CompareOrdinal(x, y),
        (bool x, bool y) => x.CompareTo(y),
        _ => null,
    };

    private static object Sum(IReadOnlyList<object?> list)
    {
        if (list.Count == 0)
        {
            return 0L;
        }
        try
        {
            return list[0] switch
            {
                long => list.All(i => i is long) ? checked(list.Sum(i => (long)i!)) : CelError.NoOverload("sum"),
                ulong => list.All(i => i is ulong) ? list.Aggregate(0UL, (total, i) => checked(total + (ulong)i!)) : CelError.NoOverload("sum"),
                double => list.All(i => i is double) ? list.Sum(i => (double)i!) : CelError.NoOverload("sum"),
                _ => CelError.NoOverload("sum"),
            };
        }
        catch (OverflowException)
        {
            return new CelError("integer overflow");
        }
    }

    private static object ListIndexOf(IReadOnlyList<object?> list, object? value, bool last)
    {
        for (var n = 0; n < list.Count; n++)
        {
            var i = last ? list.Count - 1 - n : n;
            if (CelValues.Equal(list[i], value))
            {
                return (long)i;
            }
        }
        return -1L;
    }

    private static object StringIndexOf(Rune[] runes, string sub, object? from, bool last)
    {
        var needle = sub.EnumerateRunes().ToArray();
        if (from is not (null or long))
        {
            return CelError.NoOverload(last ? "lastIndexOf" : "indexOf");
        }
        var offset = (long?)from ?? (last ? runes.Length : 0);
        if (offset < 0 || offset > runes.Length)
        {
            return new CelError($"index out of range: {offset}");
        }
        var first = last ? Math.Min(offset, runes.Length - needle.Length) : offset;
        for (var i = first; last ? i >= 0 : i + needle.Length <= runes.Length; i += last ? -1 : 1)
        {
            if (runes.AsSpan((int)i, needle.Length).SequenceEqual(needle))
            {
                return i;
            }
        }
        return -1L;
    }

    private static string Replace(string s, string from, string to, long count)
    {
        if (count < 0)
        {
            return from.Length == 0 ? string.Concat(s.EnumerateRunes().Select(r => to + r)) + to : s.Replace(from, to, StringComparison.Ordinal);
        }
        var builder = new StringBuilder();
        var rest = s;
        for (var n = 0; n < count && from.Length > 0; n++)
        {
            var at = rest.IndexOf(from, StringComparison.Ordinal);
            if (at < 0)
            {
                break;
            }
            builder.Append(rest, 0, at).Append(to);
            rest = rest[(at + from.Length)..];
        }
        return builder.Append(rest).ToString();
    }

    private static List<object?> Split(string s, string separator, long count)
    {
        if (count == 0)
        {
            return [];
        }
        var parts = separator.Length == 0
            ? s.EnumerateRunes().Select(r => r.ToString()).ToArray()
            : s.Split(separator, count > 0 ? (int)Math.Min(count, int.MaxValue) : int.MaxValue, StringSplitOptions.None);
        if (separator.Length == 0 && count > 0 && parts.Length > count)
        {
            parts = [.. parts.Take((int)count - 1), string.Concat(parts.Skip((int)count - 1))];
        }
        return [.. parts];
    }

    private static string Join(ReadOnlySpan<Rune> runes)
    {
        var builder = new StringBuilder();
        foreach (var rune in runes)
        {
            builder.Append(rune.ToString());
        }
        return builder.ToString();
    }
}
