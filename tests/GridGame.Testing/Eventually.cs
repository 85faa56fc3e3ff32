using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GridGame.Testing;

/// <summary>
/// The one way a test waits: it polls a probe until the probe holds, within a bound, and on timeout fails naming what
/// it waited for, for how long, and what it saw last. Never a fixed sleep.
/// </summary>
/// <remarks>
/// A probe that throws has not held yet (a server still starting, a table or an object not created yet): polling goes
/// on, and the last error is reported if the bound is reached. Arguments go (probe, because, timeout); the older
/// order (probe, timeout, because) is accepted too.
/// </remarks>
public static class Eventually
{
    /// <summary>
    /// The bound when a test names none. Generous: a passing test never waits it out, and a 2-core CI runner busy with
    /// other jobs can take ten seconds for what takes one on a quiet machine.
    /// </summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    // Checks come often: most conditions hold within milliseconds, and some tests move a fake clock one step per check.
    // A costly probe (one that starts kubectl) pauses twice its own duration, so that it never takes more than a third
    // of the machine that the system under test runs on.
    private static readonly TimeSpan FirstInterval = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    // A hung probe (an HTTP call without a timeout) must not hang the test; one that answers slowly just as the bound
    // runs out still gets this long, so the last check is a fair one.
    private static readonly TimeSpan ShortestAnswer = TimeSpan.FromSeconds(5);

    private const int LongestRendering = 4000;

    private static readonly JsonSerializerOptions RenderOptions = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>Waits until the condition is true.</summary>
    public static Task UntilAsync(Func<bool> condition, string because = "", TimeSpan? timeout = null,
        [CallerArgumentExpression(nameof(condition))] string conditionExpression = "") =>
        PollAsync(() => Task.FromResult(condition()), IsTrue, because, timeout, conditionExpression);

    /// <summary>Waits until the condition is true.</summary>
    public static Task UntilAsync(Func<Task<bool>> condition, string because = "", TimeSpan? timeout = null,
        [CallerArgumentExpression(nameof(condition))] string conditionExpression = "") =>
        PollAsync(condition, IsTrue, because, timeout, conditionExpression);

    /// <summary>Waits until the condition is true (the bound first, as older tests wrote it).</summary>
    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string because,
        [CallerArgumentExpression(nameof(condition))] string conditionExpression = "") =>
        PollAsync(() => Task.FromResult(condition()), IsTrue, because, timeout, conditionExpression);

    /// <summary>Waits until the condition is true (the bound first, as older tests wrote it).</summary>
    public static Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string because,
        [CallerArgumentExpression(nameof(condition))] string conditionExpression = "") =>
        PollAsync(condition, IsTrue, because, timeout, conditionExpression);

    /// <summary>Waits until the probe's value satisfies <paramref name="until"/>; returns that value.</summary>
    public static Task<T> ValueAsync<T>(Func<Task<T>> probe, Func<T, bool> until, string because = "", TimeSpan? timeout = null,
        [CallerArgumentExpression(nameof(until))] string untilExpression = "") =>
        PollAsync(probe, until, because, timeout, untilExpression);

    /// <summary>Waits until the probe's value satisfies <paramref name="until"/>; returns that value (the bound first).</summary>
    public static Task<T> ValueAsync<T>(Func<Task<T>> probe, Func<T, bool> until, TimeSpan timeout, string because,
        [CallerArgumentExpression(nameof(until))] string untilExpression = "") =>
        PollAsync(probe, until, because, timeout, untilExpression);

    /// <summary>Waits until the probe returns something other than null; returns it.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T?>> probe, string because, TimeSpan? timeout = null,
        [CallerArgumentExpression(nameof(probe))] string probeExpression = "") =>
        (await PollAsync(probe, IsNotNull, because, timeout, probeExpression).ConfigureAwait(false))!;

    /// <summary>Waits until the probe returns something other than null; returns it (the bound first).</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T?>> probe, TimeSpan? timeout = null, string because = "",
        [CallerArgumentExpression(nameof(probe))] string probeExpression = "") =>
        (await PollAsync(probe, IsNotNull, because, timeout, probeExpression).ConfigureAwait(false))!;

    private static bool IsTrue(bool value) => value;

    private static bool IsNotNull<T>(T value) => value is not null;

    private static async Task<T> PollAsync<T>(Func<Task<T>> probe, Func<T, bool> until, string because, TimeSpan? timeout, string expression)
    {
        var bound = timeout ?? DefaultTimeout;
        var started = Stopwatch.GetTimestamp();
        var interval = FirstInterval;
        var probes = 0;
        while (true)
        {
            probes++;
            var probing = Stopwatch.GetTimestamp();
            Exception? error;
            T last;
            try
            {
                var answer = Max(bound - Stopwatch.GetElapsedTime(started), ShortestAnswer);
                last = await probe().WaitAsync(answer).ConfigureAwait(false);
                if (until(last))
                {
                    return last;
                }

                error = null;
            }
#pragma warning disable CA1031 // Any failure of a probe means "not yet"; it is reported if the bound is reached.
            catch (Exception e) when (e is not OutOfMemoryException)
#pragma warning restore CA1031
            {
                error = e;
                last = default!;
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            if (elapsed >= bound)
            {
                throw new TimeoutException(Failure(because, expression, bound, probes, error is null ? "last value " + Render(last) : $"last error {error.GetType().Name}: {error.Message}"), error);
            }

            var pause = Max(interval, Stopwatch.GetElapsedTime(probing) * 2);
            await Task.Delay(Min(pause, bound - elapsed)).ConfigureAwait(false);
            interval = Interval;
        }
    }

    private static string Failure(string because, string expression, TimeSpan bound, int probes, string lastSeen)
    {
        var what = because.Length > 0 ? because : "the condition";
        var probe = string.Join(' ', expression.Split((char[])['\r', '\n', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries));
        return string.Create(CultureInfo.InvariantCulture, $"not within {bound.TotalSeconds:0.###} s: {what}\n  waited for: {probe}\n  probed {probes} times; {lastSeen}");
    }

    private static string Render(object? value)
    {
        var text = value switch
        {
            null => "null",
            string s => '"' + s + '"',
            bool b => b ? "true" : "false",
            IFormattable f when value.GetType().IsPrimitive || value is decimal or DateTime or DateTimeOffset or TimeSpan => f.ToString(null, CultureInfo.InvariantCulture),
            _ => Json(value),
        };
        return text.Length <= LongestRendering ? text : text[..LongestRendering] + $"… ({text.Length} characters)";
    }

    // Resources, lists and records say little by their ToString: show them as JSON, status included.
    private static string Json(object value)
    {
        try
        {
            return JsonSerializer.Serialize(value, value.GetType(), RenderOptions);
        }
#pragma warning disable CA1031 // Whatever cannot be serialized is shown as it shows itself.
        catch (Exception)
#pragma warning restore CA1031
        {
            return value.ToString() ?? value.GetType().Name;
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
