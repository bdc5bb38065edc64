using System.Globalization;
using System.Text;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Backtest.Reports;
using StrategyLab.Runtime.Data.Csv;
using StrategyLab.Runtime.Models.Training;
using StrategyLab.Runtime.Reports;
using StrategyLab.Runtime.Runs;
using StrategyLab.Runtime.Search.Storage;
using static StrategyLab.Runtime.Search.Reports.StudyCharts;

namespace StrategyLab.Runtime.Search.Reports;

/// <summary>
/// Writes a study's folder: <c>study.html</c> (with the charting script beside it, so the folder opens
/// offline), <c>trials.csv</c> and <c>study.json</c> (<see cref="StudyExport"/>), and <c>best/</c>, the chosen
/// trial's full backtest report as <c>strategylab backtest</c> writes it (<see cref="RunFolder"/>). The page
/// shows the definition, the chosen trial and, for two objectives, the Pareto front; the optimisation history;
/// parameter importance; parallel coordinates; a slice per parameter; a contour of the two most important
/// numeric parameters; the honest statistics with their inputs; the walk-forward result when given; and every
/// trial. A study without complete trials still gets its page, which says so.
/// </summary>
public static class StudyPage
{
    /// <summary>The page's file name.</summary>
    public const string PageFile = "study.html";

    /// <summary>The trials' table.</summary>
    public const string CsvFile = "trials.csv";

    /// <summary>The study as one JSON document.</summary>
    public const string JsonFile = "study.json";

    /// <summary>The chosen trial's backtest report folder.</summary>
    public const string ChosenFolder = "best";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// Computes the statistics (<see cref="StudyStatistics.Compute"/>), backtests the chosen trial's parameters on
    /// the ledger over the settings' period, and writes the folder; returns the statistics for the caller to print.
    /// </summary>
    public static StudyStatisticsResult Write(string folder, StudyRecord study, IReadOnlyList<FrozenTrial> trials, PreparedRun run, RunSettings settings,
        Accounting accounting, Func<ParameterSet, ModelTrainingResult?>? models = null, WalkForwardSummary? walkForward = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        var statistics = StudyStatistics.Compute(study, trials, run, settings, accounting, models);
        BacktestReport? report = null;
        if (trials.FirstOrDefault(t => t.Number == statistics.ChosenTrial) is { } chosen)
        {
            var parameters = run.Bind(chosen.Params);
            var trained = models?.Invoke(parameters);
            using var result = run.Backtest(parameters, settings, trained);
            report = run.Report(result, settings, trained);
        }
        Write(folder, study, trials, statistics, report, walkForward);
        return statistics;
    }

