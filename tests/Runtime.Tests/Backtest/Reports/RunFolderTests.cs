using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Backtest.Reports;
using StrategyLab.Runtime.Compute;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Portfolio;
using StrategyLab.Runtime.Reports;
using StrategyLab.Runtime.Research;
using StrategyLab.Runtime.Tests.Data;

namespace StrategyLab.Runtime.Tests.Backtest.Reports;

public sealed partial class RunFolderTests(ReportBrowser browser) : IClassFixture<ReportBrowser>
{
    private const long Minute = 60_000L;

    // built once for the tests that only read it
    private static readonly Lazy<BacktestReport> Momentum = new(MomentumReport);

    private readonly ReportBrowser _browser = browser;

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
        var report = Momentum.Value;
        RunFolder.Write(folder.Path, report);
        foreach (var file in new[] { "manifest.json", "metrics.json", "equity.csv", "trades.csv", "report.html", "plotly-4.1.2.min.js", "plotly-4.1.2.LICENSE.txt" })
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
        var report = Momentum.Value;
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
        using var folder = new TempFolder();
        var report = Momentum.Value;
        RunFolder.Write(folder.Path, report);
        string scale = "", title = "", clicked = "";
        string[] drawdownTicks = [];
        int[] marks = [];
        var check = await _browser.Check(Path.Combine(folder.Path, "report.html"), async page =>
        {
            drawdownTicks = await page.EvaluateAsync<string[]>("() => Array.from(document.querySelectorAll('#drawdown .ytick text')).map(t => t.textContent)");
            await page.Locator("#equity .updatemenu-button", new() { HasText = "log scale" }).ClickAsync();
            scale = await page.EvaluateAsync<string>("() => document.getElementById('equity')._fullLayout.yaxis.type");
            // a click on the middle contribution bar shows that asset's prices
            var (x, y) = (await ReportBrowser.PointOn(page, "contribution"))!.Value;
            await page.Mouse.ClickAsync(x, y);
            clicked = await page.EvaluateAsync<string>("() => document.getElementById('prices')._fullLayout.title.text");
            await page.SelectOptionAsync("#prices-asset", "1");
            title = await page.EvaluateAsync<string>("() => document.getElementById('prices')._fullLayout.title.text");
            marks = await page.EvaluateAsync<int[]>("() => document.getElementById('prices').data.map(t => t.x.length)");
        });

