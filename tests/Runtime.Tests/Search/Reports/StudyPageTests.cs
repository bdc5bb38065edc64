using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Backtest.Reports;
using StrategyLab.Runtime.Compute;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Portfolio;
using StrategyLab.Runtime.Search;
using StrategyLab.Runtime.Search.Reports;
using StrategyLab.Runtime.Search.Statistics;
using StrategyLab.Runtime.Tests.Backtest.Reports;
using StrategyLab.Runtime.Tests.Data;
using static StrategyLab.Runtime.Tests.Search.Reports.StudyFixtures;

namespace StrategyLab.Runtime.Tests.Search.Reports;

public sealed partial class StudyPageTests(ReportBrowser browser) : IClassFixture<ReportBrowser>
{
    private const long Day = 86_400_000;
    private const long T0 = 1_704_067_200_000;

    // the chosen trial's report: a real ledger backtest of a momentum long/short on the bundled daily data
    private static readonly Lazy<BacktestReport> Report = new(() =>
    {
        var store = new DataStore(Repository.DataFolder);
        using var panel = store.ParseCsv(store.Catalog.Get("daily_top100"), new ImportLog());
        var close = panel.Column("close").ToArray();
        var momentum = new double[close.Length];
        SimpleReturn.Compute(close, momentum, panel.AssetCount, 20);
        var universe = new TopNUniverse(30, "market_cap").Select(panel, UniverseRule.MonthStarts(panel.Times));
        var weights = new double[close.Length];
        new TopBottomKPortfolio(panel.AssetCount, 5, 5).Compute(momentum, universe, weights);
        var options = new LedgerOptions { TakerFee = 0.0005 };
        var manifest = new RunManifest("momentum", "hash", "daily_top100", panel.ContentHash,
            ImmutableSortedDictionary<string, string>.Empty.Add("k", "5"), 0, "1.2.3", "next open", "ledger");
        return ReportBuilder.FromLedger(panel, LedgerBacktest.Run(panel, weights, options), options, manifest);
    });

    // the objective rises with k and falls away from w = 0.5; ema adds a little; one trial pruned, one failed
    private static List<FrozenTrial> Trials(int complete, bool twoObjectives = false)
    {
        var trials = new List<FrozenTrial>();
        for (var i = 0; i < complete; i++)
        {
            var k = 3 + (i * 5 % 8);
            var kind = i % 3 == 0 ? "sma" : "ema";
            var w = 0.1 + (0.8 * ((i * 7 % 11) / 10.0));
            var sharpe = (0.2 * k) - (4 * (w - 0.5) * (w - 0.5)) + (kind == "ema" ? 0.3 : 0);
            var maxdd = 0.1 + (0.02 * k) + (0.05 * w);
            trials.Add(Trial(i, TrialState.Complete, Params(k, kind, w), twoObjectives ? [sharpe, maxdd] : [sharpe],
                new Dictionary<string, double> { ["sharpe"] = sharpe, ["maxdd"] = maxdd }, new Dictionary<int, double> { [0] = sharpe },
                new Dictionary<string, string> { ["worker"] = "w" + (i % 2) }));
        }
        trials.Add(Trial(complete, TrialState.Pruned, Params(3, "sma", 0.9), [], intermediate: new Dictionary<int, double> { [0] = -0.4 }));
        trials.Add(Trial(complete + 1, TrialState.Failed, Params(4, "sma", 0.2), [],
            attributes: new Dictionary<string, string> { ["reason"] = "the period holds 1 bar(s); a backtest needs at least 2" }));
        return trials;
    }

    // each complete trial's 200 daily returns: its objective's drift plus a swing of its own
    private static Dictionary<int, TrialReturns> Returns(IEnumerable<FrozenTrial> trials) =>
        trials.Where(t => t.State == TrialState.Complete).ToDictionary(t => t.Number, t =>
        {
            var times = Enumerable.Range(0, 200).Select(i => T0 + (i * Day)).ToArray();
            var returns = Enumerable.Range(0, 200).Select(i => (0.001 * t.Values[0]) + (0.01 * Math.Sin((0.37 * i * (t.Number + 1)) + t.Number))).ToArray();
            return new TrialReturns(times, returns);
        });

