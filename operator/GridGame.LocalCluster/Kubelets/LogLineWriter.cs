using System.Globalization;
using System.Text;

namespace GridGame.LocalCluster.Kubelets;

/// <summary>
/// Writes log bytes to a response as the kubelet does: each line prefixed with its time when <c>timestamps</c> is
/// asked (RFC 3339 with nanoseconds, fixed width, as the kubelet prints them), and nothing beyond <c>limitBytes</c>
/// (the prefixes count, as the kubelet limits what it writes).
/// </summary>
internal sealed class LogLineWriter(Stream output, bool timestamps, long? limitBytes)
{
    private long _written;
    private bool _atLineStart = true;

    /// <summary>Whether the next byte written starts a line.</summary>
    public bool AtLineStart => _atLineStart;

    /// <summary>Whether <c>limitBytes</c> has been reached: nothing more will be written.</summary>
    public bool Full => limitBytes is { } limit && _written >= limit;

    public static string Timestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff", CultureInfo.InvariantCulture) + "00Z";

    /// <summary>Writes <paramref name="data"/>, its lines stamped with <paramref name="time"/>; false once the limit is reached.</summary>
    public async ValueTask<bool> WriteAsync(ReadOnlyMemory<byte> data, DateTimeOffset time, CancellationToken cancellationToken)
    {
        var stamp = timestamps ? Encoding.ASCII.GetBytes(Timestamp(time) + " ") : null;
        while (data.Length > 0 && !Full)
        {
            if (stamp is not null && _atLineStart)
            {
                await WriteLimitedAsync(stamp, cancellationToken).ConfigureAwait(false);
                _atLineStart = false;
                continue;
            }
            var nl = data.Span.IndexOf((byte)'\n');
            var line = nl < 0 ? data : data[..(nl + 1)];
            var wrote = await WriteLimitedAsync(line, cancellationToken).ConfigureAwait(false);
            if (wrote == line.Length)
            {
                _atLineStart = nl >= 0;
            }
            data = data[line.Length..];
        }
        return !Full;
    }

    private async ValueTask<int> WriteLimitedAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var count = limitBytes is { } limit ? (int)Math.Min(data.Length, limit - _written) : data.Length;
        if (count > 0)
        {
            await output.WriteAsync(data[..count], cancellationToken).ConfigureAwait(false);
            _written += count;
        }
        return count;
    }
}
