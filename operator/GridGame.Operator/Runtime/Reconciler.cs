namespace GridGame.Operator.Runtime;

/// <summary>What a reconcile asks of the queue next: nothing, or another look after a delay.</summary>
internal readonly record struct ReconcileResult(TimeSpan? RequeueAfterDelay)
{
    public static ReconcileResult Done => default;

    public static ReconcileResult RequeueAfter(TimeSpan delay) => new(delay);

    /// <summary>The earlier of two results' requeues, for reconciles made of several steps.</summary>
    public ReconcileResult Min(ReconcileResult other) =>
        (RequeueAfterDelay, other.RequeueAfterDelay) switch
        {
            (null, _) => other,
            (_, null) => this,
            var (a, b) => a < b ? this : other,
        };
}

/// <summary>
/// Brings one object (<c>namespace/name</c>) to its desired state. It reads from the cache, is idempotent, and may run
/// again at any time; an exception is retried with back-off. Never called twice at once for one key.
/// </summary>
internal interface IReconciler
{
    Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken);
}
