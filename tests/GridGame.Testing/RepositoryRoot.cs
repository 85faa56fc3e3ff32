namespace GridGame.Testing;

/// <summary>The checkout the tests run from: the directory holding GridGame.sln, above the test's binaries.</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "GridGame.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("GridGame.sln not found above " + AppContext.BaseDirectory);
    }
}
