namespace GridGame.Operator.Local;

/// <summary>
/// A /16 of the loopback network held by one <c>gridgame-operator local</c> run for as long as it lives, so that two
/// runs on one host (two worktrees, a developer and a test run) never hand their game servers the same address and
/// hostPort. Slot k is 127.k.0.0/16 (Linux routes all of 127/8 to <c>lo</c>); the first run gets slot 0, so a lone
/// run's servers are on 127.0.0.N as before. A slot is held by an exclusive lock on a file, which the kernel drops
/// when the process exits, however it exits, so a killed run never strands its slot.
/// </summary>
internal sealed class LoopbackSlot : IAsyncDisposable
{
    public const int Slots = 256;

    private readonly FileStream _lock;

    private LoopbackSlot(int number, FileStream @lock)
    {
        Number = number;
        _lock = @lock;
    }

    public int Number { get; }

    /// <summary>Takes the lowest free slot; throws when every slot is held.</summary>
    public static LoopbackSlot Acquire(string? directory = null)
    {
        directory ??= Path.Combine(Path.GetTempPath(), "gridgame-local");
        Directory.CreateDirectory(directory);
        for (var slot = 0; slot < Slots; slot++)
        {
            try
            {
                // FileShare.None takes an exclusive flock on Unix: a second holder, in this process or another, is refused.
                var stream = new FileStream(Path.Combine(directory, $"loopback-{slot}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                return new LoopbackSlot(slot, stream);
            }
            catch (IOException)
            {
            }
        }
        throw new InvalidOperationException($"all {Slots} loopback slots under {directory} are held by other gridgame-operator local runs");
    }

    /// <summary>The address of node <paramref name="index"/> in this slot: 127.slot.(i / 254).(i % 254 + 1).</summary>
    public string NodeAddress(int index) => $"127.{Number}.{index / 254}.{(index % 254) + 1}";

    public ValueTask DisposeAsync() => _lock.DisposeAsync();
}
