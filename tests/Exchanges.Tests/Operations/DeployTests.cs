using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using StrategyLab.Operations;

namespace StrategyLab.Exchanges.Tests.Operations;

/// <summary>
/// deploy/: Prometheus's own checker accepts the scrape config and the alert rules and passes their unit tests, and
/// every query of the Grafana dashboard and the rules names a metric the runner exports.
/// </summary>
public sealed partial class DeployTests
{
    private const string Promtool = "/usr/bin/promtool";

    private static readonly string Deploy = Path.Combine(
        typeof(DeployTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!, "deploy");

    [Theory]
    [InlineData("check", "config", "prometheus/prometheus.yml")]
    [InlineData("check", "rules", "prometheus/alerts.yml")]
    [InlineData("test", "rules", "prometheus/alerts.test.yml")]
    public async Task PromtoolAcceptsTheScrapeConfigAndTheAlertRules(string verb, string what, string file)
    {
        Assert.True(File.Exists(Promtool), $"{Promtool} is missing: install Debian's prometheus package (test.sh does)");
        var start = new ProcessStartInfo(Promtool) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Deploy };
        foreach (var a in new[] { verb, what, Path.Combine(Deploy, file) })
            start.ArgumentList.Add(a);
        using var promtool = Process.Start(start)!;
        var error = promtool.StandardError.ReadToEndAsync();
        var output = await promtool.StandardOutput.ReadToEndAsync();
        await promtool.WaitForExitAsync();

        Assert.True(promtool.ExitCode == 0, $"promtool {verb} {what} {file}: {output} {await error}");
    }

    [Fact]
    public void EveryDashboardPanelQueriesMetricsTheRunnerExports()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Deploy, "grafana/dashboards/strategylab-runner.json")));
        var panels = dashboard.RootElement.GetProperty("panels").EnumerateArray().ToList();

        Assert.NotEmpty(panels);
        foreach (var panel in panels)
        {
            var title = panel.GetProperty("title").GetString();
            var queries = panel.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!).ToList();
            Assert.True(queries.Count > 0, $"panel '{title}' has no query");
            foreach (var query in queries)
            {
                var metrics = MetricNames(query);
                Assert.True(metrics.Count > 0, $"panel '{title}' queries no metric: {query}");
                Assert.All(metrics, m => Assert.True(Exported(m), $"panel '{title}' queries {m}, which the runner does not export"));
            }
        }
        // and every metric the runner exports is on the dashboard
        var shown = panels.SelectMany(p => p.GetProperty("targets").EnumerateArray()).SelectMany(t => MetricNames(t.GetProperty("expr").GetString()!)).Select(Base).ToHashSet();
        var missing = TradingMetrics.Names.All.Where(n => n != TradingMetrics.Names.Info && !shown.Contains(n)).ToList();
        Assert.True(missing.Count == 0, $"not on the dashboard: {string.Join(", ", missing)}");
    }

    [Fact]
    public void EveryAlertRuleQueriesMetricsTheRunnerExports()
    {
        var rules = File.ReadAllLines(Path.Combine(Deploy, "prometheus/alerts.yml"));
        var names = rules.SelectMany(MetricNames).ToList();

        Assert.Contains(TradingMetrics.Names.LastBarAge, names);
        Assert.Contains(TradingMetrics.Names.RiskState, names);
        Assert.Contains(TradingMetrics.Names.Rejects, names);
        Assert.All(names, m => Assert.True(Exported(m), $"an alert rule queries {m}, which the runner does not export"));
    }

    // the metric names in a PromQL text: Prometheus's own `up` and ours
    private static List<string> MetricNames(string promql) =>
        [.. MetricName().Matches(promql).Select(m => m.Value)];

    private static bool Exported(string name) => name == "up" || TradingMetrics.Names.All.Contains(Base(name));

    // a histogram's series are its name with _bucket, _count and _sum
    private static string Base(string name) =>
        name.StartsWith(TradingMetrics.Names.RequestSeconds, StringComparison.Ordinal) ? TradingMetrics.Names.RequestSeconds : name;

    [GeneratedRegex(@"\bstrategylab_[a-z0-9_]+\b|\bup(?=\{)")]
    private static partial Regex MetricName();
}
