using System.Diagnostics;

namespace GridGame.Operator.Runtime;

/// <summary>
/// The operator's spans: one per reconcile (tagged with the controller and the key) and one per allocation. Exported
/// only when an OTLP endpoint is configured; with no listener <c>StartActivity</c> returns null and costs nothing.
/// </summary>
internal static class OperatorTracing
{
    public const string SourceName = "GridGame.Operator";

    public const string ControllerTag = "gridgame.controller";

    public const string KeyTag = "gridgame.key";

    public static readonly ActivitySource Source = new(SourceName);
}
