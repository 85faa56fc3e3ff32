using GridGame.GameServer.Operations;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace GridGame.GameServer.Hubs;

/// <summary>Refuses hub invocations beyond a per-connection token bucket, before they reach the game.</summary>
internal sealed class RateLimitFilter(IOptions<GameServerOptions> options, TimeProvider time, GameMetrics metrics) : IHubFilter
{
    private const string BucketKey = "gridgame.bucket";

    // Not async: the filter runs on every invocation, and passing the ValueTask through saves a state machine each time.
    public ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        var items = invocationContext.Context.Items;
        if (!items.TryGetValue(BucketKey, out var value) || value is not TokenBucket bucket)
        {
            var limit = options.Value.RateLimit;
            bucket = new TokenBucket(limit.Burst, limit.PerSecond, time.GetUtcNow());
            items[BucketKey] = bucket;
        }
        if (!bucket.TryTake(time.GetUtcNow()))
        {
            metrics.Actions.WithLabels("rate_limited").Inc();
            throw new HubException("too many requests: slow down");
        }
        return next(invocationContext);
    }
}
