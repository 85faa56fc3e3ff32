using System.Globalization;

namespace GridGame.Operator.Autoscaling;

/// <summary>The fleet's `spec.autoscaling` for policy Buffer. Exactly one of BufferSize / BufferPercent is set.</summary>
internal sealed record BufferPolicy(
    int MinReplicas,
    int MaxReplicas,
    int? BufferSize = null,
    int? BufferPercent = null,
    TimeSpan? StabilizationWindow = null,
    int MaxPercentPerMinute = 10)
{
    public TimeSpan Window => StabilizationWindow ?? TimeSpan.FromSeconds(300);
}

/// <summary>What the autoscaler saw: current `spec.replicas`, servers in use, sessions waiting for one.</summary>
internal sealed record AutoscalerInput(int CurrentReplicas, int Allocated, int Pending, DateTimeOffset Now);

/// <summary>One raw recommendation, remembered for the stabilization window (like the HPA's).</summary>
internal readonly record struct Recommendation(DateTimeOffset At, int Replicas);

/// <summary>
/// The autoscaler's memory for one fleet, kept in memory by the controller; lost on restart, which only delays a
/// scale-down by one window. History is a monotonic queue (each entry higher than every later one), so its head is
/// the highest recommendation of the window and its size stays small.
/// </summary>
internal sealed record AutoscalerState(DateTimeOffset? WatchingSince, IReadOnlyList<Recommendation> History, IReadOnlyList<ScaleDownStep> ScaleDowns)
{
    public static AutoscalerState Empty { get; } = new(null, [], []);
}

/// <summary>A scale-down the autoscaler made: from how many, how many removed, when.</summary>
internal readonly record struct ScaleDownStep(DateTimeOffset At, int From, int Removed);

/// <param name="Limited">True when min/max clamped the raw figure (condition ScalingLimited).</param>
internal sealed record AutoscalerDecision(int Replicas, string Reason, string Message, bool Limited, AutoscalerState State, DateTimeOffset? RecheckAt)
{
    public bool Changes(int current) => Replicas != current;
}

/// <summary>
/// The Buffer autoscaler (docs/guides/fleets.md, "Autoscaling"), pure. The raw figure is
/// <c>need = allocated + pending</c>, then with a count buffer <c>raw = need + size</c>; with a percent buffer p the
/// free servers must be p of the total, so <c>raw = ceil(need / (1 - p))</c> (20 % and 8 in use → 10);
/// <c>desired = clamp(raw, min, max)</c>. Scale-up is immediate. Scale-down takes the highest recommendation of the
/// stabilization window (so a dip does not remove servers a burst will need), only once the autoscaler has watched
/// for a full window, and by at most <c>max(1, ceil(replicas × maxPercentPerMinute / 100))</c> servers within any
/// minute (replicas as the minute started; steps already taken in it count).
/// </summary>
internal static class BufferAutoscaler
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    public static int Raw(BufferPolicy policy, int allocated, int pending)
    {
        var need = Math.Max(0, allocated) + Math.Max(0, pending);
        if (policy.BufferPercent is { } percent)
        {
            var p = Math.Clamp(percent, 0, 99);
            // ceil(need * 100 / (100 - p)) in integers, so 20 % of 8 is exactly 10.
            return (int)((need * 100L + (100 - p) - 1) / (100 - p));
        }
        return need + Math.Max(0, policy.BufferSize ?? 0);
    }

    public static AutoscalerDecision Decide(BufferPolicy policy, AutoscalerInput input, AutoscalerState state)
    {
        var raw = Raw(policy, input.Allocated, input.Pending);
        var max = Math.Max(policy.MinReplicas, policy.MaxReplicas);
        var target = Math.Clamp(raw, policy.MinReplicas, max);
        var limited = target != raw;
        var why = Explain(policy, input, raw, target);

        var window = policy.Window;
        var watchingSince = state.WatchingSince ?? input.Now;
        var history = state.History.Where(r => r.At > input.Now - window).ToList();
        history.RemoveAll(r => r.Replicas <= target);
        history.Add(new Recommendation(input.Now, target));
        var recent = state.ScaleDowns.Where(d => d.At > input.Now - Minute).ToList();
        var next = new AutoscalerState(watchingSince, history, recent);

        if (target >= input.CurrentReplicas)
        {
            var reason = target > input.CurrentReplicas ? "ScaledUp" : "Steady";
            return new(target, reason, why, limited, next, null);
        }

        var stable = history[0].Replicas;
        if (stable >= input.CurrentReplicas || input.Now - watchingSince < window)
        {
            var until = Max(watchingSince + window, history.Where(r => r.Replicas >= input.CurrentReplicas).Select(r => r.At + window).DefaultIfEmpty(input.Now).Max());
            return new(input.CurrentReplicas, "ScaleDownStabilizing", $"{why}; holding {input.CurrentReplicas} for the stabilization window of {window.TotalSeconds:0}s", limited, next, until);
        }
        // At most maxPercentPerMinute of the replicas the minute started with, counting steps already taken in it.
        var minuteBase = recent.Count > 0 ? recent[0].From : input.CurrentReplicas;
        var budget = Math.Max(1, (int)Math.Ceiling(minuteBase * policy.MaxPercentPerMinute / 100.0)) - recent.Sum(d => d.Removed);
        if (budget <= 0)
        {
            var nextStep = recent[0].At + Minute;
            return new(input.CurrentReplicas, "ScaleDownRateLimited", $"{why}; next step down at {nextStep:O}", limited, next, nextStep);
        }
        var down = Math.Max(stable, input.CurrentReplicas - budget);
        var message = down > stable ? $"{why}; at most {policy.MaxPercentPerMinute}% per minute: {input.CurrentReplicas} → {down}" : why;
        var taken = next with { ScaleDowns = [.. recent, new ScaleDownStep(input.Now, input.CurrentReplicas, input.CurrentReplicas - down)] };
        return new(down, "ScaledDown", message, limited, taken, down > stable ? (recent.Count > 0 ? recent[0].At : input.Now) + Minute : null);
    }

    private static string Explain(BufferPolicy policy, AutoscalerInput input, int raw, int target)
    {
        var buffer = policy.BufferPercent is { } p
            ? string.Create(CultureInfo.InvariantCulture, $"buffer {p}% → {raw}")
            : string.Create(CultureInfo.InvariantCulture, $"buffer {policy.BufferSize ?? 0} → {raw}");
        var text = string.Create(CultureInfo.InvariantCulture, $"allocated {input.Allocated} + pending {input.Pending}, {buffer}");
        return target == raw ? text : string.Create(CultureInfo.InvariantCulture, $"{text}, limited to [{policy.MinReplicas}, {policy.MaxReplicas}] → {target}");
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
