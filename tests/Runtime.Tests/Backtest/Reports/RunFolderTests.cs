using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Backtest.Reports;
using StrategyLab.Runtime.Compute;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Portfolio;
using StrategyLab.Runtime.Research;
using StrategyLab.Runtime.Tests.Data;

namespace StrategyLab.Runtime.Tests.Backtest.Reports;

public sealed partial class RunFolderTests
{
    // a 20-day momentum long/short on the bundled daily cross-section, through the ledger, with the analysis of its signal
    private static BacktestReport MomentumReport()
    {
        var store = new DataStore(Repository.DataFolder);
        using var panel = store.ParseCsv(store.Catalog.Get("daily_top100"), new ImportLog());
        var a = panel.AssetCount;
        var close = panel.Column("close").ToArray();
        var momentum = new double[close.Length];
        SimpleReturn.Compute(close, momentum, a, 20);
        var universe = new TopNUniverse(30, "market_cap").Select(panel, UniverseRule.MonthStarts(panel.Times));
        var weights = new double[close.Length];
        new TopBottomKPortfolio(a, 3, 3).Compute(momentum, universe, weights);
        var options = new LedgerOptions { TakerFee = 0.0005, Slippage = 0.0002 };
        var result = LedgerBacktest.Run(panel, weights, options);
        var manifest = new RunManifest("momentum_test", "strategy-hash", "daily_top100", panel.ContentHash,
            ImmutableSortedDictionary<string, string>.Empty.Add("k", "3"), 7, "0.1.0", "next open", "ledger");
        var report = ReportBuilder.FromLedger(panel, result, options, manifest, Benchmarks.BuyAndHold(panel, "BTC"), "buy and hold BTC");
        // the signal as the portfolio saw it: only assets of the universe
        for (var i = 0; i < momentum.Length; i++)
            momentum[i] = universe[i] ? momentum[i] : double.NaN;
        var forward = new double[close.Length];
        Forward.Return(close, forward, a, 1);
        return report.WithSignalAnalysis(SignalAnalysis.Analyze(momentum, forward, a, panel.Times, 10, QuantileScope.Timestamp));
    }

    [Fact]
    public void WritesEveryFileOfARun()
    {
        using var folder = new TempFolder();
        var report = MomentumReport();
        RunFolder.Write(folder.Path, report);
        foreach (var file in new[] { "manifest.json", "metrics.json", "equity.csv", "trades.csv", "report.html" })
            Assert.True(File.Exists(Path.Combine(folder.Path, file)), file);
        var equity = File.ReadAllLines(Path.Combine(folder.Path, "equity.csv"));
        Assert.Equal("time,equity,return,drawdown,gross_exposure,net_exposure,turnover,benchmark_equity", equity[0]);
        Assert.Equal(report.Times.Length + 1, equity.Length);
        Assert.Equal(report.Trades.Length + 1, File.ReadAllLines(Path.Combine(folder.Path, "trades.csv")).Length);
        Assert.Contains("\"strategy_hash\": \"strategy-hash\"", File.ReadAllText(Path.Combine(folder.Path, "manifest.json")), StringComparison.Ordinal);
        Assert.True(report.TradeStatistics.Closed > 0);
        var metrics = File.ReadAllText(Path.Combine(folder.Path, "metrics.json"));
        Assert.Contains("\"signal_analysis\": {", metrics, StringComparison.Ordinal);
        Assert.Contains("\"kind\": \"above_median\"", metrics, StringComparison.Ordinal);
        var html = File.ReadAllText(Path.Combine(folder.Path, "report.html"));
        Assert.Contains("<td>Directional accuracy</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td>Signal IC t-statistic</td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void MetricsBreakTheRunDownByMonthAndYearAndTheReportByYear()
    {
        using var folder = new TempFolder();
        var report = MomentumReport();
        RunFolder.Write(folder.Path, report);
        using var metrics = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder.Path, "metrics.json")));
        var breakdowns = metrics.RootElement.GetProperty("breakdowns");
        var months = breakdowns.GetProperty("month").EnumerateArray().ToList();
        var years = breakdowns.GetProperty("year").EnumerateArray().ToList();

        var dates = report.Times.Select(t => DateTimeOffset.FromUnixTimeMilliseconds(t).UtcDateTime).ToList();
        Assert.Equal(dates.Select(d => (d.Year, d.Month)).Distinct().Count(), months.Count);
        Assert.Equal(dates.Select(d => d.Year).Distinct().Select(y => y.ToString(CultureInfo.InvariantCulture)), years.Select(y => y.GetProperty("period").GetString()));
        Assert.Equal(report.Times.Length, years.Sum(y => y.GetProperty("bars").GetInt32()));
        // the years compound to the whole run, and their closed trades add up to all of them
        Assert.Equal(report.Metrics.TotalReturn, years.Aggregate(1.0, (e, y) => e * (1 + y.GetProperty("return").GetDouble())) - 1, 1e-9);
        Assert.Equal(report.TradeStatistics.Closed, years.Sum(y => y.GetProperty("trades").GetInt32()));
        Assert.Equal(report.TradeStatistics.Closed, months.Sum(m => m.GetProperty("trades").GetInt32()));
        Assert.Equal("2020-01", months[0].GetProperty("period").GetString());
        Assert.Equal("2020-01-01", months[0].GetProperty("start").GetString());

        var html = File.ReadAllText(Path.Combine(folder.Path, "report.html"));
        Assert.Contains("<h2>Returns by year</h2><table class=\"breakdown\" id=\"years\">", html, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSameRunWritesTheSameBytes()
    {
        using var first = new TempFolder();
        using var second = new TempFolder();
        RunFolder.Write(first.Path, MomentumReport());
        RunFolder.Write(second.Path, MomentumReport());
        foreach (var file in Directory.GetFiles(first.Path).Select(Path.GetFileName))
            Assert.Equal(File.ReadAllBytes(Path.Combine(first.Path, file!)), File.ReadAllBytes(Path.Combine(second.Path, file!)));
    }

    [Fact]
    public async Task TheReportDrawsEveryChartInABrowser()
    {
        const string chromium = "/usr/bin/chromium";
        Assert.True(File.Exists(chromium), "Debian's chromium is needed (test.sh installs it: apt-get install chromium)");
        using var folder = new TempFolder();
        RunFolder.Write(folder.Path, MomentumReport());
        var page = Path.Combine(folder.Path, "report.html");
        var info = new ProcessStartInfo(chromium)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", $"--user-data-dir={Path.Combine(folder.Path, "profile")}",
            "--dump-dom", "file://" + page,
        })
        {
            info.ArgumentList.Add(arg);
        }
        using var browser = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var errors = browser.StandardError.ReadToEndAsync(timeout.Token);
        var dom = await browser.StandardOutput.ReadToEndAsync(timeout.Token);
        await browser.WaitForExitAsync(timeout.Token);
        await errors;
        var charts = ChartCount().Match(dom);
        Assert.True(charts.Success, "the page's script did not run: " + dom[..Math.Min(300, dom.Length)]);
        Assert.Equal("6", charts.Groups[1].Value); // equity, drawdown, monthly returns, exposure, contribution, quantiles
        Assert.Equal(charts.Groups[1].Value, charts.Groups[2].Value);
    }

    [GeneratedRegex("data-charts=\"(\\d+)\" data-charts-drawn=\"(\\d+)\"")]
    private static partial Regex ChartCount();
}