    /// <summary>
    /// Writes the folder from statistics already computed; <paramref name="chosenReport"/> is the backtest report of
    /// the chosen trial (<see cref="StudyStatisticsResult.ChosenTrial"/>), written to <c>best/</c> and linked, or null
    /// for a page without it.
    /// </summary>
    public static void Write(string folder, StudyRecord study, IReadOnlyList<FrozenTrial> trials, StudyStatisticsResult statistics,
        BacktestReport? chosenReport, WalkForwardSummary? walkForward = null)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(trials);
        ArgumentNullException.ThrowIfNull(statistics);
        if (chosenReport is not null && statistics.ChosenTrial is null)
            throw new ArgumentException("a chosen trial's report was given for a study without a chosen trial", nameof(chosenReport));
        walkForward?.Validate();
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, CsvFile), StudyExport.Csv(study, trials));
        File.WriteAllText(Path.Combine(folder, JsonFile), StudyExport.Json(study, trials));
        if (chosenReport is not null)
            RunFolder.Write(Path.Combine(folder, ChosenFolder), chosenReport);
        File.WriteAllText(Path.Combine(folder, PageFile), Render(study, trials, statistics, chosenReport is not null, walkForward));
        PlotlyScript.WriteTo(folder);
    }

    /// <summary>The page's HTML; <paramref name="chosenReport"/> says whether <c>best/report.html</c> exists to link to.</summary>
    public static string Render(StudyRecord study, IReadOnlyList<FrozenTrial> trials, StudyStatisticsResult statistics, bool chosenReport,
        WalkForwardSummary? walkForward = null)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(trials);
        ArgumentNullException.ThrowIfNull(statistics);
        var d = study.Definition;
        var ordered = trials.OrderBy(t => t.Number).ToList();
        var constraints = ConstraintSet.Read(d.Constraints);
        var page = new ReportPage(d.Name + " — StrategyLab study");
        Header(page, d, ordered, constraints);
        var valued = Valued(ordered, 0);
        if (valued.Count == 0)
            page.Warning("No trial is complete with a value of " + d.Objectives[0] + " yet: there is nothing to chart or choose.");
        else if (valued.Count == 1)
            page.Note("Only one trial is complete: nothing can be compared, and the statistics of a search cannot be computed.");
        Chosen(page, d, ordered, statistics, chosenReport);
        if (d.Directions.Length > 1)
            Pareto(page, d, ordered, constraints);
        History(page, d, ordered, constraints);
        Importance(page, statistics);
        var axes = d.Space.Parameters.Select(p => new ParameterAxis(p)).ToList();
        Parallel(page, d, axes, valued);
        Slices(page, d, axes, valued);
        Contour(page, d, axes, valued, statistics);
        Statistics(page, d, statistics);
        if (walkForward is not null)
            WalkForward(page, walkForward);
        page.Section("Trials", TrialTable(d, ordered, statistics.ChosenTrial, chosenReport),
            $"<p class=\"caption\">every trial: <a href=\"{CsvFile}\">{CsvFile}</a>, <a href=\"{JsonFile}\">{JsonFile}</a></p>");
        return page.Render();
    }

    private static void Header(ReportPage page, StudyDefinition d, IReadOnlyList<FrozenTrial> trials, ConstraintSet constraints)
    {
        var objectives = string.Join(", ", d.Objectives.Select((o, j) => $"{o} ({(d.Directions[j] == Direction.Maximize ? "higher" : "lower")} is better)"));
        page.Html($"<h1>{E(d.Name)} study</h1><p class=\"sub\">strategy {E(d.StrategyName)} <code>{E(Short(d.StrategyHash))}</code> · "
            + $"dataset {E(d.DatasetName)} <code>{E(Short(d.DataHash))}</code> · {trials.Count} trials</p>");
        var b = new StringBuilder("<table id=\"definition\">");
        Row(b, "objectives", E(objectives));
        Row(b, "constraints", constraints.Constraints.IsEmpty ? "none" : E(string.Join("; ", constraints.Constraints)));
        Row(b, "sampler", E(d.SamplerName + (d.SamplerSeed is { } seed ? $", seed {seed.ToString(Inv)}" : "")));
        Row(b, "search space", E(string.Join("; ", d.Space.Parameters.Select(TrialRules.Describe))));
        Row(b, "created", E(d.Created.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", Inv)) + " by StrategyLab " + E(d.ProgramVersion));
        foreach (var state in Enum.GetValues<TrialState>())
            Row(b, StudyExport.StateName(state) + " trials", trials.Count(t => t.State == state).ToString(Inv));
        page.Section("Definition", b.Append("</table>").ToString());
    }

    private static void Chosen(ReportPage page, StudyDefinition d, IReadOnlyList<FrozenTrial> trials, StudyStatisticsResult statistics, bool report)
    {
        if (trials.FirstOrDefault(t => t.Number == statistics.ChosenTrial) is not { } chosen)
        {
            page.Section("Best value", "<p class=\"note\" id=\"no-choice\">No complete trial has a finite " + E(d.Objectives[0])
                + " and clears the constraints, so no trial is chosen.</p>");
            return;
        }
        var b = new StringBuilder("<table id=\"chosen\">");
        Row(b, "trial", chosen.Number.ToString(Inv));
        for (var j = 0; j < d.Objectives.Length; j++)
            Row(b, E(d.Objectives[j]), "<b>" + Format(chosen.Values[j]) + "</b>");
        foreach (var (name, value) in chosen.Params)
            Row(b, E(name), E(StudyExport.Text(value)));
        var metrics = TrialMetrics.Read(chosen);
        foreach (var m in TrialMetrics.Known.Where(m => metrics.ContainsKey(m.Name) && !d.Objectives.Contains(m.Name)))
            Row(b, E(m.Name), Format(metrics[m.Name]));
        b.Append("</table>");
        var link = report
            ? $"<p><a id=\"chosen-report\" href=\"{ChosenFolder}/report.html\">The chosen trial's full backtest report</a> (ledger accounting over the whole period).</p>"
            : "<p class=\"caption\">The chosen trial's backtest report was not written with this page.</p>";
        var how = d.Directions.Length > 1
            ? $"The chosen trial is the best by {E(d.Objectives[0])}, the first objective, among those that clear the constraints; the Pareto front below shows the trade-offs."
            : "The chosen trial is the complete trial with the best value that clears every constraint (the lowest number on ties).";
        page.Section("Best value", $"<p>{how}</p>", b.ToString(), link);
    }

    private static void Pareto(ReportPage page, StudyDefinition d, IReadOnlyList<FrozenTrial> trials, ConstraintSet constraints)
    {
        var front = ParetoFront.Of(trials, d.Directions, constraints);
        if (front.Count == 0)
        {
            page.Section("Pareto front", "<p class=\"note\" id=\"pareto-empty\">No complete trial has finite values of every objective and clears the constraints.</p>");
            return;
        }
        var b = new StringBuilder("<table id=\"pareto-table\"><tr><th>trial</th>");
        foreach (var o in d.Objectives)
            b.Append("<th>").Append(E(o)).Append("</th>");
        foreach (var p in d.Space.Parameters)
            b.Append("<th>").Append(E(p.Name)).Append("</th>");
        b.Append("</tr>");
        foreach (var t in front)
        {
            b.Append("<tr><td>").Append(t.Number.ToString(Inv)).Append("</td>");
            foreach (var v in t.Values)
                b.Append("<td>").Append(Format(v)).Append("</td>");
            foreach (var p in d.Space.Parameters)
                b.Append("<td>").Append(t.Params.TryGetValue(p.Name, out var v) ? E(StudyExport.Text(v)) : "—").Append("</td>");
            b.Append("</tr>");
        }
        page.Section("Pareto front", page.Plot("pareto", StudyCharts.Pareto(d, trials, front)),
            $"<p class=\"caption\">{front.Count} trial(s) no other trial beats in every objective at once{(constraints.Constraints.IsEmpty ? "" : ", among those that clear the constraints")}.</p>",
            b.Append("</table>").ToString());
    }

    private static void History(ReportPage page, StudyDefinition d, IReadOnlyList<FrozenTrial> trials, ConstraintSet constraints)
    {
        var parts = new List<string>();
        for (var j = 0; j < d.Objectives.Length; j++)
        {
            if (trials.Count == 0)
                break;
            parts.Add(page.Plot($"history-{j}", StudyCharts.History(d, trials, j, constraints)));
        }
        if (parts.Count == 0)
            parts.Add("<p class=\"note\">The study has no trials.</p>");
        else
            parts.Add("<p class=\"caption\">Each trial's value by its number; pruned trials at the last value they reported, failed ones on the lower edge.</p>");
        page.Section("Optimization history", [.. parts]);
    }

    private static void Importance(ReportPage page, StudyStatisticsResult statistics)
    {
        if (statistics.Importance.Value is not { } importance)
        {
            page.Section("Parameter importance", Unavailable("importance", statistics.Importance.Reason));
            return;
        }
        var caption = $"Permutation importance of a gradient-boosted tree model of the first objective, cross-fitted over {importance.Trials} trials; "
            + $"out-of-fold R² {Format(importance.OutOfFoldR2)}"
            + (importance.OutOfFoldR2 > 0 ? "." : ": the model does not explain the objective, so these shares mean nothing.");
        page.Section("Parameter importance", page.Plot("importance", StudyCharts.Importance(importance)), $"<p class=\"caption\">{E(caption)}</p>");
    }

    private static void Parallel(ReportPage page, StudyDefinition d, IReadOnlyList<ParameterAxis> axes, IReadOnlyList<FrozenTrial> valued)
    {
        var all = d.Objectives.Select((_, j) => j).ToList();
        var complete = valued.Where(t => all.All(j => t.Values.Length > j && double.IsFinite(t.Values[j]))).ToList();
        var shared = axes.Where(a => complete.All(t => a.Position(t) is not null)).ToList();
        if (complete.Count == 0)
        {
            page.Section("Parallel coordinates", "<p class=\"note\">No complete trial to draw.</p>");
            return;
        }
        var left = axes.Except(shared).Select(a => a.Parameter.Name).ToList();
        page.Section("Parallel coordinates", page.Plot("parallel", StudyCharts.Parallel(d, shared, complete)),
            "<p class=\"caption\">One line per complete trial; each axis runs from its lowest value (bottom) to its highest (top); darker lines have better "
            + E(d.Objectives[0]) + "." + (left.Count > 0 ? " Left out (inactive in some trials): " + E(string.Join(", ", left)) + "." : "") + "</p>");
    }

    private static void Slices(ReportPage page, StudyDefinition d, IReadOnlyList<ParameterAxis> axes, IReadOnlyList<FrozenTrial> valued)
    {
        if (valued.Count == 0 || axes.Count == 0)
        {
            page.Section("Slices", "<p class=\"note\">No complete trial to draw.</p>");
            return;
        }
        var parts = axes.Select((a, i) => page.Plot($"slice-{i}", Slice(d, a, valued, 0))).ToList();
        parts.Add($"<p class=\"caption\">{E(d.Objectives[0])} against each parameter's value, one marker per complete trial, darker for later trials.</p>");
        page.Section("Slices", [.. parts]);
    }

    private static void Contour(ReportPage page, StudyDefinition d, IReadOnlyList<ParameterAxis> axes, IReadOnlyList<FrozenTrial> valued, StudyStatisticsResult statistics)
    {
        var numeric = axes.Where(a => a.IsNumeric).ToList();
        if (numeric.Count < 2)
            return;
        var ranked = statistics.Importance.Value is { } importance
            ? [.. numeric.OrderByDescending(a => importance.Parameters.First(p => p.Parameter == a.Parameter.Name).Share)]
            : numeric;
        var (x, y) = (ranked[0], ranked[1]);
        var which = statistics.Importance.Value is null
            ? $"the first two numeric parameters ({x.Parameter.Name}, {y.Parameter.Name}): importance is not known"
            : $"the two most important numeric parameters, {x.Parameter.Name} and {y.Parameter.Name}";
        var points = valued.Where(t => x.Position(t) is not null && y.Position(t) is not null).ToList();
        if (points.Select(t => x.Position(t)).Distinct().Count() < 2 || points.Select(t => y.Position(t)).Distinct().Count() < 2)
        {
            page.Section("Contour", $"<p class=\"note\">Too few distinct values of {E(x.Parameter.Name)} and {E(y.Parameter.Name)} among the complete trials for a contour (two of each are needed).</p>");
            return;
        }
        page.Section("Contour", page.Plot("contour", StudyCharts.Contour(d, x, y, valued)),
            $"<p class=\"caption\">{E(d.Objectives[0])} over {E(which)}, interpolated between the trials (circles).</p>");
    }

    private static void Statistics(ReportPage page, StudyDefinition d, StudyStatisticsResult s)
    {
        var period = s.FirstTime is { } first && s.LastTime is { } last
            ? $"{TimeParser.Format(first)} to {TimeParser.Format(last)}, {s.Bars} bars ({Format(s.Bars / s.BarsPerYear)} years)"
            : "no bars shared by every trial";
        var b = new StringBuilder("<table id=\"statistics\"><tr><th>statistic</th><th>value</th><th>what it means</th></tr>");
        var c = s.Chosen.Value;
        Statistic(b, "chosen trial's Sharpe (annual)", s.Chosen, v => Format(v.AnnualSharpe),
            v => $"Its per-bar Sharpe {Format(v.Moments.Sharpe)} over T = {v.Moments.Periods} bars, times √{Format(s.BarsPerYear)} bars a year; skewness {Format(v.Moments.Skewness)}, kurtosis {Format(v.Moments.Kurtosis)} (3 for normal returns).");
        Statistic(b, "probabilistic Sharpe PSR(0)", s.Chosen, v => Format(v.ProbabilisticSharpe),
            v => "The probability that the chosen trial's true Sharpe is above 0, from its own returns alone: it ignores how many trials were tried.");
        Statistic(b, "deflated Sharpe DSR", s.Deflated, v => "<b>" + Format(v.Deflated.Probability) + "</b>",
            v => $"The probability that the chosen trial's true Sharpe beats the best that N = {v.Deflated.Trials} skill-less trials would show by luck: "
                + $"SR0 = {Format(v.ExpectedMaxAnnualSharpe)} a year, given that the trials' annual Sharpe ratios vary by {Format(v.AnnualSharpeDeviation)} (√V). "
                + "Above 0.95 the chosen trial is unlikely to be luck; near 0.5 or below it may well be."
                + (s.PrunedTrials > 0 ? $" N counts complete trials only; {s.PrunedTrials} pruned trial(s) were tried too, so the true deflation is stronger." : ""));
        Statistic(b, "minimum backtest length", s.BacktestLength, v => Format(v.MinimumYears) + " years",
            v => $"With N = {v.Trials} trials, luck alone is expected to reach the chosen trial's annual Sharpe of {Format(v.TargetAnnualSharpe)} on fewer years of data than this; "
                + $"the trials were measured on {Format(v.Years)} years, "
                + (v.Years > v.MinimumYears ? "more than that." : "<b>not more</b>: the best value is within reach of luck."));
        Statistic(b, "minimum track record", s.Chosen, v => double.IsPositiveInfinity(v.MinimumTrackRecordBars) ? "∞" : Format(v.MinimumTrackRecordBars) + " bars",
            v => $"Bars of returns the chosen trial needs for 95 % confidence that its true Sharpe is above 0; it has {v.Moments.Periods}.");
        Statistic(b, "probability of backtest overfitting", s.Overfitting, v => "<b>" + Format(v.Probability) + "</b>",
            v => $"The share of {v.Splits.Length} CSCV splits of the N = {v.Trials} trials' returns (S = {v.Blocks} blocks of {v.RowsPerBlock} bars"
                + (v.RowsDropped > 0 ? $", the first {v.RowsDropped} bars left out" : "")
                + $") in which the trial best in one half ranked at or below the median in the other half. Near 0 the choice carries over out of sample; "
                + $"0.5 or more, the search picks noise. Degradation slope {Format(v.DegradationSlope)}, probability of loss out of sample {Format(v.ProbabilityOfLoss)}.");
        Statistic(b, "parameter importance", s.Importance, v => $"R² {Format(v.OutOfFoldR2)}",
            v => "How well the parameters predict the first objective out of fold (see Parameter importance above).");
        b.Append("<tr><td>walk-forward out of sample</td><td colspan=\"2\">see the walk-forward section when the study has one</td></tr>");
        b.Append("</table>");
        page.Section("Honest statistics",
            $"<p>Computed from the bar returns of every complete trial (N = {s.CompleteTrials}), re-run over the study's period and cut to the bars they share: {E(period)}. "
            + $"The chosen trial is trial {(s.ChosenTrial is { } n ? n.ToString(Inv) : "—")}. {s.PrunedTrials} pruned and {s.FailedTrials} failed trial(s) have no returns and are not counted.</p>",
            b.ToString(),
            "<p class=\"caption\">DSR: Bailey &amp; López de Prado (2014); PSR and MinTRL: Bailey &amp; López de Prado (2012); MinBTL: Bailey, Borwein, López de Prado &amp; Zhu (2014); PBO: Bailey, Borwein, López de Prado &amp; Zhu (2017). See docs/studies.md.</p>");
    }

    private static void Statistic<T>(StringBuilder b, string name, Computed<T> computed, Func<T, string> value, Func<T, string> meaning)
        where T : class
    {
        b.Append("<tr><td>").Append(E(name)).Append("</td>");
        if (computed.Value is { } v)
            b.Append("<td>").Append(value(v)).Append("</td><td class=\"meaning\" style=\"text-align:left\">").Append(meaning(v)).Append("</td></tr>");
        else
            b.Append("<td>—</td><td class=\"meaning\" style=\"text-align:left\">cannot be computed: ").Append(E(computed.Reason ?? "")).Append("</td></tr>");
    }

    private static void WalkForward(ReportPage page, WalkForwardSummary outcome)
    {
        var oos = outcome.OutOfSample;
        var b = new StringBuilder("<table id=\"walk-forward\">");
        Row(b, "bars out of sample", oos.Returns.Length.ToString(Inv));
        Row(b, "Sharpe (annual)", Format(oos.Metrics.Sharpe));
        Row(b, "total return", Format(oos.Metrics.TotalReturn));
        Row(b, "maximum drawdown", Format(oos.Metrics.MaxDrawdown));
        Row(b, "PSR(0)", Format(oos.ProbabilisticSharpe));
        b.Append("</table><table id=\"windows\"><tr><th>window</th><th>out of sample from</th><th>to</th><th>chosen parameters</th><th>in-sample value</th></tr>");
        foreach (var w in outcome.Windows)
        {
            b.Append("<tr><td>").Append(w.Window.ToString(Inv)).Append("</td><td>").Append(TimeParser.Format(w.TestStart)).Append("</td><td>")
                .Append(TimeParser.Format(w.TestEnd)).Append("</td><td>")
                .Append(E(string.Join(", ", w.Parameters.Select(p => $"{p.Key}={StudyExport.Text(p.Value)}")))).Append("</td><td>")
                .Append(Format(w.InSampleValue)).Append("</td></tr>");
        }
        var intraday = outcome.Times.Any(t => t % 86_400_000 != 0);
        var chart = outcome.Times.Length >= 2 ? page.Plot("walk-forward-growth", StudyCharts.WalkForward(outcome, intraday)) : "<p class=\"note\">Too few out-of-sample bars to draw.</p>";
        page.Section("Walk-forward out of sample", "<p>Each window's parameters were chosen on the bars before it and traded on its own; the windows' returns, joined in time order, are the honest track record.</p>",
            chart, b.Append("</table>").ToString());
    }

    private static string TrialTable(StudyDefinition d, IReadOnlyList<FrozenTrial> trials, int? chosen, bool report)
    {
        var b = new StringBuilder("<table id=\"trials\"><tr><th>trial</th><th>state</th>");
        foreach (var o in d.Objectives)
            b.Append("<th>").Append(E(o)).Append("</th>");
        foreach (var p in d.Space.Parameters)
            b.Append("<th>").Append(E(p.Name)).Append("</th>");
        b.Append("<th>seconds</th><th>worker</th><th>note</th></tr>");
        foreach (var t in trials)
        {
            var number = t.Number.ToString(Inv);
            b.Append("<tr><td>").Append(t.Number == chosen && report ? $"<a href=\"{ChosenFolder}/report.html\">{number}</a> (chosen)" : number + (t.Number == chosen ? " (chosen)" : ""))
                .Append("</td><td>").Append(StudyExport.StateName(t.State)).Append("</td>");
            for (var j = 0; j < d.Objectives.Length; j++)
                b.Append("<td>").Append(j < t.Values.Length ? Format(t.Values[j]) : "—").Append("</td>");
            foreach (var p in d.Space.Parameters)
                b.Append("<td>").Append(t.Params.TryGetValue(p.Name, out var v) ? E(StudyExport.Text(v)) : "—").Append("</td>");
            b.Append("<td>").Append(StudyExport.Duration(t) is { } s ? s.ToString("0.##", Inv) : "—").Append("</td><td>")
                .Append(E(t.Attributes.GetValueOrDefault(TrialAttributes.Worker, ""))).Append("</td><td>")
                .Append(E(Note(t))).Append("</td></tr>");
        }
        return b.Append("</table>").ToString();
    }

    private static string Note(FrozenTrial t)
    {
        var parts = new List<string>();
        if (t.Attributes.TryGetValue(TrialAttributes.RetryOf, out var retry))
            parts.Add("retry of " + retry);
        if (t.Attributes.TryGetValue(TrialAttributes.Reason, out var reason))
            parts.Add(reason);
        return string.Join("; ", parts);
    }

    private static string Unavailable(string what, string? reason) => $"<p class=\"note\">The {E(what)} cannot be computed: {E(reason ?? "")}.</p>";

    private static void Row(StringBuilder b, string name, string html) => b.Append("<tr><th>").Append(name).Append("</th><td>").Append(html).Append("</td></tr>");

    private static string Format(double x) => double.IsNaN(x) ? "—" : double.IsInfinity(x) ? (x > 0 ? "∞" : "−∞") : x.ToString("0.####", Inv);

    private static string Short(string hash) => hash.Length > 12 ? hash[..12] : hash;

    private static string E(string text) => ReportPage.Encode(text);
}
