using System.IO.Pipelines;

namespace GridGame.GameServer.Hubs;

/// <summary>
/// A connection's input, remembering when the client last sent anything (a message or a ping). It reads the wall clock
/// (<see cref="Environment.TickCount64"/>), as SignalR's own client timeout does: the server's <see cref="TimeProvider"/>
/// is the games' clock, which tests move by minutes.
/// </summary>
internal sealed class ReceiveWatch(PipeReader inner) : PipeReader
{
    private long _lastReceived = Environment.TickCount64;

    public TimeSpan SinceLastReceived => TimeSpan.FromMilliseconds(Environment.TickCount64 - Volatile.Read(ref _lastReceived));

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var read = inner.ReadAsync(cancellationToken);
        if (read.IsCompletedSuccessfully)
        {
            Seen(read.Result);
            return read;
        }
        return AwaitAsync(read);
    }

    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result))
        {
            return false;
        }
        Seen(result);
        return true;
    }

    public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    private async ValueTask<ReadResult> AwaitAsync(ValueTask<ReadResult> read)
    {
        var result = await read.ConfigureAwait(false);
        Seen(result);
        return result;
    }

    // A read returns when new bytes arrive (SignalR marks everything it has seen as examined), so a non-empty one is news.
    private void Seen(ReadResult result)
    {
        if (!result.IsCanceled && !result.Buffer.IsEmpty)
        {
            Volatile.Write(ref _lastReceived, Environment.TickCount64);
        }
    }
}
