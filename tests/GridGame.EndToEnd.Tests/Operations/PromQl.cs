using System.Text;

namespace GridGame.EndToEnd.Tests.Operations;

/// <summary>
/// The metric names a PromQL expression selects. Not a parser (promtool is the judge of syntax): it drops
/// strings, label matchers, ranges and the label lists of by/without/on/ignoring/group_left/group_right, and
/// what remains that is not a function, keyword or number is a metric name.
/// </summary>
internal static class PromQl
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan", "Inf", "NaN",
    };

    /// <summary>Aggregations may take their grouping before the parentheses: <c>sum by (le) (...)</c>.</summary>
    private static readonly HashSet<string> Aggregations = new(StringComparer.Ordinal)
    {
        "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile",
    };

    private static readonly HashSet<string> LabelLists = new(StringComparer.Ordinal) { "by", "without", "on", "ignoring", "group_left", "group_right" };

    public static IReadOnlySet<string> MetricNames(string expression)
    {
        var text = Strip(expression);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsDigit(c) || (c == '.' && i + 1 < text.Length && char.IsDigit(text[i + 1])))
            {
                // A number or a duration (5m, 1e3, 0.99): letters belong to it.
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '.'))
                {
                    i++;
                }
                continue;
            }
            if (!IsNameStart(c))
            {
                i++;
                continue;
            }

            var start = i;
            while (i < text.Length && IsNamePart(text[i]))
            {
                i++;
            }
            var word = text[start..i];
            var next = i;
            while (next < text.Length && char.IsWhiteSpace(text[next]))
            {
                next++;
            }
            var call = next < text.Length && text[next] == '(';
            if (LabelLists.Contains(word) && call)
            {
                i = SkipParentheses(text, next);
            }
            else if (!call && !Keywords.Contains(word) && !Aggregations.Contains(word))
            {
                names.Add(word);
            }
        }
        return names;
    }

    /// <summary>The expression without string literals, label matchers and range or subquery brackets.</summary>
    private static string Strip(string expression)
    {
        var result = new StringBuilder(expression.Length);
        var depthBrace = 0;
        var depthBracket = 0;
        for (var i = 0; i < expression.Length; i++)
        {
            var c = expression[i];
            if (c is '"' or '\'' or '`')
            {
                var quote = c;
                for (i++; i < expression.Length && expression[i] != quote; i++)
                {
                    if (expression[i] == '\\' && quote != '`')
                    {
                        i++;
                    }
                }
                result.Append(' ');
                continue;
            }
            switch (c)
            {
                case '{': depthBrace++; break;
                case '}': depthBrace--; break;
                case '[': depthBracket++; break;
                case ']': depthBracket--; break;
                case '#':
                    // A comment runs to the end of its line.
                    while (i + 1 < expression.Length && expression[i + 1] != '\n')
                    {
                        i++;
                    }
                    break;
                default:
                    if (depthBrace == 0 && depthBracket == 0)
                    {
                        result.Append(c);
                    }
                    continue;
            }
            result.Append(' ');
        }
        return result.ToString();
    }

    private static int SkipParentheses(string text, int open)
    {
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            if (text[i] == '(')
            {
                depth++;
            }
            else if (text[i] == ')' && --depth == 0)
            {
                return i + 1;
            }
        }
        return text.Length;
    }

    private static bool IsNameStart(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_' or ':';

    private static bool IsNamePart(char c) => IsNameStart(c) || char.IsDigit(c);
}
