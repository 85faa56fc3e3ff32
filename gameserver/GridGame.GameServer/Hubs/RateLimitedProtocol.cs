using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.ExceptionServices;
using GridGame.GameServer.Operations;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace GridGame.GameServer.Hubs;

/// <summary>
/// One connection's hub protocol (JSON or MessagePack) with its rate limit: every invocation the client sends takes a
/// token from the connection's <see cref="TokenBucket"/> as it is read, before SignalR looks the method up. So a call
/// to a method that does not exist, or with arguments that do not bind — which never reach a hub filter — costs the
/// client a token like any call, and one over the limit is answered "too many requests" without being dispatched.
/// Those two are also counted (<c>bad_invocation</c>), as hub filters never see them. SignalR reads a connection's
/// messages one at a time, so the bucket needs no lock.
/// </summary>
internal sealed partial class RateLimitedProtocol(IHubProtocol inner, TokenBucket bucket, TimeProvider time, GameMetrics metrics, ILogger logger) : IHubProtocol
{
    public const string TooManyRequests = "too many requests: slow down";

    public string Name => inner.Name;

    public int Version => inner.Version;

    public TransferFormat TransferFormat => inner.TransferFormat;

    public bool IsVersionSupported(int version) => inner.IsVersionSupported(version);

    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) => inner.GetMessageBytes(message);

    public void WriteMessage(HubMessage message, IBufferWriter<byte> output) => inner.WriteMessage(message, output);

    public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message)
    {
        if (!inner.TryParseMessage(ref input, binder, out message))
        {
            return false;
        }
        if (message is not (HubMethodInvocationMessage or InvocationBindingFailureMessage))
        {
            return true; // pings, completions, stream items and cancellations are not calls
        }
        var (invocationId, target) = message switch
        {
            HubMethodInvocationMessage call => (call.InvocationId, call.Target),
            InvocationBindingFailureMessage failure => (failure.InvocationId, failure.Target),
            _ => throw new UnreachableException(),
        };
        if (!bucket.TryTake(time.GetUtcNow()))
        {
            metrics.Actions.WithLabels("rate_limited").Inc();
            metrics.Refusals.WithLabels(RefusalReasons.RateLimited).Inc();
            // A binding failure is how SignalR answers a call it will not run: the client gets the message as an error.
            message = new InvocationBindingFailureMessage(invocationId, target, ExceptionDispatchInfo.Capture(new HubException(TooManyRequests)));
            return true;
        }
        if (message is InvocationBindingFailureMessage bad)
        {
            metrics.Refusals.WithLabels(RefusalReasons.BadInvocation).Inc();
            if (logger.IsEnabled(LogLevel.Debug))
            {
                LogBadInvocation(logger, Truncate(bad.Target), bad.BindingFailure.SourceException.Message);
            }
        }
        return true;
    }

    private static string Truncate(string value) => value.Length <= 64 ? value : value[..64] + "…";

    [LoggerMessage(EventId = EventIds.HubCallUnbound, Level = LogLevel.Debug, Message = "Hub call {Method} refused: it does not exist or its arguments do not bind ({Problem})")]
    private static partial void LogBadInvocation(ILogger logger, string method, string problem);
}
