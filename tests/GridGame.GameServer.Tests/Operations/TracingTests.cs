using System.Collections.Concurrent;
using System.Diagnostics;
using GridGame.GameServer.Operations;
using GridGame.GameServer.Tests.Infrastructure;
using GridGame.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace GridGame.GameServer.Tests.Operations;

public sealed class TracingTests
{
    [Fact]
    public async Task A_claim_is_traced_through_the_hub_call_the_store_call_and_the_history_batch()
    {
        await using var redisServer = await PrivateRedis.StartAsync();
        var prefix = TestServices.RedisPrefix();
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is GameTracing.SourceName or GameTracing.SignalRSourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = redisServer.Endpoint,
            ["GridGame:RedisPrefix"] = prefix,
        });
        await using var player = await server.ConnectAsync("traced-player");
        await player.JoinAsync("traced-game");

        await player.ClaimAsync(1, 2);

        // Other tests' servers run in this process too: only this game's spans count.
        await Eventually.UntilAsync(
            () => Task.FromResult(spans.Any(s => s.OperationName == "history batch" && s.Parent is null && HasChild(spans, s, "traced-game"))),
            "the claim's event reaches the history in a traced batch");
        var hubCall = spans.Should().ContainSingle(s => s.Source.Name == GameTracing.SignalRSourceName && (string?)s.GetTagItem("rpc.method") == "ClaimCell"
            && spans.Any(c => c.ParentSpanId == s.SpanId && c.OperationName == "redis claim" && (string?)c.GetTagItem(GameTracing.GameTag) == "traced-game")).Subject;
        hubCall.Kind.Should().Be(ActivityKind.Server);
        hubCall.Parent.Should().BeNull("a hub call starts its own trace, not one under the connection's hours-long request");
        var claim = spans.Single(c => c.ParentSpanId == hubCall.SpanId && c.OperationName == "redis claim");
        claim.GetTagItem(GameTracing.EventsTag).Should().Be(1);
        claim.TraceId.Should().Be(hubCall.TraceId, "the store call is part of the hub call's trace");
    }

    [Fact]
    public async Task Outside_development_the_server_logs_ecs_json_lines()
    {
        await using var server = await RunningServer.StartAsync();

        server.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName.Should().Be(EcsJsonFormatter.FormatterName);
    }

    /// <summary>True when a span under <paramref name="batch"/> acknowledged events (the history's store call), and a claim of the game was stored.</summary>
    private static bool HasChild(IEnumerable<Activity> spans, Activity batch, string game) =>
        spans.Any(s => s.ParentSpanId == batch.SpanId && s.OperationName == "redis acknowledge")
        && spans.Any(s => s.OperationName == "redis claim" && (string?)s.GetTagItem(GameTracing.GameTag) == game);
}
