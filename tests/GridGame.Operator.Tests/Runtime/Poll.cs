namespace GridGame.Operator.Tests.Runtime;

/// <summary>Waits for a condition with a bound, checking often; never a fixed sleep.</summary>
internal static class Poll
{
    public static async Task UntilAsync(Func<bool> condition, string because = "", TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"condition not met within {(timeout ?? TimeSpan.FromSeconds(15)).TotalSeconds} s {because}");
            }

            await Task.Delay(10);
        }
    }

    public static async Task UntilAsync(Func<Task<bool>> condition, string because = "", TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"condition not met within {(timeout ?? TimeSpan.FromSeconds(15)).TotalSeconds} s {because}");
            }

            await Task.Delay(20);
        }
    }
}
