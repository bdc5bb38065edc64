using System.Collections.Immutable;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Backtest.Reports;
using StrategyLab.Runtime.Data;

namespace StrategyLab.Runtime.Tests.Backtest.Reports;

public sealed class HtmlReportTests
{
    [Fact]
    public void ARunOfOneBarWithoutTradesHasNoChartsButItsTables()
    {
        double[] price = [100];
        using var panel = new Panel("one", Interval.Parse("1d"), ["X"], ["open", "high", "low", "close", "volume"],
            new ArrayColumnStore([1704067200000L], [price, price, price, price, [1e9]]));
        var options = new LedgerOptions();
        var manifest = new RunManifest("one", "hash", "one", panel.ContentHash, ImmutableSortedDictionary<string, string>.Empty, 0, "0.1.0", "next open", "ledger");
        var report = ReportBuilder.FromLedger(panel, LedgerBacktest.Run(panel, [double.NaN], options), options, manifest);
        var html = HtmlReport.Render(report);
        Assert.Contains("<p class=\"empty\">not enough bars to draw</p>", html, StringComparison.Ordinal);
        Assert.Contains("<h2>Returns by year</h2><table class=\"breakdown\" id=\"years\">", html, StringComparison.Ordinal);
        Assert.Contains("<p class=\"empty\">no trades</p>", html, StringComparison.Ordinal);
        // the monthly heatmap alone: one month has a bar
        Assert.Equal(["monthly"], System.Text.RegularExpressions.Regex.Matches(html, "<div class=\"plot\" id=\"([a-z]+)\"").Select(m => m.Groups[1].Value));
    }
}
