using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace GridGame.LocalCluster.Kubelets;

/// <summary>
/// The remote command WebSocket protocol kubectl and KubernetesClient speak for <c>pods/exec</c>: binary messages whose
/// first byte is the channel, a <c>v1.Status</c> on the error channel when the command ends, and (v5) a
/// <c>[255, channel]</c> message that closes one channel, which is how a piped stdin reaches its end.
/// </summary>
internal static class ExecProtocol
{
    public const string V5 = "v5.channel.k8s.io";
    public const string V4 = "v4.channel.k8s.io";

    public const byte Stdin = 0;
    public const byte Stdout = 1;
    public const byte Stderr = 2;
    public const byte Error = 3;
    public const byte Resize = 4;
    public const byte Close = 255;

    /// <summary>What the server offers, best first; v1–v3 (plain-text errors, no exit codes) are not served.</summary>
    public static readonly string[] Supported = [V5, V4];

    /// <summary>The first protocol the client offers that is served (the client's order decides, as in upstream's handshake), or null.</summary>
    public static string? Negotiate(IEnumerable<string> offered) =>
        offered.SelectMany(o => o.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .FirstOrDefault(p => Supported.Contains(p, StringComparer.Ordinal));

    /// <summary>Accepts the upgrade with the negotiated protocol; pings keep an idle exec alive through proxies.</summary>
    public static WebSocketAcceptContext Accept(string protocol) => new() { SubProtocol = protocol, KeepAliveInterval = TimeSpan.FromSeconds(30) };

    /// <summary>A resize message's size (<c>{"Width":W,"Height":H}</c>, as kubectl's TerminalSize), or null when it is not one.</summary>
    public static (ushort Width, ushort Height)? ParseResize(ReadOnlySpan<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("Width", out var width) && width.TryGetUInt16(out var w)
                && root.TryGetProperty("Height", out var height) && height.TryGetUInt16(out var h)
                ? (w, h)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The error channel's last word for a command that exited with <paramref name="exitCode"/>, as the kubelet writes it.</summary>
    public static byte[] ExitStatus(IReadOnlyList<string> command, int exitCode)
    {
        if (exitCode == 0)
        {
            return """{"metadata":{},"status":"Success"}"""u8.ToArray();
        }
        var code = exitCode.ToString(CultureInfo.InvariantCulture);
        // kubectl reads the code from the ExitCode cause (an unsigned byte) and exits with it; the message is containerd's.
        var status = new JsonObject
        {
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = $"command terminated with non-zero exit code: error executing command [{string.Join(' ', command)}], exit code {code}",
            ["reason"] = "NonZeroExitCode",
            ["details"] = new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ExitCode", ["message"] = code }) },
        };
        return Encoding.UTF8.GetBytes(status.ToJsonString(JsonOptions));
    }

    /// <summary>The error channel's word when the command could not be run at all (a 500 InternalError, as upstream).</summary>
    public static byte[] InternalError(string message)
    {
        var text = "error executing command in container: " + message;
        var status = new JsonObject
        {
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = "Internal error occurred: " + text,
            ["reason"] = "InternalError",
            ["details"] = new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = text }) },
            ["code"] = 500,
        };
        return Encoding.UTF8.GetBytes(status.ToJsonString(JsonOptions));
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}

/// <summary>The <c>PodExecOptions</c> query of <c>pods/{name}/exec</c>, parsed and checked as the API server and kubelet check it.</summary>
internal sealed record ExecOptions(IReadOnlyList<string> Command, string? Container, bool Stdin, bool Stdout, bool Stderr, bool Tty)
{
    /// <summary>The options, or the decoding error (400).</summary>
    public static (ExecOptions? Options, string? Error) Parse(IQueryCollection query)
    {
        try
        {
            var container = query["container"] is { Count: > 0 } c && c[0] is { Length: > 0 } name ? name : null;
            return (new ExecOptions([.. query["command"].Select(a => a ?? "")], container,
                QueryBool.Parse(query, "stdin"), QueryBool.Parse(query, "stdout"), QueryBool.Parse(query, "stderr"), QueryBool.Parse(query, "tty")), null);
        }
        catch (FormatException e)
        {
            return (null, "Unable to decode query: " + e.Message);
        }
    }

    /// <summary>The reason to refuse the request (400), or null.</summary>
    public string? Validate() =>
        Command.Count == 0 ? "you must specify at least one command for the container"
        : !Stdin && !Stdout && !Stderr ? "you must specify at least 1 of stdin, stdout, stderr"
        : null;

    /// <summary>
    /// Where the command's stderr goes, if anywhere: with a tty, stdout (a terminal carries both, and a client asks for
    /// no stderr stream then).
    /// </summary>
    public byte? StderrChannel => Tty ? (Stdout ? ExecProtocol.Stdout : null) : Stderr ? ExecProtocol.Stderr : null;

    /// <summary>The query passed on to the kubelet (the container is in the kubelet's path).</summary>
    public string KubeletQuery()
    {
        var query = new StringBuilder();
        foreach (var arg in Command)
        {
            query.Append("command=").Append(Uri.EscapeDataString(arg)).Append('&');
        }
        query.Append("stdin=").Append(Stdin ? '1' : '0')
            .Append("&stdout=").Append(Stdout ? '1' : '0')
            .Append("&stderr=").Append(Stderr ? '1' : '0')
            .Append("&tty=").Append(Tty ? '1' : '0');
        return query.ToString();
    }
}
