namespace GridGame.Crds;

/// <summary>The API group and version every GridGame resource lives in.</summary>
public static class GridGameApi
{
    public const string Group = "gridgame.io";
    public const string Version = "v1";
    public const string ApiVersion = Group + "/" + Version;
}
