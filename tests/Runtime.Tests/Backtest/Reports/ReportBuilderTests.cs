using System.Collections.Immutable;
using System.Text.RegularExpressions;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Backtest.Reports;
using StrategyLab.Runtime.Data;

namespace StrategyLab.Runtime.Tests.Backtest.Reports;

public sealed partial class ReportBuilderTests
{
    private const long Start = 1704067200000L; // 2024-01-01
    private const long Day = 86_400_000L;

    private static readonly RunManifest Manifest = new("short", "hash", "short", "data-hash",
        ImmutableSortedDictionary<string, string>.Empty, 0, "0.1.0", "next open", "ledger");

    private static BacktestReport Daily(int bars, bool benchmark = false)
    {
        var times = Enumerable.Range(0, bars).Select(i => Start + (i * Day)).ToArray();
        var price = Enumerable.Range(0, bars).Select(i => 100.0 + i).ToArray();
        var volume = Enumerable.Repeat(1e9, bars).ToArray();
        using var panel = new Panel("short", Interval.Parse("1d"), ["X"], ["open", "high", "low", "close", "volume"],
            new ArrayColumnStore(times, [price, price, price, price, volume]));
        var options = new LedgerOptions();
        var result = LedgerBacktest.Run(panel, Enumerable.Repeat(1.0, bars).ToArray(), options);
        return benchmark
            ? ReportBuilder.FromLedger(panel, result, options, Manifest, Benchmarks.BuyAndHold(panel, "X"), "buy and hold X")
            : ReportBuilder.FromLedger(panel, result, options, Manifest);
    }

    [Fact]
    public void ARunShorterThanAMonthSaysItsAnnualisedFiguresExtrapolate()
    {
        // a month of daily bars is 365 / 12 ≈ 30.4: 30 bars get the note, 31 do not
        var note = Assert.Single(Daily(30).Notes, n => n.Contains("extrapolate", StringComparison.Ordinal));
        Assert.StartsWith("The run has 30 bars, 30 days at this bar size", note, StringComparison.Ordinal);
        Assert.DoesNotContain(Daily(31).Notes, n => n.Contains("extrapolate", StringComparison.Ordinal));
    }

    [Fact]
    public void ABenchmarkShorterThanAMonthHasItsAnnualisedFiguresMarkedAsTheStrategysAre()
    {
        // 30 daily bars of a price rising 1 a day from 100: the benchmark gains 29 % and annualises to 1.29^(365 / 30) − 1 = 2115.69 %
        var report = Daily(30, benchmark: true);
        Assert.Equal(Math.Pow(129.0 / 100, 365.0 / 30) - 1, report.BenchmarkMetrics!.AnnualizedReturn, 1e-9);
        var note = Assert.Single(report.Notes, n => n.Contains("extrapolate", StringComparison.Ordinal));
        Assert.Equal("The run has 30 bars, 30 days at this bar size: annualised return and volatility, Sharpe, Sortino and Calmar "
            + "extrapolate so short a run to a year, the benchmark's (buy and hold X) as much as the strategy's.", note);
        // annualised return, volatility, Sharpe, Sortino and Calmar of both columns, row by row
        var html = HtmlReport.Render(report);
        var marked = Extrapolated().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(10, marked.Count);
        Assert.Equal("2115.69%", marked[1]);

        var month = Daily(31, benchmark: true);
        Assert.DoesNotContain(month.Notes, n => n.Contains("extrapolate", StringComparison.Ordinal));
        Assert.Empty(Extrapolated().Matches(HtmlReport.Render(month)));
    }

    [GeneratedRegex("<td class=\"extrapolated\" title=\"extrapolated to a year from 30 days\">([^<]*)\\*</td>")]
    private static partial Regex Extrapolated();

