using System.Runtime.InteropServices;
using GridGame.Operator.Local;

namespace GridGame.Operator.Cli;

/// <summary>The `local` command: the whole system on this machine (docs/install.md, "Quick start on one machine"); see <see cref="LocalMode"/>.</summary>
internal static class LocalCommand
{
    public static async Task<int> ExecuteAsync(LocalModeOptions options, CancellationToken cancellationToken)
    {
        // SIGTERM stops as Ctrl-C does: everything is disposed in order, and the kubelet ends its game servers.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });

        LocalMode local;
        try
        {
            local = await LocalMode.StartAsync(options, Console.Out, stop.Token);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FileNotFoundException or IOException)
        {
            Console.Error.WriteLine($"gridgame-operator local: {ex.Message}");
            return 1;
        }

        await using (local)
        {
            Console.Out.WriteLine("ready; Ctrl-C stops everything");
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
            }

            Console.Out.WriteLine("stopping …");
        }

        return 0;
    }
}