    private static WalkForwardSummary WalkForward()
    {
        var returns = Enumerable.Range(0, 60).Select(i => 0.002 * Math.Cos(i)).ToArray();
        var stitched = WalkForwardOutOfSample.Stitch([returns[..30], returns[30..]], 365);
        return new WalkForwardSummary(
            [new WalkForwardChoice(0, T0 + (100 * Day), T0 + (130 * Day), Params(5, "ema", 0.5), 1.2),
             new WalkForwardChoice(1, T0 + (130 * Day), T0 + (160 * Day), Params(7, "sma", 0.3), 0.9)],
            [.. Enumerable.Range(100, 60).Select(i => T0 + (i * Day))], stitched);
    }

    private static string WritePage(TempFolder folder, List<FrozenTrial> trials, StrategyLab.Runtime.Search.Storage.StudyRecord study, bool report = true,
        WalkForwardSummary? walkForward = null)
    {
        var statistics = StudyStatistics.FromReturns(study, trials, Returns(trials), 365);
        StudyPage.Write(folder.Path, study, trials, statistics, report && statistics.ChosenTrial is not null ? Report.Value : null, walkForward);
        return Path.Combine(folder.Path, StudyPage.PageFile);
    }

    [Fact]
    public async Task EveryChartOfTheStudyPageDrawsAndTheChosenTrialsLinkOpensItsBacktestReport()
    {
        using var folder = new TempFolder();
        var html = WritePage(folder, Trials(16), Study(), walkForward: WalkForward());
        string? opened = null;
        var reportCharts = 0;
        var plotted = Array.Empty<string>();
        var check = await browser.Check(html, async page =>
        {
            plotted = await page.EvaluateAsync<string[]>(EveryTraceDrawnAsDeclared);
            await page.ClickAsync("#chosen-report");
            await page.WaitForURLAsync("**/best/report.html");
            opened = page.Url;
            await page.EvaluateAsync("() => Promise.allSettled(window.StrategyLab.pending)");
            reportCharts = await page.EvaluateAsync<int>("() => document.querySelectorAll('div.plot svg.main-svg').length");
        });
        Assert.Empty(check.Errors);
        Assert.Empty(check.OutsideRequests);
        Assert.Equal(["history-0", "importance", "parallel", "slice-0", "slice-1", "slice-2", "contour", "walk-forward-growth"], check.Charts.Select(c => c.Id));
        Assert.All(check.Charts, c => Assert.True(c.Drawn, c.Id + " was not drawn"));
        Assert.Equal(check.Charts.Select(c => c.Id + ": drawn as declared"), plotted);
        Assert.EndsWith("/best/report.html", opened, StringComparison.Ordinal);
        Assert.True(reportCharts > 0, "the chosen trial's report drew no chart");
        var text = File.ReadAllText(html);
        Assert.DoesNotContain("Pareto front", text, StringComparison.Ordinal);
        // the categorical parameter's slice is labelled with its choices at their indices
        Assert.Contains("\"ticktext\":[\"ema\",\"sma\"]", text, StringComparison.Ordinal);
        Assert.Contains("deflated Sharpe DSR", text, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(folder.Path, StudyPage.CsvFile)));
        Assert.True(File.Exists(Path.Combine(folder.Path, StudyPage.JsonFile)));
        AssertEveryLinkExists(folder.Path, text);
    }

    [Fact]
    public async Task ATwoObjectiveStudyShowsItsParetoFrontAsAChartAndATable()
    {
        using var folder = new TempFolder();
        var trials = Trials(12, twoObjectives: true);
        var html = WritePage(folder, trials, Study("", "sharpe", "maxdd"));
        var check = await browser.Check(html);
        Assert.Empty(check.Errors);
        Assert.Contains("pareto", check.Charts.Select(c => c.Id));
        Assert.Contains("history-1", check.Charts.Select(c => c.Id));
        Assert.All(check.Charts, c => Assert.True(c.Drawn, c.Id + " was not drawn"));
        var front = ParetoFront.Of(trials, [Direction.Maximize, Direction.Minimize]);
        var table = PageTable().Match(File.ReadAllText(html)).Value;
        Assert.Equal(front.Count + 1, Regex.Matches(table, "<tr>").Count);
        Assert.True(front.Count is > 1 and < 12, $"a front of {front.Count} trials does not test the highlighting");
    }

    [Fact]
    public async Task AStudyWithoutCompleteTrialsStillGetsAPageThatSaysSo()
    {
        using var folder = new TempFolder();
        var html = WritePage(folder, Trials(0), Study());
        var check = await browser.Check(html);
        Assert.Empty(check.Errors);
        Assert.All(check.Charts, c => Assert.True(c.Drawn, c.Id + " was not drawn"));
        var text = File.ReadAllText(html);
        Assert.Contains("No trial is complete with a value of sharpe yet", text, StringComparison.Ordinal);
        Assert.Contains("id=\"no-choice\"", text, StringComparison.Ordinal);
        Assert.Contains("cannot be computed: it needs at least 2 complete trials, the study has 0", text, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(folder.Path, StudyPage.ChosenFolder)));
        AssertEveryLinkExists(folder.Path, text);
    }

    [Fact]
    public async Task AStudyWithOneCompleteTrialChoosesItButComputesNoStatisticOfTheSearch()
    {
        using var folder = new TempFolder();
        var html = WritePage(folder, Trials(1), Study());
        var check = await browser.Check(html);
        Assert.Empty(check.Errors);
        Assert.All(check.Charts, c => Assert.True(c.Drawn, c.Id + " was not drawn"));
        var text = File.ReadAllText(html);
        Assert.Contains("Only one trial is complete", text, StringComparison.Ordinal);
        Assert.Contains("id=\"chosen-report\"", text, StringComparison.Ordinal);
        Assert.Contains("cannot be computed: it needs at least 2 complete trials, the study has 1", text, StringComparison.Ordinal);
        AssertEveryLinkExists(folder.Path, text);
    }

    [Fact]
    public void APageWithoutTheChosenReportLinksToNoReport()
    {
        using var folder = new TempFolder();
        var text = File.ReadAllText(WritePage(folder, Trials(6), Study(), report: false));
        Assert.DoesNotContain("best/report.html", text, StringComparison.Ordinal);
        Assert.Contains("(chosen)", text, StringComparison.Ordinal);
        AssertEveryLinkExists(folder.Path, text);
    }

    // each chart: plotly.js knew every trace's type (an unknown one falls back to a scatter), and some trace holds points
    private const string EveryTraceDrawnAsDeclared = """
        () => Array.from(document.querySelectorAll('div.plot')).map(gd => {
          const same = gd.data.length === gd._fullData.length && gd._fullData.every((t, i) => t.type === gd.data[i].type && t.visible !== false);
          const points = gd.data.some(t => (t.z || t.y || []).some(v => v !== null));
          return gd.id + ': ' + (same && points ? 'drawn as declared' : 'type ' + gd._fullData.map(t => t.type) + ', points ' + points);
        })
        """;

    private static void AssertEveryLinkExists(string folder, string html)
    {
        foreach (Match m in Href().Matches(html))
            Assert.True(File.Exists(Path.Combine(folder, m.Groups[1].Value)), "the page links to a missing " + m.Groups[1].Value);
    }

    [GeneratedRegex("href=\"([^\"]+)\"")]
    private static partial Regex Href();

    [GeneratedRegex("<table id=\"pareto-table\">.*?</table>")]
    private static partial Regex PageTable();
}
