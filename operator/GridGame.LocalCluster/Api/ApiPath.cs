namespace GridGame.LocalCluster.Api;

/// <summary>A parsed resource URL: /api/v1/... or /apis/GROUP/VERSION/..., with namespace, resource, name, subresource.</summary>
internal sealed record ApiPath(string Group, string Version, string? Namespace, string Resource, string? Name, string? Subresource, bool LegacyWatch)
{
    /// <summary>Parses a resource path; null for anything else (discovery, openapi, unknown).</summary>
    public static ApiPath? Parse(string path)
    {
        var parts = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        string group;
        string version;
        int rest;
        if (parts.Length >= 3 && parts[0] == "api")
        {
            (group, version, rest) = ("", parts[1], 2);
        }
        else if (parts.Length >= 4 && parts[0] == "apis")
        {
            (group, version, rest) = (parts[1], parts[2], 3);
        }
        else
        {
            return null;
        }
        var r = parts[rest..].Select(Uri.UnescapeDataString).ToArray();
        var watch = false;
        if (r.Length > 0 && r[0] == "watch")
        {
            watch = true;
            r = r[1..];
        }
        if (r.Length == 0)
        {
            return null;
        }
        if (r[0] == "namespaces" && r.Length >= 3 && !(r.Length == 3 && r[2] is "status" or "finalize"))
        {
            return r.Length > 5 ? null : new ApiPath(group, version, r[1], r[2], r.ElementAtOrDefault(3), r.ElementAtOrDefault(4), watch);
        }
        return r.Length > 3 ? null : new ApiPath(group, version, null, r[0], r.ElementAtOrDefault(1), r.ElementAtOrDefault(2), watch);
    }
}
