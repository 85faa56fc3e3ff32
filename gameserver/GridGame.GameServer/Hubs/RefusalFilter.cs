using GridGame.GameServer.Operations;
using Microsoft.AspNetCore.SignalR;

namespace GridGame.GameServer.Hubs;

/// <summary>
/// Tells refusals from faults for every hub call. A refusal (a <see cref="HubException"/>: cell taken, too fast, not
/// your game…) is an expected outcome: counted in <c>game_refusals_total{reason}</c> and logged at Debug. Anything else
/// is a fault of the server, logged at Error with its stack trace. SignalR would log both at Error (its
/// <c>DefaultHubDispatcher</c> category, switched off in <c>GameServerHost</c>), which let one client write tens of
/// megabytes of stack traces a second.
/// </summary>
internal sealed partial class RefusalFilter(GameMetrics metrics, ILogger<RefusalFilter> logger) : IHubFilter
{
    // Not async on the way in: the filter runs on every call, and a call that completed at once needs no state machine.
    public ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        ValueTask<object?> call;
        try
        {
            call = next(invocationContext);
        }
        catch (Exception ex)
        {
            Observe(invocationContext, ex);
            throw;
        }
        return call.IsCompletedSuccessfully ? call : AwaitAsync(invocationContext, call);
    }

    private async ValueTask<object?> AwaitAsync(HubInvocationContext invocationContext, ValueTask<object?> call)
    {
        try
        {
            return await call.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Observe(invocationContext, ex);
            throw;
        }
    }

    private void Observe(HubInvocationContext invocationContext, Exception exception)
    {
        var method = invocationContext.HubMethodName;
        switch (exception)
        {
            case HubException refusal:
                var reason = RefusalReasons.Of(refusal.Message);
                metrics.Refusals.WithLabels(reason).Inc();
                if (logger.IsEnabled(LogLevel.Debug))
                {
                    LogRefused(logger, method, reason, Player(invocationContext.Context));
                }
                break;
            case OperationCanceledException when invocationContext.Context.ConnectionAborted.IsCancellationRequested:
                break; // the player went away mid-call
            default:
                LogFailed(logger, method, Player(invocationContext.Context), exception);
                break;
        }
    }

    private static string? Player(HubCallerContext context) => context.User?.FindFirst(GameAuth.PlayerClaim)?.Value;

    [LoggerMessage(EventId = EventIds.HubCallRefused, Level = LogLevel.Debug, Message = "Hub call {Method} of player {Player} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, string reason, string? player);

    [LoggerMessage(EventId = EventIds.HubCallFailed, Level = LogLevel.Error, Message = "Hub call {Method} of player {Player} failed")]
    private static partial void LogFailed(ILogger logger, string method, string? player, Exception exception);
}
