using Microsoft.AspNetCore.Http;

namespace GridGame.LocalCluster.Kubelets;

/// <summary>A boolean query parameter read as Go's <c>strconv.ParseBool</c>, which decodes the query into <c>PodLogOptions</c> and <c>PodExecOptions</c>.</summary>
internal static class QueryBool
{
    /// <summary>False when absent or empty; a value Go would refuse throws a <see cref="FormatException"/> naming the parameter.</summary>
    public static bool Parse(IQueryCollection query, string name) =>
        query[name] is { Count: > 0 } v && v[0] is { Length: > 0 } s
            ? s switch
            {
                "1" or "t" or "T" or "true" or "TRUE" or "True" => true,
                "0" or "f" or "F" or "false" or "FALSE" or "False" => false,
                _ => throw new FormatException($"{name}: invalid boolean \"{s}\""),
            }
            : false;
}
