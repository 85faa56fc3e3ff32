using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;

namespace GridGame.LocalCluster.Kubelets;

/// <summary>One run of a container in its log file: the bytes <c>[Start, End)</c> it wrote and when it started.</summary>
internal readonly record struct LogRun(DateTimeOffset Started, int Restart, long Start, long End);

/// <summary>
/// Reads the process kubelet's log files (<c>logs/&lt;ns&gt;_&lt;pod&gt;/&lt;container&gt;.log</c>), where every run is
/// preceded by a <c>--- &lt;time&gt; starting container &lt;name&gt; (restart N): argv</c> line: so one file holds
/// every instance of a container, as the real kubelet's <c>0.log</c>, <c>1.log</c>... do.
/// </summary>
internal static partial class ContainerLogFile
{
    /// <summary>Longer heads are not markers: a marker line is short unless argv is huge, and then its head still is.</summary>
    private const int HeadLimit = 4096;

    private static ReadOnlySpan<byte> MarkerStart => "--- "u8;

    [GeneratedRegex(@"^--- (\S+) starting container \S+ \(restart (\d+)\): ", RegexOptions.CultureInvariant)]
    private static partial Regex Marker();

    /// <summary>The line the kubelet writes before starting a run (one line: argv's line breaks are escaped).</summary>
    public static string MarkerLine(DateTime started, string container, int restart, IEnumerable<string> argv) =>
        string.Create(CultureInfo.InvariantCulture,
            $"--- {started:O} starting container {container} (restart {restart}): {string.Join(' ', argv).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)}\n");

    public static bool TryParseMarker(ReadOnlySpan<byte> line, out DateTimeOffset started, out int restart)
    {
        started = default;
        restart = 0;
        if (!line.StartsWith(MarkerStart))
        {
            return false;
        }
        var match = Marker().Match(Encoding.UTF8.GetString(line[..Math.Min(line.Length, HeadLimit)]));
        return match.Success
            && DateTimeOffset.TryParse(match.Groups[1].Value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind | DateTimeStyles.AssumeUniversal, out started)
            && int.TryParse(match.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out restart);
    }

    /// <summary>
    /// The runs of the latest instance of the container (from its last <c>restart 0</c> marker: a pod deleted and
    /// created again under the same name appends to the same file). Output before any marker forms a run started at
    /// <paramref name="unmarkedStart"/>.
    /// </summary>
    public static List<LogRun> Runs(Stream stream, DateTimeOffset unmarkedStart)
    {
        var runs = new List<LogRun>();
        var buffer = new byte[64 * 1024];
        var head = new byte[HeadLimit];
        var headLength = 0;
        long offset = 0;
        long lineStart = 0;
        LogRun? current = null;
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            var span = buffer.AsSpan(0, read);
            var i = 0;
            while (i < span.Length)
            {
                var nl = span[i..].IndexOf((byte)'\n');
                var end = nl < 0 ? span.Length : i + nl;
                var take = Math.Min(end - i, HeadLimit - headLength);
                span.Slice(i, take).CopyTo(head.AsSpan(headLength));
                headLength += take;
                if (nl < 0)
                {
                    break;
                }
                var next = offset + end + 1;
                if (TryParseMarker(head.AsSpan(0, headLength), out var started, out var restart))
                {
                    if (restart == 0)
                    {
                        runs.Clear();
                    }
                    else if (current is { } open)
                    {
                        runs.Add(open with { End = lineStart });
                    }
                    current = new LogRun(started, restart, next, next);
                }
                else if (current is null && runs.Count == 0)
                {
                    current = new LogRun(unmarkedStart, 0, lineStart, lineStart);
                }
                headLength = 0;
                lineStart = next;
                i = end + 1;
            }
            offset += read;
        }
        if (current is null && offset > 0 && runs.Count == 0)
        {
            current = new LogRun(unmarkedStart, 0, 0, 0);
        }
        if (current is { } last)
        {
            runs.Add(last with { End = offset });
        }
        return runs;
    }

    /// <summary>Where the last <paramref name="lines"/> lines of <c>[start, end)</c> begin (a final line without a newline counts).</summary>
    public static long TailStart(Stream stream, long start, long end, long lines)
    {
        if (lines <= 0)
        {
            return end;
        }
        var buffer = new byte[16 * 1024];
        var position = end;
        var seen = 0L;
        var first = true;
        while (position > start)
        {
            var count = (int)Math.Min(buffer.Length, position - start);
            stream.Position = position - count;
            stream.ReadExactly(buffer, 0, count);
            for (var i = count - 1; i >= 0; i--)
            {
                if (buffer[i] != '\n')
                {
                    first = false;
                    continue;
                }
                if (first)
                {
                    // the newline ending the last line does not start a line after it
                    first = false;
                    continue;
                }
                if (++seen == lines)
                {
                    return position - count + i + 1;
                }
            }
            position -= count;
        }
        return start;
    }

    /// <summary>
    /// How far a chunk read from a log may be written: up to (not into) a marker line, which ends the run; a trailing
    /// line that could still become a marker is held back until it is complete. <paramref name="atLineStart"/> says
    /// whether the chunk begins a line. Returns the number of bytes to write and whether a marker was met.
    /// </summary>
    public static (int Writable, bool RunEnded) Writable(ReadOnlySpan<byte> chunk, bool atLineStart)
    {
        var i = 0;
        var lineStarts = atLineStart;
        while (i < chunk.Length)
        {
            var nl = chunk[i..].IndexOf((byte)'\n');
            if (lineStarts && MayBeMarker(chunk[i..(nl < 0 ? chunk.Length : i + nl)]))
            {
                if (nl < 0)
                {
                    return (i, false);
                }
                if (TryParseMarker(chunk[i..(i + nl)], out _, out _))
                {
                    return (i, true);
                }
            }
            if (nl < 0)
            {
                return (chunk.Length, false);
            }
            i += nl + 1;
            lineStarts = true;
        }
        return (chunk.Length, false);
    }

    private static bool MayBeMarker(ReadOnlySpan<byte> lineHead)
    {
        var n = Math.Min(lineHead.Length, MarkerStart.Length);
        return lineHead[..n].SequenceEqual(MarkerStart[..n]) && lineHead.Length < HeadLimit;
    }
}

/// <summary>Which instance of a container a log request reads, decided from the kubelet's view of it as the real kubelet decides.</summary>
internal static class LogSelection
{
    /// <summary>
    /// The index into <paramref name="runs"/> to serve, or the kubelet's error. <paramref name="state"/> is null when the
    /// kubelet no longer runs the pod (only its log file is left): its last run is served.
    /// </summary>
    public static (int Run, string? Error) Pick(string pod, string container, V1ContainerState? state, V1ContainerState? lastState, int runs, bool previous)
    {
        var ran = state is null || state.Running is not null || state.Terminated is not null || lastState?.Terminated is not null;
        if (previous)
        {
            // A waiting container (crash-loop back-off) is between runs: its last run is the previous instance.
            var index = state?.Waiting is not null ? (lastState?.Terminated is not null ? runs - 1 : -1) : runs - 2;
            return ran && index >= 0 && index < runs
                ? (index, null)
                : (-1, $"previous terminated container \"{container}\" in pod \"{pod}\" not found");
        }
        if (!ran || runs == 0)
        {
            return state?.Waiting?.Reason is { Length: > 0 } reason
                ? (-1, $"container \"{container}\" in pod \"{pod}\" is waiting to start: {reason}")
                : (-1, $"container \"{container}\" in pod \"{pod}\" is waiting to start - no logs yet");
        }
        return (runs - 1, null);
    }
}
