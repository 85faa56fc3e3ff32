namespace GridGame.GameServer.Agent;

/// <summary>Whether the agent's session watch is live; a server in Kubernetes is not ready until it is.</summary>
internal sealed class AgentState
{
    /// <summary>True in standalone mode, and in Kubernetes once the session watch is established.</summary>
    public bool Live { get; set; } = true;

    public string? Problem { get; set; }
}
