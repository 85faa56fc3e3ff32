namespace GridGame.EndToEnd.Tests.Operations;

/// <summary>The metric-name extraction the monitoring tests rely on, on the shapes the rules and dashboards use.</summary>
public sealed class PromQlTests
{
    [Theory]
    [InlineData("up", "up")]
    [InlineData("absent(up{job=\"gridgame-operator-metrics\"} == 1)", "up")]
    [InlineData("sum by (controller) (rate(gridgame_operator_reconcile_errors_total[10m])) > 0.1", "gridgame_operator_reconcile_errors_total")]
    [InlineData("histogram_quantile(0.99, sum by (namespace, le) (rate(game_cell_claim_duration_seconds_bucket{namespace=~\"$namespace\"}[5m])))", "game_cell_claim_duration_seconds_bucket")]
    [InlineData("sum(websocket_connections_active offset 5m) < 0.5 * sum(websocket_connections_active)", "websocket_connections_active")]
    [InlineData("a * on (namespace, pod) group_left (label_gridgame_io_fleet) b{label_gridgame_io_fleet!=\"\"}", "a,b")]
    [InlineData("(x > 1e3) and (deriv(y[10m]) > 0) unless z offset 1h", "x,y,z")]
    [InlineData("max_over_time(m{l=\"with } brace and by (q)\"}[5m:1m])", "m")]
    public void Finds_the_metric_names_and_nothing_else(string expression, string expected) =>
        PromQl.MetricNames(expression).Should().BeEquivalentTo(expected.Split(','));
}
