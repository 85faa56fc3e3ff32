using GridGame.Crds.Schema;

namespace GridGame.Crds.Tests;

public sealed class CrdDriftTests
{
    public static TheoryData<string> CheckedInCopies => new()
    {
        "crds/gamefleets.gridgame.io.yaml",
        "crds/gamesessions.gridgame.io.yaml",
        "config/crd/gamefleets.gridgame.io.yaml",
        "config/crd/gamesessions.gridgame.io.yaml",
    };

    [Theory]
    [MemberData(nameof(CheckedInCopies))]
    public void The_checked_in_CRD_is_what_the_CSharp_types_render(string relative)
    {
        var fileName = Path.GetFileName(relative);
        var rendered = CrdYaml.Render(CrdGenerator.All().Single(c => c.FileName == fileName).Crd);

        File.Exists(Repository.Path(relative)).Should().BeTrue($"{relative} is generated: run `{CrdGenerator.RegenerateCommand}`");
        Repository.Read(relative).Should().Be(rendered, $"{relative} has drifted from the C# types in crds/GridGame.Crds; regenerate it with `{CrdGenerator.RegenerateCommand}` and commit the result");
    }

    [Fact]
    public void The_field_reference_in_docs_reference_api_md_is_what_the_schemas_render()
    {
        var document = Repository.Read("docs/reference/api.md");

        document.Should().Be(ApiReference.Update(document), $"docs/reference/api.md's field reference has drifted from the C# types; regenerate it with `{CrdGenerator.RegenerateCommand}`");
        document.Should().Contain("| `spec.game.boardSize` | integer | `8` | 3..64 |");
    }

    [Fact]
    public void Rendering_is_deterministic()
    {
        var first = CrdGenerator.All().Select(c => CrdYaml.Render(c.Crd)).ToList();
        var second = CrdGenerator.All().Select(c => CrdYaml.Render(c.Crd)).ToList();

        second.Should().Equal(first);
    }

    [Fact]
    public void The_rendered_YAML_reads_back_as_the_same_JSON()
    {
        foreach (var (fileName, crd) in CrdGenerator.All())
        {
            var back = Repository.Yaml(CrdYaml.Render(crd));

            System.Text.Json.Nodes.JsonNode.DeepEquals(back, crd).Should().BeTrue($"{fileName} must survive YAML (quoted \"True\"/\"False\", patterns, defaults)");
        }
    }

    [Fact]
    public void The_crds_command_writes_the_same_files()
    {
        var directory = Directory.CreateTempSubdirectory("gridgame-crds-").FullName;
        try
        {
            var written = CrdGenerator.WriteAll(directory);

            written.Select(Path.GetFileName).Should().BeEquivalentTo(["gamefleets.gridgame.io.yaml", "gamesessions.gridgame.io.yaml"]);
            foreach (var path in written)
            {
                File.ReadAllText(path).Should().Be(Repository.Read("crds/" + Path.GetFileName(path)));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("config/crd", "kind: CustomResourceDefinition")]
    [InlineData("config/samples", "kind: GameFleet")]
    public void Kustomize_builds_the_config_directory(string directory, string expected)
    {
        var (exitCode, output) = Repository.Run("kubectl", "kustomize", directory);

        exitCode.Should().Be(0, output);
        output.Should().Contain(expected);
    }
}
