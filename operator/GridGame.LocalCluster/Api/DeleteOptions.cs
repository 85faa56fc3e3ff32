namespace GridGame.LocalCluster.Api;

/// <summary>Options of a delete: propagation, grace period and preconditions (from the body or the query).</summary>
internal sealed record DeleteOptions(string? PropagationPolicy, long? GracePeriodSeconds, string? PreconditionUid, string? PreconditionResourceVersion, bool DryRun = false);
