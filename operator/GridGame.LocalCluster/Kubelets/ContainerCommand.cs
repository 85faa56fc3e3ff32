using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;

namespace GridGame.LocalCluster.Kubelets;

/// <summary>
/// What a container runs locally: its <c>command</c>/<c>args</c> when the pod names a command, else the image's
/// entry in the image table followed by the container's <c>args</c> (the image's CMD is replaced by args, as in
/// Kubernetes). <c>$(VAR)</c> references are expanded from the container's environment.
/// </summary>
internal static class ContainerCommand
{
    /// <summary>The argv, or null with a reason when the image has no local stand-in.</summary>
    public static (IReadOnlyList<string>? Argv, string? Error) Resolve(
        V1Container container, IReadOnlyDictionary<string, IReadOnlyList<string>> images, IReadOnlyDictionary<string, string> env)
    {
        IEnumerable<string> argv;
        if (container.Command is { Count: > 0 } command)
        {
            argv = command.Concat(container.Args ?? []);
        }
        else if (MatchImage(container.Image, images) is { } entry)
        {
            argv = entry.Concat(container.Args ?? []);
        }
        else
        {
            return (null, $"image \"{container.Image}\" has no local command: give the container a command, or map the image in LocalNodesOptions.Images");
        }
        return (argv.Select(a => Expand(a, env)).ToList(), null);
    }

    /// <summary>The first table entry whose glob (<c>*</c> matches anything) matches the whole image reference.</summary>
    public static IReadOnlyList<string>? MatchImage(string? image, IReadOnlyDictionary<string, IReadOnlyList<string>> images)
    {
        if (image is null)
        {
            return null;
        }
        foreach (var (pattern, argv) in images.OrderBy(i => i.Key, StringComparer.Ordinal))
        {
            var regex = "^" + string.Join(".*", pattern.Split('*').Select(Regex.Escape)) + "$";
            if (Regex.IsMatch(image, regex, RegexOptions.CultureInvariant))
            {
                return argv;
            }
        }
        return null;
    }

    /// <summary>Kubernetes variable expansion: <c>$(VAR)</c> → value when defined, <c>$$</c> → <c>$</c>, anything else verbatim.</summary>
    public static string Expand(string input, IReadOnlyDictionary<string, string> env)
    {
        if (!input.Contains('$', StringComparison.Ordinal))
        {
            return input;
        }
        var sb = new StringBuilder(input.Length);
        for (var i = 0; i < input.Length; i++)
        {
            if (input[i] != '$' || i + 1 >= input.Length)
            {
                sb.Append(input[i]);
                continue;
            }
            if (input[i + 1] == '$')
            {
                sb.Append('$');
                i++;
                continue;
            }
            if (input[i + 1] == '(')
            {
                var close = input.IndexOf(')', i + 2);
                if (close > 0)
                {
                    var name = input[(i + 2)..close];
                    if (env.TryGetValue(name, out var value))
                    {
                        sb.Append(value);
                    }
                    else
                    {
                        sb.Append(input, i, close - i + 1);
                    }
                    i = close;
                    continue;
                }
            }
            sb.Append('$');
        }
        return sb.ToString();
    }
}
