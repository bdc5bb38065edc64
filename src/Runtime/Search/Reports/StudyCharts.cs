using System.Globalization;
using System.Text.Json.Nodes;
using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Reports;
using StrategyLab.Runtime.Search.Storage;

namespace StrategyLab.Runtime.Search.Reports;

/// <summary>
/// The figures of a study's page. Every chart is SVG (no WebGL), so it draws in any browser. A categorical
/// parameter is drawn at the index of its choice in the search space, labelled with the choice.
/// </summary>
internal static class StudyCharts
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>A parameter's axis: where each trial's value sits and how the axis is labelled.</summary>
    internal sealed record ParameterAxis(SearchParameter Parameter)
    {
        public CategoricalDistribution? Categories => Parameter.Distribution as CategoricalDistribution;

        public bool Log => Parameter.Distribution is IntDistribution { Log: true } or FloatDistribution { Log: true };

        public bool IsNumeric => Categories is null;

        /// <summary>The trial's value as a position: the number itself, or the index of the choice; null when inactive.</summary>
        public double? Position(FrozenTrial t) =>
            !t.Params.TryGetValue(Parameter.Name, out var v) ? null
            : Categories is { } c ? c.Choices.IndexOf(v) is var i and >= 0 ? i : null
            : v.IsText ? null : v.Number;

        public JsonObject Axis()
        {
            var axis = new JsonObject { ["title"] = new JsonObject { ["text"] = Parameter.Name }, ["gridcolor"] = "#eee" };
            if (Categories is { } c)
            {
                axis["tickvals"] = new JsonArray([.. Enumerable.Range(0, c.Choices.Length).Select(i => (JsonNode?)i)]);
                axis["ticktext"] = PlotlyFigure.Strings(c.Choices.Select(StudyExport.Text));
                axis["range"] = new JsonArray(-0.5, c.Choices.Length - 0.5);
            }
            else if (Log)
            {
                axis["type"] = "log";
            }
            return axis;
        }
    }

    /// <summary>Complete trials with a finite value of objective <paramref name="j"/>, by number.</summary>
    public static List<FrozenTrial> Valued(IReadOnlyList<FrozenTrial> trials, int j) =>
        [.. trials.Where(t => t.State == TrialState.Complete && t.Values.Length > j && double.IsFinite(t.Values[j])).OrderBy(t => t.Number)];

    /// <summary>
    /// Objective <paramref name="j"/> per trial by number: complete trials (those that miss a constraint apart),
    /// the best so far among those that clear every constraint, pruned trials at their last intermediate value
    /// (the first objective's), and failed trials on the chart's lower edge.
    /// </summary>
    public static PlotlyFigure History(StudyDefinition d, IReadOnlyList<FrozenTrial> trials, int j, ConstraintSet constraints)
    {
        var name = d.Objectives[j];
        var valued = Valued(trials, j);
        var feasible = valued.Where(constraints.IsSatisfiedBy).ToList();
        var missing = valued.Where(t => !constraints.IsSatisfiedBy(t)).ToList();
        var pruned = j == 0 ? trials.Where(t => t.State == TrialState.Pruned && !t.Intermediate.IsEmpty).OrderBy(t => t.Number).ToList() : [];
        var shown = valued.Select(t => t.Values[j]).Concat(pruned.Select(t => t.Intermediate.Values.Last())).ToList();
        var floor = shown.Count == 0 ? 0 : shown.Min();
        var failed = trials.Where(t => t.State == TrialState.Failed || (t.State == TrialState.Pruned && (j > 0 || t.Intermediate.IsEmpty)))
            .OrderBy(t => t.Number).ToList();
        var layout = PlotlyFigure.BaseLayout(340);
        layout["xaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = "trial" }, ["gridcolor"] = "#eee" };
        layout["yaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = name }, ["gridcolor"] = "#eee" };
        var figure = new PlotlyFigure(layout);
        figure.Add(Markers(constraints.Constraints.IsEmpty ? "complete" : "complete, clears the constraints", feasible, t => t.Values[j], "#1f77b4", "circle", name));
        if (missing.Count > 0)
            figure.Add(Markers("complete, misses a constraint", missing, t => t.Values[j], "#aaaaaa", "circle-open", name));
        if (feasible.Count > 0)
            figure.Add(BestSoFar(feasible, j, d.Directions[j]));
        if (pruned.Count > 0)
            figure.Add(Markers("pruned (last fold's value)", pruned, t => t.Intermediate.Values.Last(), "#ff7f0e", "x", name));
        if (failed.Count > 0)
            figure.Add(Markers("failed or pruned without a value (lower edge)", failed, _ => floor, "#d62728", "x-thin-open", name, Reason));
        return figure;
    }

    private static string Reason(FrozenTrial t) =>
        $"trial {t.Number}: {StudyExport.StateName(t.State)}{(t.Attributes.TryGetValue(TrialAttributes.Reason, out var r) ? " — " + r : "")}";

    private static JsonObject Markers(string label, IReadOnlyList<FrozenTrial> trials, Func<FrozenTrial, double> y, string color, string symbol, string name,
        Func<FrozenTrial, string>? text = null) => new()
        {
            ["type"] = "scatter",
            ["mode"] = "markers",
            ["name"] = label,
            ["x"] = new JsonArray([.. trials.Select(t => (JsonNode?)t.Number)]),
            ["y"] = new JsonArray([.. trials.Select(t => PlotlyFigure.Number(y(t), 10))]),
            ["text"] = PlotlyFigure.Strings(trials.Select(text ?? (t => $"trial {t.Number}"))),
            ["marker"] = new JsonObject { ["color"] = color, ["symbol"] = symbol, ["size"] = 8 },
            ["hovertemplate"] = text is null ? $"%{{text}}: {name} %{{y:.4g}}<extra></extra>" : "%{text}<extra></extra>",
        };

    private static JsonObject BestSoFar(IReadOnlyList<FrozenTrial> feasible, int j, Direction direction)
    {
        var best = double.NaN;
        var ys = new List<double>();
        foreach (var t in feasible)
        {
            var v = t.Values[j];
            best = double.IsNaN(best) || (direction == Direction.Maximize ? v > best : v < best) ? v : best;
            ys.Add(best);
        }
        return new JsonObject
        {
            ["type"] = "scatter",
            ["mode"] = "lines",
            ["name"] = "best so far",
            ["x"] = new JsonArray([.. feasible.Select(t => (JsonNode?)t.Number)]),
            ["y"] = PlotlyFigure.Numbers(ys.ToArray(), 10),
            ["line"] = new JsonObject { ["shape"] = "hv", ["color"] = "#2ca02c" },
            ["hovertemplate"] = "best so far %{y:.4g}<extra></extra>",
        };
    }

    /// <summary>Each parameter's share of the permutation importance, most important on top.</summary>
    public static PlotlyFigure Importance(Statistics.ParameterImportance importance)
    {
        var scores = importance.Parameters.OrderBy(p => p.Share).ToList();
        var layout = PlotlyFigure.BaseLayout(Math.Max(200, 60 + (36 * scores.Count)));
        layout["xaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = "share of importance" }, ["gridcolor"] = "#eee", ["range"] = new JsonArray(0, 1) };
        layout["yaxis"] = new JsonObject { ["type"] = "category", ["automargin"] = true };
        return new PlotlyFigure(layout).Add(new JsonObject
        {
            ["type"] = "bar",
            ["orientation"] = "h",
            ["name"] = "importance",
            ["x"] = new JsonArray([.. scores.Select(s => PlotlyFigure.Number(s.Share))]),
            ["y"] = PlotlyFigure.Strings(scores.Select(s => s.Parameter)),
            ["marker"] = new JsonObject { ["color"] = "#1f77b4" },
            ["hovertemplate"] = "%{y}: %{x:.1%}<extra></extra>",
        });
    }

    /// <summary>
    /// Parallel coordinates: one line per complete trial through every parameter (active in all of them) and
    /// every objective, each axis scaled to its own range (a log parameter on a log scale), darker the better the
    /// first objective; drawn as SVG lines with the axes' ranges written at their ends.
    /// </summary>
    public static PlotlyFigure Parallel(StudyDefinition d, IReadOnlyList<ParameterAxis> axes, IReadOnlyList<FrozenTrial> valued)
    {
        var dims = new List<(string Name, Func<FrozenTrial, double> Raw, bool Log, IReadOnlyList<string>? Labels)>();
        foreach (var a in axes)
            dims.Add((a.Parameter.Name, t => a.Position(t)!.Value, a.Log, a.Categories?.Choices.Select(StudyExport.Text).ToList()));
        for (var j = 0; j < d.Objectives.Length; j++)
        {
            var k = j;
            dims.Add((d.Objectives[j], t => t.Values[k], false, null));
        }
        var scale = dims.Select(x => Scale(valued.Select(x.Raw).ToList(), x.Log, x.Labels)).ToList();
        var layout = PlotlyFigure.BaseLayout(380);
        layout["showlegend"] = false;
        layout["xaxis"] = new JsonObject
        {
            ["tickvals"] = new JsonArray([.. Enumerable.Range(0, dims.Count).Select(i => (JsonNode?)i)]),
            ["ticktext"] = PlotlyFigure.Strings(dims.Select(x => x.Name)),
            ["range"] = new JsonArray(-0.3, dims.Count - 0.7),
            ["showgrid"] = false,
            ["zeroline"] = false,
        };
        layout["yaxis"] = new JsonObject { ["range"] = new JsonArray(-0.08, 1.08), ["showticklabels"] = false, ["showgrid"] = false, ["zeroline"] = false };
        layout["shapes"] = new JsonArray([.. Enumerable.Range(0, dims.Count).Select(i => (JsonNode)new JsonObject
        {
            ["type"] = "line", ["x0"] = i, ["x1"] = i, ["y0"] = 0, ["y1"] = 1, ["line"] = new JsonObject { ["color"] = "#444", ["width"] = 1 },
        })]);
        layout["annotations"] = new JsonArray([.. scale.SelectMany((s, i) => s.Ticks.Select(tick => (JsonNode)new JsonObject
        {
            ["x"] = i, ["y"] = tick.At, ["text"] = tick.Label, ["showarrow"] = false, ["xanchor"] = "left", ["xshift"] = 4,
            ["font"] = new JsonObject { ["size"] = 10, ["color"] = "#555" },
        }))]);
        var rank = Ranks(valued, d.Directions[0]);
        var figure = new PlotlyFigure(layout);
        for (var i = 0; i < valued.Count; i++)
        {
            var t = valued[i];
            figure.Add(new JsonObject
            {
                ["type"] = "scatter",
                ["mode"] = "lines+markers",
                ["name"] = $"trial {t.Number}",
                ["x"] = new JsonArray([.. Enumerable.Range(0, dims.Count).Select(k => (JsonNode?)k)]),
                ["y"] = new JsonArray([.. dims.Select((x, k) => PlotlyFigure.Number(scale[k].Map(x.Raw(t))))]),
                ["text"] = PlotlyFigure.Strings(dims.Select(x => $"trial {t.Number}: {x.Name} = {Show(x.Raw(t), x.Labels)}")),
                ["line"] = new JsonObject { ["color"] = Shade(rank[i]), ["width"] = 1.5 },
                ["marker"] = new JsonObject { ["size"] = 4, ["color"] = Shade(rank[i]) },
                ["hovertemplate"] = "%{text}<extra></extra>",
            });
        }
        return figure;
    }

    private sealed record AxisScale(Func<double, double> Map, IReadOnlyList<(double At, string Label)> Ticks);

    // maps an axis's values onto [0, 1]: categories by index, numbers (log numbers by their log) from min to max
    private static AxisScale Scale(IReadOnlyList<double> values, bool log, IReadOnlyList<string>? labels)
    {
        if (labels is not null)
        {
            var span = Math.Max(1, labels.Count - 1);
            double At(double i) => labels.Count == 1 ? 0.5 : i / span;
            return new AxisScale(At, [.. labels.Select((l, i) => (At(i), l))]);
        }
        Func<double, double> f = log ? Math.Log : x => x;
        var lo = values.Count == 0 ? 0 : values.Min(f);
        var hi = values.Count == 0 ? 0 : values.Max(f);
        double Map(double x) => hi > lo ? (f(x) - lo) / (hi - lo) : 0.5;
        var min = values.Count == 0 ? 0 : values.Min();
        var max = values.Count == 0 ? 0 : values.Max();
        return new AxisScale(Map, hi > lo ? [(0, Short(min)), (1, Short(max))] : [(0.5, Short(min))]);
    }

    private static string Show(double x, IReadOnlyList<string>? labels) => labels is not null ? labels[(int)x] : Short(x);

    private static string Short(double x) => x.ToString("0.####", Inv);

    // 0 for the best trial by the first objective, 1 for the worst
    private static double[] Ranks(IReadOnlyList<FrozenTrial> valued, Direction direction)
    {
        var order = valued.Select((t, i) => (t.Values[0], i)).OrderBy(x => direction == Direction.Maximize ? -x.Item1 : x.Item1).Select(x => x.i).ToList();
        var rank = new double[valued.Count];
        for (var k = 0; k < order.Count; k++)
            rank[order[k]] = order.Count > 1 ? k / (double)(order.Count - 1) : 0;
        return rank;
    }

    // dark blue for the best, light for the worst
    private static string Shade(double rank)
    {
        var (r0, g0, b0) = (8, 48, 107);
        var (r1, g1, b1) = (198, 219, 239);
        int Mix(int a, int b) => (int)Math.Round(a + ((b - a) * rank));
        return $"rgb({Mix(r0, r1)},{Mix(g0, g1)},{Mix(b0, b1)})";
    }

    /// <summary>Objective <paramref name="j"/> against one parameter's value, one marker per complete trial, coloured by trial number.</summary>
    public static PlotlyFigure Slice(StudyDefinition d, ParameterAxis axis, IReadOnlyList<FrozenTrial> valued, int j)
    {
        var points = valued.Where(t => axis.Position(t) is not null).ToList();
        var layout = PlotlyFigure.BaseLayout(300);
        layout["xaxis"] = axis.Axis();
        layout["yaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = d.Objectives[j] }, ["gridcolor"] = "#eee" };
        layout["showlegend"] = false;
        return new PlotlyFigure(layout).Add(new JsonObject
        {
            ["type"] = "scatter",
            ["mode"] = "markers",
            ["name"] = d.Objectives[j],
            ["x"] = new JsonArray([.. points.Select(t => PlotlyFigure.Number(axis.Position(t)!.Value, 10))]),
            ["y"] = new JsonArray([.. points.Select(t => PlotlyFigure.Number(t.Values[j], 10))]),
            ["text"] = PlotlyFigure.Strings(points.Select(t => $"trial {t.Number}: {axis.Parameter.Name} = {StudyExport.Text(t.Params[axis.Parameter.Name])}")),
            ["marker"] = new JsonObject
            {
                ["size"] = 8,
                ["color"] = new JsonArray([.. points.Select(t => (JsonNode?)t.Number)]),
                ["colorscale"] = "Blues",
                ["showscale"] = true,
                ["colorbar"] = new JsonObject { ["title"] = new JsonObject { ["text"] = "trial" }, ["thickness"] = 12 },
            },
            ["hovertemplate"] = $"%{{text}}: {d.Objectives[j]} %{{y:.4g}}<extra></extra>",
        });
    }

    /// <summary>
    /// The first objective over two numeric parameters: a contour interpolated between the trials (the best value
    /// where two trials share a point), with the trials on top.
    /// </summary>
    public static PlotlyFigure Contour(StudyDefinition d, ParameterAxis x, ParameterAxis y, IReadOnlyList<FrozenTrial> valued)
    {
        var maximize = d.Directions[0] == Direction.Maximize;
        var cells = valued.Where(t => x.Position(t) is not null && y.Position(t) is not null)
            .GroupBy(t => (X: x.Position(t)!.Value, Y: y.Position(t)!.Value))
            .Select(g => (g.Key.X, g.Key.Y, Z: maximize ? g.Max(t => t.Values[0]) : g.Min(t => t.Values[0])))
            .OrderBy(c => c.Y).ThenBy(c => c.X).ToList();
        var layout = PlotlyFigure.BaseLayout(420);
        layout["xaxis"] = x.Axis();
        layout["yaxis"] = y.Axis();
        var figure = new PlotlyFigure(layout).Add(new JsonObject
        {
            ["type"] = "contour",
            ["name"] = d.Objectives[0],
            ["x"] = new JsonArray([.. cells.Select(c => PlotlyFigure.Number(c.X, 10))]),
            ["y"] = new JsonArray([.. cells.Select(c => PlotlyFigure.Number(c.Y, 10))]),
            ["z"] = new JsonArray([.. cells.Select(c => PlotlyFigure.Number(c.Z, 10))]),
            ["connectgaps"] = true,
            ["colorscale"] = maximize ? "Viridis" : "Viridis_r",
            ["colorbar"] = new JsonObject { ["title"] = new JsonObject { ["text"] = d.Objectives[0] }, ["thickness"] = 12 },
            ["hovertemplate"] = $"{x.Parameter.Name} %{{x}}, {y.Parameter.Name} %{{y}}: {d.Objectives[0]} %{{z:.4g}}<extra></extra>",
        });
        var points = valued.Where(t => x.Position(t) is not null && y.Position(t) is not null).ToList();
        return figure.Add(new JsonObject
        {
            ["type"] = "scatter",
            ["mode"] = "markers",
            ["name"] = "trials",
            ["x"] = new JsonArray([.. points.Select(t => PlotlyFigure.Number(x.Position(t)!.Value, 10))]),
            ["y"] = new JsonArray([.. points.Select(t => PlotlyFigure.Number(y.Position(t)!.Value, 10))]),
            ["text"] = PlotlyFigure.Strings(points.Select(t => $"trial {t.Number}: {d.Objectives[0]} {t.Values[0].ToString("0.####", Inv)}")),
            ["marker"] = new JsonObject { ["color"] = "#000", ["size"] = 6, ["symbol"] = "circle-open" },
            ["hovertemplate"] = "%{text}<extra></extra>",
        });
    }

    /// <summary>The first two objectives of every complete trial, the Pareto front highlighted and joined.</summary>
    public static PlotlyFigure Pareto(StudyDefinition d, IReadOnlyList<FrozenTrial> trials, IReadOnlyList<FrozenTrial> front)
    {
        var all = trials.Where(t => t.State == TrialState.Complete && t.Values.Length >= 2 && double.IsFinite(t.Values[0]) && double.IsFinite(t.Values[1])).ToList();
        var numbers = front.Select(t => t.Number).ToHashSet();
        var rest = all.Where(t => !numbers.Contains(t.Number)).ToList();
        var joined = front.OrderBy(t => t.Values[0]).ToList();
        var layout = PlotlyFigure.BaseLayout(400);
        layout["xaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = $"{d.Objectives[0]} ({StudyExport.DirectionName(d.Directions[0])})" }, ["gridcolor"] = "#eee" };
        layout["yaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = $"{d.Objectives[1]} ({StudyExport.DirectionName(d.Directions[1])})" }, ["gridcolor"] = "#eee" };
        JsonObject Trace(string name, IReadOnlyList<FrozenTrial> ts, string mode, string color, int size) => new()
        {
            ["type"] = "scatter",
            ["mode"] = mode,
            ["name"] = name,
            ["x"] = new JsonArray([.. ts.Select(t => PlotlyFigure.Number(t.Values[0], 10))]),
            ["y"] = new JsonArray([.. ts.Select(t => PlotlyFigure.Number(t.Values[1], 10))]),
            ["text"] = PlotlyFigure.Strings(ts.Select(t => $"trial {t.Number}")),
            ["marker"] = new JsonObject { ["color"] = color, ["size"] = size },
            ["line"] = new JsonObject { ["color"] = color, ["shape"] = "hv" },
            ["hovertemplate"] = $"%{{text}}: {d.Objectives[0]} %{{x:.4g}}, {d.Objectives[1]} %{{y:.4g}}<extra></extra>",
        };
        return new PlotlyFigure(layout)
            .Add(Trace("other trials", rest, "markers", "#9ecae1", 7))
            .Add(Trace("Pareto front", joined, "lines+markers", "#d62728", 10));
    }

    /// <summary>The growth of 1 over the stitched out-of-sample returns, a dotted line where each window starts.</summary>
    public static PlotlyFigure WalkForward(WalkForwardSummary outcome, bool intraday)
    {
        var growth = new double[outcome.OutOfSample.Returns.Length];
        var value = 1.0;
        for (var i = 0; i < growth.Length; i++)
            growth[i] = value *= 1 + outcome.OutOfSample.Returns[i];
        var layout = PlotlyFigure.BaseLayout(320);
        layout["xaxis"] = PlotlyFigure.TimeAxis(intraday);
        layout["yaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = "growth of 1" }, ["gridcolor"] = "#eee" };
        layout["shapes"] = new JsonArray([.. outcome.OutOfSample.FoldStarts.Where(s => s < outcome.Times.Length).Select(s => (JsonNode)new JsonObject
        {
            ["type"] = "line", ["xref"] = "x", ["yref"] = "paper", ["x0"] = outcome.Times[s], ["x1"] = outcome.Times[s], ["y0"] = 0, ["y1"] = 1,
            ["line"] = new JsonObject { ["color"] = "#999", ["dash"] = "dot", ["width"] = 1 },
        })]);
        return new PlotlyFigure(layout).Add(new JsonObject
        {
            ["type"] = "scatter",
            ["mode"] = "lines",
            ["name"] = "out of sample",
            ["x"] = PlotlyFigure.Times(outcome.Times.AsSpan()),
            ["y"] = PlotlyFigure.Numbers(growth),
            ["hovertemplate"] = "%{x}: %{y:.4f}<extra></extra>",
        });
    }
}