        Assert.Empty(check.Errors);
        Assert.Empty(check.OutsideRequests);
        Assert.Equal(["equity", "drawdown", "monthly", "exposure", "contribution", "quantiles", "prices"], check.Charts.Select(c => c.Id));
        Assert.All(check.Charts, c => Assert.True(c.Drawn, c.Id + " was not drawn"));
        Assert.All(check.Charts, c => Assert.Matches("[0-9]", c.Hover));
        Assert.Equal("log", scale);
        // the drawdown reaches −95.83 %: whole percents from 0 down, at one round step (plotly.js writes − as U+2212)
        Assert.Equal(95.83, report.Metrics.MaxDrawdown * 100, 0.01);
        var ticks = drawdownTicks.Select(t => int.Parse(t.Replace('\u2212', '-').TrimEnd('%'), CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(0, ticks[^1]);
        Assert.True(ticks.Count >= 3, string.Join(" ", drawdownTicks));
        Assert.Contains(ticks[^1] - ticks[^2], new[] { 10, 20, 25, 50 });
        Assert.All(ticks.Zip(ticks.Skip(1)), p => Assert.Equal(ticks[^1] - ticks[^2], p.Second - p.First));
        Assert.Equal(report.Contributions[report.Contributions.Length / 2].Symbol, clicked);
        // the second asset's closes from its first to its last, an entry per trade and an exit per closed trade
        var asset = report.Prices[1];
        var trades = report.Trades.Where(t => t.Symbol == asset.Symbol).ToList();
        Assert.Equal(asset.Symbol, title);
        Assert.Equal(asset.Close.Length, marks[0]);
        Assert.Equal(trades.Count(t => t.Side > 0), marks[1]);
        Assert.Equal(trades.Count(t => t.Side > 0 && !t.Open), marks[2]);
        Assert.Equal(trades.Count(t => t.Side < 0), marks[3]);
        Assert.Equal(trades.Count(t => t.Side < 0 && !t.Open), marks[4]);
    }

    [Fact]
    public async Task TheBrowserCheckSeesAReportWithoutItsChartingScript()
    {
        using var folder = new TempFolder();
        RunFolder.Write(folder.Path, Momentum.Value);
        File.Delete(Path.Combine(folder.Path, PlotlyScript.FileName));
        var check = await _browser.Check(Path.Combine(folder.Path, "report.html"));
        Assert.Contains(check.Errors, e => e.Contains("Plotly is not defined", StringComparison.Ordinal));
        Assert.Equal(7, check.Charts.Count);
        Assert.All(check.Charts, c => Assert.False(c.Drawn));
        Assert.All(check.Charts, c => Assert.Equal("", c.Hover));
    }

    [Fact]
    public void TheReportLoadsTheVendoredChartingScriptFromItsOwnFolder()
    {
        using var folder = new TempFolder();
        RunFolder.Write(folder.Path, Momentum.Value);
        var html = File.ReadAllText(Path.Combine(folder.Path, "report.html"));
        Assert.Contains("<script src=\"plotly-4.1.2.min.js\"></script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http", html.Replace("http://www.w3.org", "", StringComparison.Ordinal), StringComparison.Ordinal);
        // the bytes the vendoring README vouches for, and the package's licence beside them
        var readme = File.ReadAllText(Path.Combine(Repository.Root, "src", "Runtime", "Reports", "Vendor", "README.md"));
        var sha = Sha256Line().Match(readme).Groups[1].Value;
        Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(folder.Path, "plotly-4.1.2.min.js")))));
        Assert.StartsWith("MIT License", File.ReadAllText(Path.Combine(folder.Path, "plotly-4.1.2.LICENSE.txt")), StringComparison.Ordinal);
    }

    [GeneratedRegex("[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}")]
    private static partial Regex HoverTime();

    [GeneratedRegex("sha256 of `plotly.min.js` \\| `([0-9a-f]{64})`")]
    private static partial Regex Sha256Line();

    // assets on minute bars whose closes climb, each bar of three rising 5 above its bucket's first and the third falling 5 below;
    // each asset trades long, then short, then flat, 40 bars each, offset by asset
    private static BacktestReport Minutes(int assets, int bars)
    {
        var times = Enumerable.Range(0, bars).Select(t => 1704067200000L + (t * Minute)).ToArray();
        var close = new double[bars * assets];
        var weights = new double[bars * assets];
        for (var t = 0; t < bars; t++)
        {
            for (var i = 0; i < assets; i++)
            {
                close[(t * assets) + i] = Close(t, i);
                var phase = ((t / 40) + i) % 3;
                weights[(t * assets) + i] = phase == 0 ? 0.5 / assets : phase == 1 ? -0.5 / assets : double.NaN;
            }
        }
        var volume = Enumerable.Repeat(1e12, close.Length).ToArray();
        using var panel = new Panel("minutes", Interval.Parse("1m"), [.. Enumerable.Range(0, assets).Select(i => $"A{i}")],
            ["open", "high", "low", "close", "volume"], new ArrayColumnStore(times, [close, close, close, close, volume]));
        var options = new LedgerOptions();
        var manifest = new RunManifest("minutes", "hash", "minutes", panel.ContentHash, ImmutableSortedDictionary<string, string>.Empty, 0, "0.1.0", "next open", "ledger");
        return ReportBuilder.FromLedger(panel, LedgerBacktest.Run(panel, weights, options), options, manifest, Benchmarks.EqualWeight(panel), "equal weight");
    }

    private static double Close(int t, int asset) => 100 + asset + (0.001 * t) + (t % 3) switch { 1 => 5, 2 => -5, _ => 0 };

    private static JsonElement PriceData(string html)
    {
        var start = html.IndexOf("<script type=\"application/json\" id=\"prices-data\">", StringComparison.Ordinal);
        Assert.True(start >= 0, "the page has no price data");
        start = html.IndexOf('>', start) + 1;
        using var json = JsonDocument.Parse(html[start..html.IndexOf("</script>", start, StringComparison.Ordinal)]);
        return json.RootElement.Clone();
    }

    [Fact]
    public void ALongRunDrawsEachBucketsLowestAndHighestClose()
    {
        // 6,000 bars: past 5,000 they are drawn in 2,000 buckets of 3 bars, and each bucket's closes are its first, first + 5
        // and first − 5 (plus the climb): the highest comes second and the lowest third
        using var folder = new TempFolder();
        var report = Minutes(1, 6000);
        RunFolder.Write(folder.Path, report);
        var data = PriceData(File.ReadAllText(Path.Combine(folder.Path, "report.html")));
        Assert.True(data.GetProperty("pairs").GetBoolean());
        var times = data.GetProperty("times").EnumerateArray().Select(t => t.GetInt64()).ToList();
        Assert.Equal(Enumerable.Range(0, 2000).Select(k => 1704067200000L + (3 * k * Minute)), times);
        var asset = data.GetProperty("assets")[0];
        Assert.Equal(0, asset.GetProperty("first").GetInt32());
        var close = asset.GetProperty("close").EnumerateArray().Select(c => c.GetDouble()).ToList();
        Assert.Equal(4000, close.Count);
        for (var k = 0; k < 2000; k++)
        {
            Assert.Equal(Close((3 * k) + 1, 0), close[2 * k], 1e-9);
            Assert.Equal(Close((3 * k) + 2, 0), close[(2 * k) + 1], 1e-9);
        }
    }

    [Fact]
    public void APageOfAHundredAssetsOverThreeThousandBarsStaysSmall()
    {
        // 100 traded assets × 3,000 closes of at most 7 significant digits (about 8 bytes with the comma), about 2.4 MB, the rest small
        using var folder = new TempFolder();
        var report = Minutes(100, 3000);
        Assert.Equal(100, report.Prices.Length);
        RunFolder.Write(folder.Path, report);
        var size = new FileInfo(Path.Combine(folder.Path, "report.html")).Length;
        Assert.InRange(size, 2_000_000, 3_500_000);
    }

    [Fact]
    public async Task ALongMinuteRunIsDrawnInABrowser()
    {
        using var folder = new TempFolder();
        var report = Minutes(3, 12_000);
        RunFolder.Write(folder.Path, report);
        int[] points = [];
        var check = await _browser.Check(Path.Combine(folder.Path, "report.html"), async page =>
            points = await page.EvaluateAsync<int[]>("() => ['equity', 'prices'].map(id => document.getElementById(id).data[0].x.length)"));
        Assert.Empty(check.Errors);
        Assert.Equal(["equity", "drawdown", "monthly", "exposure", "contribution", "prices"], check.Charts.Select(c => c.Id));
        Assert.All(check.Charts, c => Assert.True(c.Drawn, c.Id + " was not drawn"));
        Assert.All(check.Charts, c => Assert.Matches("[0-9]", c.Hover));
        // the hovered time is a UTC time of the run (2024-01-01 00:00 on, 8.3 days), not one shifted to the browser's zone
        var equityHover = check.Charts[0].Hover;
        var shown = DateTime.ParseExact(HoverTime().Match(equityHover).Value, "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
        Assert.InRange(new DateTimeOffset(shown).ToUnixTimeMilliseconds(), report.Times[0], report.Times[^1]);
        // 2,000 buckets of 6 bars: the equity line keeps up to three points of each, the price line two
        Assert.InRange(points[0], 2000, 6000);
        Assert.Equal(4000, points[1]);
    }
}
