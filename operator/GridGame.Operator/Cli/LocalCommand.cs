using System.Globalization;
using System.Runtime.InteropServices;
using GridGame.LocalCluster;

namespace GridGame.Operator.Cli;

/// <summary>The `local` command: LocalCluster on this machine (DESIGN §6, §7).</summary>
internal static class LocalCommand
{
    public static async Task<int> ExecuteAsync(string[] args, CancellationToken cancellationToken)
    {
        var apiOnly = false;
        var apiPort = 0;
        var kubeconfig = Path.Combine(".gridgame", "kubeconfig");
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--api-only":
                    apiOnly = true;
                    break;
                case "--api-port" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var port):
                    apiPort = port;
                    i++;
                    break;
                case "--kubeconfig" when i + 1 < args.Length:
                    kubeconfig = args[++i];
                    break;
                case "--lobby-port" or "--kubelet" or "--nodes" when i + 1 < args.Length:
                    i++;
                    break;
                case "--no-sample":
                    break;
                default:
                    Console.Error.WriteLine($"gridgame-operator local: unknown or incomplete option '{args[i]}'");
                    return 2;
            }
        }
        if (!apiOnly)
        {
            Console.Error.WriteLine("gridgame-operator local: only --api-only is built yet (kubelets, operator and lobby are not wired in)");
            return 1;
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        await using var server = await LocalApiServer.StartAsync(new LocalApiServerOptions { Port = apiPort }, stop.Token);
        var path = server.WriteKubeconfig(kubeconfig);
        Console.WriteLine($"API {server.BaseAddress.ToString().TrimEnd('/')}");
        Console.WriteLine($"kubeconfig {path}");
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C / SIGTERM: stop cleanly
        }
        return 0;
    }
}
