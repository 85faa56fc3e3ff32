namespace GridGame.Operator.Fleets;

/// <summary>Failures (Unhealthy replacements) of one revision; kept in memory per fleet by the controller.</summary>
internal sealed record CrashLoopState(string Revision, int Failures, DateTimeOffset LastFailureAt);

/// <summary>
/// Keeps a revision whose pods keep failing from being recreated in a hot loop: after each round of failures the
/// next creation waits 1 s, 2 s, 4 s … up to 5 min; a revision with no failure for 10 minutes starts over.
/// </summary>
internal static class CrashLoopBackoff
{
    public static readonly TimeSpan BaseDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan ForgetAfter = TimeSpan.FromMinutes(10);

    /// <summary>From this many failures on, the fleet reports the back-off in a condition.</summary>
    public const int ReportAfter = 3;

    public static CrashLoopState? Record(CrashLoopState? state, string revision, int newFailures, DateTimeOffset now)
    {
        if (state is not null && (state.Revision != revision || now - state.LastFailureAt >= ForgetAfter))
        {
            state = null;
        }
        if (newFailures <= 0)
        {
            return state;
        }
        return new CrashLoopState(revision, (state?.Failures ?? 0) + 1, now);
    }

    /// <summary>The earliest time new pods of <paramref name="revision"/> may be created.</summary>
    public static DateTimeOffset NextCreateAt(CrashLoopState? state, string revision)
    {
        if (state is null || state.Revision != revision || state.Failures == 0)
        {
            return DateTimeOffset.MinValue;
        }
        var exponent = Math.Min(state.Failures - 1, 20);
        var delay = TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, BaseDelay.Ticks << exponent));
        return state.LastFailureAt + delay;
    }

    public static bool IsCrashLooping(CrashLoopState? state, string revision) =>
        state is not null && state.Revision == revision && state.Failures >= ReportAfter;
}
