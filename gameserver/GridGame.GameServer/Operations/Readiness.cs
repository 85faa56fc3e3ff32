using GridGame.GameServer.Agent;
using GridGame.GameServer.History;
using GridGame.GameServer.Stores;

namespace GridGame.GameServer.Operations;

/// <summary>What <c>/ready</c> answers: 503 while draining, before the session watch is live, or while the store does not answer.</summary>
internal static class Readiness
{
    public static async Task<IResult> CheckAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        if (services.GetRequiredService<DrainState>().IsDraining)
        {
            return Results.Text("draining", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        var agent = services.GetRequiredService<AgentState>();
        if (!agent.Live)
        {
            return Results.Text(agent.Problem ?? "the session watch is not live", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        var store = services.GetRequiredService<IGameStore>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        var problems = new List<string>();
        try
        {
            if (!await store.IsReachableAsync(timeout.Token).ConfigureAwait(false))
            {
                problems.Add($"store {store.Name} unreachable");
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            problems.Add($"store {store.Name} unreachable: {ex.Message}");
        }
        if (problems.Count > 0)
        {
            return Results.Text(string.Join("; ", problems), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        // The history is written behind: while its database is down the events wait in the store, and games go on.
        return await services.GetRequiredService<HistoryWriter>().IsReachableAsync(timeout.Token).ConfigureAwait(false)
            ? Results.Text("ready")
            : Results.Text("ready; history database unreachable, events wait in the store");
    }
}
