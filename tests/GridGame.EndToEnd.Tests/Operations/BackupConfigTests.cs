namespace GridGame.EndToEnd.Tests.Operations;

/// <summary>config/backup as Kustomize builds it: the CronJob runs the shipped scripts, Velero backs up what a restore needs.</summary>
public sealed class BackupConfigTests
{
    [Fact]
    public async Task Kustomize_builds_the_backup_config_with_the_scripts_as_they_are_and_a_Velero_schedule_for_fleets_sessions_and_secrets()
    {
        var built = await Tool.SucceedsAsync("kubectl", ["kustomize", "config/backup"]);
        var objects = Yaml.Documents(built).Select(o => o!.AsObject()).ToList();

        var scripts = objects.Single(o => (string)o["kind"]! == "ConfigMap")["data"]!;
        foreach (var script in new[] { "history-backup.sh", "history-restore.sh" })
        {
            ((string)scripts[script]!).Should().Be(await File.ReadAllTextAsync(Path.Combine(Built.Root, "config/backup", script)));
        }
        var cronJob = objects.Single(o => (string)o["kind"]! == "CronJob");
        var pod = cronJob["spec"]!["jobTemplate"]!["spec"]!["template"]!["spec"]!;
        ((string)pod["volumes"]!.AsArray().Single(v => v!["configMap"] is not null)!["configMap"]!["name"]!).Should().Be((string)objects.Single(o => (string)o["kind"]! == "ConfigMap")["metadata"]!["name"]!);
        ((string)pod["volumes"]!.AsArray().Single(v => v!["persistentVolumeClaim"] is not null)!["persistentVolumeClaim"]!["claimName"]!)
            .Should().Be((string)objects.Single(o => (string)o["kind"]! == "PersistentVolumeClaim")["metadata"]!["name"]!);

        var schedule = objects.Single(o => (string)o["kind"]! == "Schedule")["spec"]!["template"]!;
        schedule["includedNamespaces"]!.AsArray().Select(n => (string)n!).Should().BeEquivalentTo("gridgame-system", "gridgame-games");
        schedule["includedResources"]!.AsArray().Select(n => (string)n!).Should().Contain(["gamefleets.gridgame.io", "gamesessions.gridgame.io", "secrets"]);
    }
}