    // X trades from bar 0; Y has closes on bars 2 to 4 only
    private static (Panel Panel, LedgerResult Result, LedgerOptions Options) TwoAssets()
    {
        var times = Enumerable.Range(0, 6).Select(i => Start + (i * Day)).ToArray();
        var n = double.NaN;
        double[] xOpen = [100, 102, 104, 106, 108, 110], xClose = [101, 103, 105, 107, 109, 111];
        double[] yOpen = [n, n, 50, 52, 54, n], yClose = [n, n, 51, 53, 55, n];
        double[] Rows(double[] x, double[] y) => [.. x.Zip(y).SelectMany(p => new[] { p.First, p.Second })];
        var volume = Enumerable.Repeat(1e9, 12).ToArray();
        var open = Rows(xOpen, yOpen);
        var close = Rows(xClose, yClose);
        var panel = new Panel("two", Interval.Parse("1d"), ["X", "Y"], ["open", "high", "low", "close", "volume"],
            new ArrayColumnStore(times, [open, open.Zip(close, Math.Max).ToArray(), open.Zip(close, Math.Min).ToArray(), close, volume]));
        // X long half the book on bar 0's signal only; Y short half the book on bar 2's only
        double[] weights = [0.5, n, 0, n, n, -0.5, n, 0, n, n, n, n];
        var options = new LedgerOptions { TakerFee = 0, Slippage = 0 };
        return (panel, LedgerBacktest.Run(panel, weights, options), options);
    }

    [Fact]
    public void TradesCarryTheirFillPricesAndEachTradedAssetItsCloses()
    {
        var (panel, result, options) = TwoAssets();
        using var _ = panel;
        var report = ReportBuilder.FromLedger(panel, result, options, Manifest);
        // X: bought at bar 1's open 102, sold at bar 2's open 104; Y: sold short at bar 3's open 52, bought back at bar 4's open 54
        var x = Assert.Single(report.Trades, t => t.Symbol == "X");
        var y = Assert.Single(report.Trades, t => t.Symbol == "Y");
        Assert.Equal((1, Start + Day, 102.0, Start + (2 * Day), 104.0), (x.Side, x.EntryTime, x.EntryPrice, x.ExitTime, x.ExitPrice));
        Assert.Equal((-1, Start + (3 * Day), 52.0, Start + (4 * Day), 54.0), (y.Side, y.EntryTime, y.EntryPrice, y.ExitTime, y.ExitPrice));
        // X gained (10000 / 2 / 102 units × 2), Y lost: X first; Y's closes from its first (bar 2) to its last (bar 4)
        Assert.Equal(["X", "Y"], report.Prices.Select(p => p.Symbol));
        Assert.Equal(0, report.Prices[0].FirstBar);
        Assert.Equal([101, 103, 105, 107, 109, 111], report.Prices[0].Close);
        Assert.Equal(2, report.Prices[1].FirstBar);
        Assert.Equal([51, 53, 55], report.Prices[1].Close);
    }

    [Fact]
    public void AnOpenTradeHasNoExitPrice()
    {
        var times = Enumerable.Range(0, 3).Select(i => Start + (i * Day)).ToArray();
        double[] price = [100, 101, 102];
        using var panel = new Panel("open", Interval.Parse("1d"), ["X"], ["open", "high", "low", "close", "volume"],
            new ArrayColumnStore(times, [price, price, price, price, [1e9, 1e9, 1e9]]));
        var options = new LedgerOptions { TakerFee = 0 };
        var report = ReportBuilder.FromLedger(panel, LedgerBacktest.Run(panel, [1, 1, 1], options), options, Manifest);
        var trade = Assert.Single(report.Trades);
        Assert.True(trade.Open);
        Assert.Equal(101, trade.EntryPrice);
        Assert.True(double.IsNaN(trade.ExitPrice));
    }

    [Fact]
    public void WarningsGoAboveTheNotesAndTheSummary()
    {
        var (panel, result, options) = TwoAssets();
        using var _ = panel;
        var report = ReportBuilder.FromLedger(panel, result, options, Manifest, notes: ["a note"],
            warnings: ["the short leg held nothing on 3 bars: 4 assets were eligible for a top 3 / bottom 3 rule"]);
        Assert.Equal("the short leg held nothing on 3 bars: 4 assets were eligible for a top 3 / bottom 3 rule", Assert.Single(report.Warnings));
        Assert.DoesNotContain(report.Notes, n => n.Contains("held nothing", StringComparison.Ordinal));
        var html = HtmlReport.Render(report);
        var warning = html.IndexOf("<p class=\"warning\"><b>Warning:</b> the short leg held nothing on 3 bars: 4 assets were eligible for a top 3 / bottom 3 rule</p>", StringComparison.Ordinal);
        Assert.InRange(warning, 0, html.IndexOf("<p class=\"note\">a note</p>", StringComparison.Ordinal));
        Assert.True(warning < html.IndexOf("<table class=\"summary\">", StringComparison.Ordinal));
    }
}
