using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Reports;

namespace StrategyLab.Runtime.Search;

/// <summary>
/// Writes a sweep to its folder: <c>sweep.csv</c> and <c>sweep.json</c> (every trial, best first),
/// <c>trials/NUMBER.json</c> (one trial's metrics, parameters and warnings) and <c>sweep.html</c>: the
/// objective over each pair of swept parameters as a heatmap (the best value over the other swept
/// parameters), or along the one swept parameter, and the trials' table with each row linked to its
/// metrics. The page works offline from the folder.
/// </summary>
public static class SweepFolder
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes <paramref name="sweep"/> of a strategy on a dataset into <paramref name="folder"/> (created if missing).</summary>
    public static void Write(string folder, string strategy, string dataset, SweepResult sweep)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        Directory.CreateDirectory(Path.Combine(folder, "trials"));
        File.WriteAllText(Path.Combine(folder, "sweep.csv"), Csv(sweep));
        File.WriteAllText(Path.Combine(folder, "sweep.json"), Document(strategy, dataset, sweep).ToJsonString(Json));
        foreach (var trial in sweep.Trials)
            File.WriteAllText(Path.Combine(folder, "trials", $"{trial.Number}.json"), TrialJson(trial).ToJsonString(Json));
        File.WriteAllText(Path.Combine(folder, "sweep.html"), Page(strategy, dataset, sweep));
        PlotlyScript.WriteTo(folder);
    }

    private static string Csv(SweepResult sweep)
    {
        var metrics = TrialMetrics.Known.Select(m => m.Name).ToList();
        var b = new StringBuilder(string.Join(',', ["rank", "trial", .. sweep.Axes.Select(a => a.Name), .. metrics, "error"])).Append('\n');
        var rank = 0;
        foreach (var t in sweep.Trials)
        {
            b.Append(t.Outcome is null ? "" : (++rank).ToString(Inv)).Append(',').Append(t.Number.ToString(Inv));
            foreach (var a in sweep.Axes)
                b.Append(',').Append(Cell(t, a.Name));
            foreach (var m in metrics)
                b.Append(',').Append(t.Outcome is { } o && !double.IsNaN(o.Metrics[m]) ? o.Metrics[m].ToString("R", Inv) : "");
            b.Append(',').Append(t.Error is null ? "" : '"' + t.Error.Replace("\"", "\"\"", StringComparison.Ordinal) + '"').Append('\n');
        }
        return b.ToString();
    }

    private static JsonObject Document(string strategy, string dataset, SweepResult sweep) => new()
    {
        ["strategy"] = strategy,
        ["dataset"] = dataset,
        ["objective"] = sweep.Objective.Metric,
        ["direction"] = sweep.Objective.Direction == Direction.Maximize ? "maximize" : "minimize",
        ["accounting"] = sweep.Accounting == Accounting.Ledger ? "ledger" : "weights",
        ["combinations"] = sweep.Combinations,
        ["finished"] = sweep.Trials.Count,
        ["stopped"] = sweep.Stopped,
        ["axes"] = new JsonArray([.. sweep.Axes.Select(a => (JsonNode)new JsonObject
        {
            ["name"] = a.Name,
            ["values"] = new JsonArray([.. a.Values.Select(Value)]),
        })]),
        ["trials"] = new JsonArray([.. sweep.Trials.Select(t => (JsonNode)TrialJson(t))]),
    };

    private static JsonObject TrialJson(SweepTrial t) => new()
    {
        ["trial"] = t.Number,
        ["parameters"] = new JsonObject(t.Swept.Select(p => KeyValuePair.Create(p.Key, Value(p.Value)))),
        ["metrics"] = t.Outcome is { } o ? new JsonObject(o.Metrics.Select(m => KeyValuePair.Create(m.Key, PlotlyFigure.Number(m.Value, 17)))) : null,
        ["warnings"] = t.Outcome is { } w ? new JsonArray([.. w.Warnings.Select(x => (JsonNode?)x)]) : null,
        ["error"] = t.Error,
    };

    private static JsonNode? Value(ScalarValue v) => v.IsText ? v.Text : PlotlyFigure.Number(v.Number, 17);

    private static string Text(ScalarValue v) => v.IsText ? v.Text! : v.Number.ToString("R", Inv);

    private static string Page(string strategy, string dataset, SweepResult sweep)
    {
        var objective = sweep.Objective.Metric;
        var page = new ReportPage(strategy + " — StrategyLab sweep");
        page.Html($"<h1>{ReportPage.Encode(strategy)} sweep</h1><p class=\"sub\">dataset {ReportPage.Encode(dataset)} · "
            + $"{sweep.Trials.Count} of {sweep.Combinations} combinations · objective {ReportPage.Encode(objective)} "
            + $"({(sweep.Objective.Direction == Direction.Maximize ? "higher" : "lower")} is better) · "
            + $"{(sweep.Accounting == Accounting.Ledger ? "ledger" : "research (weights)")} accounting</p>");
        if (sweep.Stopped)
            page.Warning($"The sweep was stopped: {sweep.Combinations - sweep.Trials.Count} combination(s) did not run.");
        var axes = sweep.Axes;
        if (axes.Count == 1)
            page.Section($"{objective} by {axes[0].Name}", page.Plot("line", Line(sweep, axes[0])));
        for (var i = 0; i < axes.Count; i++)
        {
            for (var j = i + 1; j < axes.Count; j++)
                page.Section($"{objective} by {axes[i].Name} and {axes[j].Name}", page.Plot($"heat-{i}-{j}", Heatmap(sweep, axes[i], axes[j])),
                    axes.Count > 2 ? "<p class=\"caption\">each cell: the best value over the other swept parameters</p>" : "");
        }
        page.Section("Trials", Table(sweep));
        return page.Render();
    }

    // the objective's best value at each cell of two axes, over every other swept parameter
    private static PlotlyFigure Heatmap(SweepResult sweep, SweepAxis x, SweepAxis y)
    {
        var z = new JsonArray();
        foreach (var yv in y.Values)
        {
            var row = new JsonArray();
            foreach (var xv in x.Values)
                row.Add(PlotlyFigure.Number(Best(sweep, t => Has(t, x.Name, xv) && Has(t, y.Name, yv))));
            z.Add(row);
        }
        var layout = PlotlyFigure.BaseLayout(360);
        layout["xaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = x.Name }, ["type"] = "category" };
        layout["yaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = y.Name }, ["type"] = "category" };
        return new PlotlyFigure(layout).Add(new JsonObject
        {
            ["type"] = "heatmap",
            ["name"] = sweep.Objective.Metric,
            ["x"] = PlotlyFigure.Strings(x.Values.Select(Text)),
            ["y"] = PlotlyFigure.Strings(y.Values.Select(Text)),
            ["z"] = z,
            ["colorscale"] = sweep.Objective.Direction == Direction.Maximize ? "Viridis" : "Viridis_r",
            ["hoverongaps"] = false,
            ["hovertemplate"] = $"{x.Name} %{{x}}, {y.Name} %{{y}}: {sweep.Objective.Metric} %{{z:.4g}}<extra></extra>",
        });
    }

    private static PlotlyFigure Line(SweepResult sweep, SweepAxis axis)
    {
        var layout = PlotlyFigure.BaseLayout(320);
        layout["xaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = axis.Name }, ["type"] = "category" };
        return new PlotlyFigure(layout).Add(new JsonObject
        {
            ["type"] = "scatter",
            ["mode"] = "lines+markers",
            ["name"] = sweep.Objective.Metric,
            ["x"] = PlotlyFigure.Strings(axis.Values.Select(Text)),
            ["y"] = new JsonArray([.. axis.Values.Select(v => PlotlyFigure.Number(Best(sweep, t => Has(t, axis.Name, v))))]),
            ["hovertemplate"] = $"{axis.Name} %{{x}}: {sweep.Objective.Metric} %{{y:.4g}}<extra></extra>",
        });
    }

    // a swept parameter whose condition failed in a trial has no value there: an empty cell, and no heatmap cell
    private static string Cell(SweepTrial t, string name) => t.Swept.TryGetValue(name, out var v) ? Text(v) : "";

    private static bool Has(SweepTrial t, string name, ScalarValue value) => t.Swept.TryGetValue(name, out var v) && v == value;

    private static double Best(SweepResult sweep, Func<SweepTrial, bool> cell)
    {
        var values = sweep.Trials.Where(t => t.Outcome is not null && cell(t)).Select(t => t.Outcome!.Metrics[sweep.Objective.Metric]).ToList();
        return values.Count == 0 ? double.NaN : values.Order(Comparer<double>.Create(sweep.Objective.Compare)).First();
    }

    private static string Table(SweepResult sweep)
    {
        var metrics = TrialMetrics.Known.Select(m => m.Name).ToList();
        var b = new StringBuilder("<table id=\"trials\"><tr><th>rank</th><th>trial</th>");
        foreach (var name in sweep.Axes.Select(a => a.Name).Concat(metrics))
            b.Append("<th>").Append(ReportPage.Encode(name)).Append("</th>");
        b.Append("</tr>");
        var rank = 0;
        foreach (var t in sweep.Trials.Take(1000))
        {
            b.Append("<tr><td>").Append(t.Outcome is null ? "" : (++rank).ToString(Inv)).Append("</td><td><a href=\"trials/")
                .Append(t.Number.ToString(Inv)).Append(".json\">").Append(t.Number.ToString(Inv)).Append("</a></td>");
            foreach (var a in sweep.Axes)
                b.Append("<td>").Append(ReportPage.Encode(Cell(t, a.Name))).Append("</td>");
            if (t.Outcome is { } o)
            {
                foreach (var m in metrics)
                    b.Append("<td>").Append(double.IsNaN(o.Metrics[m]) ? "—" : o.Metrics[m].ToString("0.####", Inv)).Append("</td>");
            }
            else
            {
                b.Append("<td colspan=\"").Append(metrics.Count.ToString(Inv)).Append("\">").Append(ReportPage.Encode(t.Error ?? "")).Append("</td>");
            }
            b.Append("</tr>");
        }
        return b.Append("</table>").ToString();
    }
}
