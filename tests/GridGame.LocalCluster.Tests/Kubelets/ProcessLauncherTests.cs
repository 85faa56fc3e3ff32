using System.Diagnostics;
using GridGame.LocalCluster.Kubelets;

namespace GridGame.LocalCluster.Tests.Kubelets;

public sealed class ProcessLauncherTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gg-launcher-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task EventuallyDeadAsync(int pid, string because) =>
        Eventually.UntilAsync(() => !ProcessLauncher.IsAlive(pid), because, TimeSpan.FromSeconds(10));

    [Fact]
    public async Task A_started_process_gets_exactly_its_environment_and_writes_to_its_log()
    {
        using var launcher = new ProcessLauncher(Path.Combine(_dir, "pids"));
        var log = Path.Combine(_dir, "c.log");
        using var process = await launcher.StartAsync(["/bin/sh", "-c", "echo \"hello $GREETING\"; echo oops >&2; env -u PWD"],
            new Dictionary<string, string> { ["GREETING"] = "pods", ["PATH"] = "/usr/bin:/bin" }, log, null);
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        process.ExitCode.Should().Be(0);
        // Nothing of the launcher's own environment (this test process has HOME, DOTNET_* and more) reaches it.
        (await File.ReadAllLinesAsync(log)).Should().BeEquivalentTo("hello pods", "oops", "GREETING=pods", "PATH=/usr/bin:/bin");
    }

    [Fact]
    public async Task A_started_process_begins_with_every_signal_at_its_default_handling()
    {
        using var launcher = new ProcessLauncher(Path.Combine(_dir, "pids"));
        var log = Path.Combine(_dir, "signals.log");
        // This test process ignores SIGPIPE (the runtime does), as a LocalCluster started with & ignores SIGINT too.
        using var process = await launcher.StartAsync(["/bin/sh", "-c", "grep SigIgn /proc/$$/status"], new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" }, log, null);
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));

        (await File.ReadAllTextAsync(log)).Should().Be("SigIgn:\t0000000000000000\n");
    }

    [Fact]
    public async Task A_started_process_leads_its_own_process_group_so_signals_reach_its_children()
    {
        using var launcher = new ProcessLauncher(Path.Combine(_dir, "pids"));
        var log = Path.Combine(_dir, "tree.log");
        using var process = await launcher.StartAsync(["/bin/sh", "-c", "sleep 300 & echo child $!; wait"],
            new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" }, log, null);
        var child = await ChildPidAsync(log);
        ProcessLauncher.IsAlive(child).Should().BeTrue();

        ProcessLauncher.Signal(process.Id, ProcessLauncher.SigKill);

        await EventuallyDeadAsync(child, "the grandchild is in the container's process group");
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task The_wrapper_kills_the_container_when_its_parent_dies_abruptly()
    {
        // An intermediate shell plays the LocalCluster process: it starts the container through the same wrapper
        // and is then SIGKILLed, as a crashed LocalCluster would be.
        var log = Path.Combine(_dir, "orphan.log");
        var wrapper = string.Join(' ', ProcessLauncher.Wrapper(log).Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"{wrapper} sleep 300 & echo $!; wait");
        using var parent = Process.Start(info)!;
        var pid = int.Parse((await parent.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)))!);
        await Eventually.UntilAsync(async () => File.Exists($"/proc/{pid}/cmdline") && (await File.ReadAllTextAsync($"/proc/{pid}/cmdline")).StartsWith("sleep", StringComparison.Ordinal),
            "the wrapper should exec the command", TimeSpan.FromSeconds(10));

        parent.Kill();

        await EventuallyDeadAsync(pid, "the kernel delivers the parent-death signal");
    }

    [Fact]
    public async Task Disposing_a_launcher_stops_its_watchdog_without_touching_another_launchers_processes()
    {
        var registry = Path.Combine(_dir, "pids");
        using var other = new ProcessLauncher(registry);
        using var survivor = await other.StartAsync(["sleep", "300"], new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" }, Path.Combine(_dir, "s.log"), null);
        var launcher = new ProcessLauncher(registry);
        var watchdog = launcher.WatchdogPid;
        ProcessLauncher.IsAlive(watchdog).Should().BeTrue();

        launcher.Dispose();

        await EventuallyDeadAsync(watchdog, "the disposed launcher's watchdog exits");
        ProcessLauncher.IsAlive(survivor.Id).Should().BeTrue("only the disposed launcher's groups are its watchdog's business");
        ProcessLauncher.Signal(survivor.Id, ProcessLauncher.SigKill);
    }

    [Fact]
    public async Task A_later_launcher_reaps_the_groups_of_an_owner_that_is_gone_and_leaves_live_owners_alone()
    {
        var registry = Path.Combine(_dir, "pids");
        Directory.CreateDirectory(registry);
        var info = new ProcessStartInfo("setsid") { ArgumentList = { "sleep", "300" } };
        using var orphan = Process.Start(info)!;
        using var adopted = Process.Start(new ProcessStartInfo("setsid") { ArgumentList = { "sleep", "300" } })!;
        var orphanId = ProcessLauncher.Identity(orphan.Id)!;
        var self = ProcessLauncher.Identity(Environment.ProcessId)!;
        // One group recorded by an owner that no longer exists, one by this (live) process.
        await File.WriteAllTextAsync(Path.Combine(registry, $"1-1-aaaa.{orphanId.Replace('-', '.')}"), "");
        await File.WriteAllTextAsync(Path.Combine(registry, $"{self}-bbbb.{ProcessLauncher.Identity(adopted.Id)!.Replace('-', '.')}"), "");
        try
        {
            using var launcher = new ProcessLauncher(registry);
            launcher.ReapOrphans().Should().Be(1);
            await EventuallyDeadAsync(orphan.Id, "the orphaned group is reaped");
            ProcessLauncher.IsAlive(adopted.Id).Should().BeTrue();
            Directory.GetFiles(registry).Should().ContainSingle();
        }
        finally
        {
            adopted.Kill();
            orphan.Kill();
        }
    }

    private static async Task<int> ChildPidAsync(string log)
    {
        var line = await Eventually.ValueAsync(async () => File.Exists(log) ? (await File.ReadAllTextAsync(log)).Split('\n').FirstOrDefault(l => l.StartsWith("child ", StringComparison.Ordinal)) : null,
            "the container prints its child's pid", TimeSpan.FromSeconds(10));
        return int.Parse(line[6..]);
    }
}
