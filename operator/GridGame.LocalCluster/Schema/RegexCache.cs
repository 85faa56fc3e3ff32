using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace GridGame.LocalCluster.Schema;

/// <summary>
/// Patterns from CRDs (schema <c>pattern</c>s, CEL <c>matches</c>), compiled once each, with a match timeout. A pattern
/// .NET cannot compile is remembered as null; each caller says what that means for it.
/// </summary>
internal sealed class RegexCache(TimeSpan matchTimeout)
{
    private readonly ConcurrentDictionary<string, Regex?> _patterns = new(StringComparer.Ordinal);

    public Regex? Get(string pattern) => _patterns.GetOrAdd(pattern, static (p, timeout) =>
    {
        try
        {
            return new Regex(p, RegexOptions.CultureInvariant, timeout);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }, matchTimeout);
}
