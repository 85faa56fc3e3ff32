using GridGame.GameServer.Operations;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Options;

namespace GridGame.GameServer.Hubs;

/// <summary>
/// Picks a connection's hub protocol as SignalR's own resolver does (by name, among the supported ones) and wraps it in
/// a <see cref="RateLimitedProtocol"/> with a fresh token bucket. SignalR asks once per connection, in its handshake.
/// </summary>
internal sealed class RateLimitedProtocolResolver : IHubProtocolResolver
{
    private readonly Dictionary<string, IHubProtocol> _protocols = new(StringComparer.OrdinalIgnoreCase);
    private readonly IOptions<GameServerOptions> _options;
    private readonly TimeProvider _time;
    private readonly GameMetrics _metrics;
    private readonly ILogger _logger;

    public RateLimitedProtocolResolver(IEnumerable<IHubProtocol> protocols, IOptions<GameServerOptions> options, TimeProvider time, GameMetrics metrics, ILogger<RateLimitedProtocol> logger)
    {
        foreach (var protocol in protocols)
        {
            _protocols[protocol.Name] = protocol;
        }
        AllProtocols = [.. _protocols.Values];
        _options = options;
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    public IReadOnlyList<IHubProtocol> AllProtocols { get; }

    public IHubProtocol? GetProtocol(string protocolName, IReadOnlyList<string>? supportedProtocols)
    {
        if (!_protocols.TryGetValue(protocolName, out var protocol)
            || (supportedProtocols is not null && !supportedProtocols.Contains(protocolName, StringComparer.OrdinalIgnoreCase)))
        {
            return null;
        }
        var limit = _options.Value.RateLimit;
        return new RateLimitedProtocol(protocol, new TokenBucket(limit.Burst, limit.PerSecond, _time.GetUtcNow()), _time, _metrics, _logger);
    }
}
