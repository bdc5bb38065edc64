using System.Collections.Immutable;
using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Search;
using StrategyLab.Runtime.Tests.Backtest.Reports;
using StrategyLab.Runtime.Tests.Data;

namespace StrategyLab.Runtime.Tests.Search;

public sealed class SweepFolderTests(ReportBrowser browser) : IClassFixture<ReportBrowser>
{
    // three swept parameters; the objective is a + b − c, so each pair's heatmap has a known best cell
    private static SweepResult ThreeAxes()
    {
        var axes = new[] { ("a", new[] { 1.0, 2.0 }), ("b", new[] { 10.0, 20.0, 30.0 }), ("c", new[] { 0.5, 1.5 }) }
            .Select(x => new SweepAxis(x.Item1, [.. x.Item2.Select(ScalarValue.Of)])).ToList();
        var trials = new List<SweepTrial>();
        var number = 0;
        foreach (var a in axes[0].Values)
        {
            foreach (var b in axes[1].Values)
            {
                foreach (var c in axes[2].Values)
                {
                    var metrics = TrialMetrics.Known.ToImmutableSortedDictionary(m => m.Name, _ => 0.0, StringComparer.Ordinal)
                        .SetItem("sharpe", a.Number + b.Number - c.Number);
                    var swept = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal,
                        [KeyValuePair.Create("a", a), KeyValuePair.Create("b", b), KeyValuePair.Create("c", c)]);
                    trials.Add(new SweepTrial(number++, swept, new PeriodOutcome(metrics, [], [], []), null));
                }
            }
        }
        trials.Add(new SweepTrial(number, trials[0].Swept, null, "parameter a: refused"));
        return new SweepResult(axes, Objective.Of("sharpe"), Accounting.Weights,
            [.. trials.OrderByDescending(t => t.Outcome?.Metrics["sharpe"] ?? double.MinValue)], 13, Stopped: false);
    }

    [Fact]
    public async Task TheSweepPageDrawsAHeatmapForEveryPairOfSweptParametersInABrowser()
    {
        using var folder = new TempFolder();
        SweepFolder.Write(folder.Path, "grid", "data", ThreeAxes());
        var check = await browser.Check(Path.Combine(folder.Path, "sweep.html"));
        Assert.Empty(check.Errors);
        Assert.Empty(check.OutsideRequests);
        Assert.Equal(["heat-0-1", "heat-0-2", "heat-1-2"], check.Charts.Select(c => c.Id));
        Assert.All(check.Charts, c => Assert.True(c.Drawn, c.Id + " was not drawn"));
        Assert.All(check.Charts, c => Assert.Matches("sharpe [0-9]", c.Hover));
        // each cell is the best over the third parameter: a = 2, b = 30 is best at c = 0.5, 31.5
        var page = File.ReadAllText(Path.Combine(folder.Path, "sweep.html"));
        Assert.Contains("[11.5,21.5,31.5]", page, StringComparison.Ordinal);
        // the failed trial is listed with its error, unranked
        Assert.Contains("parameter a: refused", page, StringComparison.Ordinal);
        Assert.Equal(14, File.ReadAllLines(Path.Combine(folder.Path, "sweep.csv")).Length);
    }
}
