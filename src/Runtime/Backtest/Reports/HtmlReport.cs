using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using StrategyLab.Runtime.Data.Csv;
using StrategyLab.Runtime.Reports;

namespace StrategyLab.Runtime.Backtest.Reports;

/// <summary>
/// Renders a run as an HTML page that draws its charts with the vendored plotly.js beside it (see
/// <see cref="ReportPage"/>): warnings, notes, summary, equity against the benchmark (linear or log
/// scale), drawdown, a heatmap of monthly returns, returns by year, exposure, contribution by asset, the
/// signal's quantiles, each traded asset's closes with the strategy's entries and exits, and the trades.
/// Every chart zooms and shows values on hover. Series longer than <see cref="MaxBars"/> bars are thinned
/// for drawing (each bucket keeps its first, lowest and highest value; the price chart its lowest and
/// highest close), so a long minute run stays a page a browser opens quickly.
/// </summary>
public static class HtmlReport
{
    /// <summary>Series up to this many bars are drawn whole.</summary>
    public const int MaxBars = 5000;

    // buckets of a thinned series: up to three points each
    private const int Buckets = 2000;
    private const int MaxTradeRows = 1000;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The page for <paramref name="report"/>; it loads <see cref="PlotlyScript.FileName"/> from its own folder.</summary>
    public static string Render(BacktestReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var m = report.Manifest;
        var page = new ReportPage(m.Strategy + " — StrategyLab backtest");
        page.Html("<h1>" + E(m.Strategy) + "</h1><p class=\"sub\">dataset " + E(m.Dataset) + " · " + Span(report.Times)
            + " · fills " + E(m.FillTiming) + " · " + E(m.Accounting) + " accounting</p>");
        foreach (var warning in report.Warnings)
            page.Warning(warning);
        foreach (var note in report.Notes)
            page.Note(note);
        page.Html(Summary(report));

        var intraday = report.Times.Any(t => t % 86_400_000L != 0);
        var equity = Normalised(report.Equity, report.Returns);
        if (report.Times.Length < 2)
        {
            page.Html("<p class=\"empty\">not enough bars to draw</p>");
        }
        else
        {
            page.Section("Equity", page.Plot("equity", EquityFigure(report, equity, intraday)), Caption(report.Times.Length));
            page.Section("Drawdown", page.Plot("drawdown", DrawdownFigure(report.Times, equity, intraday)));
        }
        var months = Breakdown.Of(report, BreakdownPeriod.Month);
        if (months.Length > 0)
            page.Section("Monthly returns", page.Plot("monthly", MonthlyFigure(months)));
        page.Section("Returns by year", YearTable(report));
        if (report.Times.Length >= 2)
            page.Section("Exposure", page.Plot("exposure", ExposureFigure(report, intraday)));
        if (report.Contributions.Length > 0)
            page.Section("Contribution by asset", page.Plot("contribution", ContributionFigure(report)),
                "<p class=\"caption\">Each asset's trades' P&amp;L as a share of the initial capital; click a bar to see the asset's prices below.</p>");
        if (report.Quantiles.Length > 0)
            page.Section("Mean forward return by signal quantile", page.Plot("quantiles", QuantileFigure(report)));
        if (report.Prices.Length > 0 && report.Times.Length >= 2)
            Prices(page, report, intraday);
        page.Section("Trades", TradesTable(report));
        page.Html(Manifest(m));
        return page.Render();
    }

    private static string Span(long[] times) =>
        times.Length > 0 ? $"{TimeParser.Format(times[0])} to {TimeParser.Format(times[^1])}" : "no bars";

    private static string Caption(int bars) => bars > MaxBars
        ? string.Create(Inv, $"<p class=\"caption\">{bars:N0} bars, drawn as {Buckets:N0} buckets that each keep their first, lowest and highest value; equity.csv has every bar.</p>")
        : "";

    private static string Summary(BacktestReport r)
    {
        var m = r.Metrics;
        var bm = r.BenchmarkMetrics;
        var t = r.TradeStatistics;
        // the annualised figures of a series shorter than a month extrapolate it: marked, as the note says
        string A(PerformanceMetrics? x, Func<PerformanceMetrics, string> value) =>
            x is null ? "<td></td>"
            : x.SpansLessThanAMonth()
                ? string.Create(Inv, $"<td class=\"extrapolated\" title=\"extrapolated to a year from {x.Bars / x.PeriodsPerYear * 365:0.#} days\">{value(x)}*</td>")
                : "<td>" + value(x) + "</td>";
        string C(PerformanceMetrics? x, Func<PerformanceMetrics, string> value) => "<td>" + (x is null ? "" : value(x)) + "</td>";
        var rows = new List<(string Name, string Strategy, string Benchmark)>
        {
            ("Total return", C(m, x => P(x.TotalReturn)), C(bm, x => P(x.TotalReturn))),
            ("Annualised return", A(m, x => P(x.AnnualizedReturn)), A(bm, x => P(x.AnnualizedReturn))),
            ("Annualised volatility", A(m, x => P(x.AnnualizedVolatility)), A(bm, x => P(x.AnnualizedVolatility))),
            ("Sharpe", A(m, x => F(x.Sharpe)), A(bm, x => F(x.Sharpe))),
            ("Sortino", A(m, x => F(x.Sortino)), A(bm, x => F(x.Sortino))),
            ("Calmar", A(m, x => F(x.Calmar)), A(bm, x => F(x.Calmar))),
            ("Max drawdown", C(m, x => P(x.MaxDrawdown)), C(bm, x => P(x.MaxDrawdown))),
            ("Longest drawdown (bars)", C(m, x => x.MaxDrawdownBars.ToString(Inv)), C(bm, x => x.MaxDrawdownBars.ToString(Inv))),
            ("Trades (closed / open)", $"<td>{t.Closed} / {t.Open}</td>", "<td></td>"),
            ("Win rate", $"<td>{P(t.WinRate)}</td>", "<td></td>"),
            ("Profit factor", $"<td>{F(t.ProfitFactor)}</td>", "<td></td>"),
            ("Average trade", $"<td>{F(t.AverageTrade)}</td>", "<td></td>"),
            ("Turnover per bar", $"<td>{P(Mean(r.Turnover))}</td>", "<td></td>"),
            ("Average gross exposure", $"<td>{P(Mean(r.GrossExposure))}</td>", "<td></td>"),
        };
        if (r.SignalAnalysis is { } s)
        {
            rows.Add(("Signal IC (mean per period)", $"<td>{F(s.InformationCoefficient.PerPeriod.Mean)}</td>", "<td></td>"));
            rows.Add(("Signal IC t-statistic", $"<td>{F(s.InformationCoefficient.PerPeriod.TStatistic)}</td>", "<td></td>"));
            rows.Add(("Directional accuracy", $"<td>{P(s.DirectionalAccuracy.Accuracy)}</td>", "<td></td>"));
        }
        var b = new StringBuilder("<table class=\"summary\"><tr><th></th><th>strategy</th><th>").Append(E(r.BenchmarkName ?? "")).Append("</th></tr>");
        foreach (var (name, strategy, benchmark) in rows)
            b.Append("<tr><td>").Append(name).Append("</td>").Append(strategy).Append(benchmark).Append("</tr>");
        return b.Append("</table>").ToString();
    }

    private static double Mean(double[] values) => values.Length > 0 ? values.Average() : double.NaN;

    private static PlotlyFigure EquityFigure(BacktestReport r, double[] equity, bool intraday)
    {
        var layout = TimeLayout(360, intraday);
        layout["yaxis"] = new JsonObject { ["title"] = Title("growth of 1"), ["type"] = "linear", ["gridcolor"] = "#eee" };
        WithScaleButtons(layout);
        var figure = new PlotlyFigure(layout).Add(Line("strategy", r.Times, equity, "#1f5fbf", "%{y:.4f}"));
        if (r.BenchmarkReturns is { } bench)
            figure.Add(Line(r.BenchmarkName ?? "benchmark", r.Times, Compound(bench), "#d9822b", "%{y:.4f}"));
        return figure;
    }

    // the y axis linear or log, by plotly.js's own buttons above the plot's top right, below the tool bar
    private static void WithScaleButtons(JsonObject layout)
    {
        layout["margin"]!["t"] = 72;
        layout["updatemenus"] = new JsonArray(ScaleButtons());
    }

    private static JsonObject ScaleButtons()
    {
        JsonObject Button(string label, string type) => new()
        {
            ["label"] = label,
            ["method"] = "relayout",
            ["args"] = new JsonArray(new JsonObject { ["yaxis.type"] = type }),
        };
        return new JsonObject
        {
            ["type"] = "buttons",
            ["direction"] = "left",
            ["showactive"] = true,
            ["active"] = 0,
            ["x"] = 1,
            ["xanchor"] = "right",
            ["y"] = 1.02,
            ["yanchor"] = "bottom",
            ["pad"] = new JsonObject { ["r"] = 0, ["t"] = 0 },
            ["buttons"] = new JsonArray(Button("linear", "linear"), Button("log scale", "log")),
        };
    }

    // an area from 0 down to the drawdown, in percent: no outline to close, and plotly.js picks round ticks
    private static PlotlyFigure DrawdownFigure(long[] times, double[] equity, bool intraday)
    {
        var layout = TimeLayout(260, intraday);
        layout["yaxis"] = PlotlyFigure.PercentAxis("below the peak");
        layout["showlegend"] = false;
        var trace = Line("drawdown", times, Percent(Drawdown(equity)), "#d9534f", "%{y:.2f}%");
        trace["fill"] = "tozeroy";
        trace["fillcolor"] = "rgba(217,83,79,0.25)";
        return new PlotlyFigure(layout).Add(trace);
    }

    private static PlotlyFigure MonthlyFigure(System.Collections.Immutable.ImmutableArray<BreakdownRow> months)
    {
        var years = months.Select(r => DateTimeOffset.FromUnixTimeMilliseconds(r.Start).Year).Distinct().ToList();
        JsonArray z = [], text = [];
        foreach (var year in years)
        {
            var row = new double[12];
            Array.Fill(row, double.NaN);
            foreach (var month in months)
            {
                var d = DateTimeOffset.FromUnixTimeMilliseconds(month.Start);
                if (d.Year == year)
                    row[d.Month - 1] = month.Return * 100;
            }
            z.Add(PlotlyFigure.Numbers(row, 6));
            text.Add(PlotlyFigure.Strings(row.Select(v => double.IsNaN(v) ? "" : v.ToString("0.0", Inv) + "%")));
        }
        var layout = PlotlyFigure.BaseLayout(100 + 30 * years.Count);
        layout["xaxis"] = new JsonObject { ["type"] = "category" };
        layout["yaxis"] = new JsonObject { ["type"] = "category", ["autorange"] = "reversed", ["ticks"] = "" };
        layout["hovermode"] = "closest";
        var trace = new JsonObject
        {
            ["type"] = "heatmap",
            ["name"] = "monthly return",
            ["x"] = PlotlyFigure.Strings(Enumerable.Range(1, 12).Select(Inv.DateTimeFormat.GetAbbreviatedMonthName)),
            ["y"] = PlotlyFigure.Strings(years.Select(y => y.ToString(Inv))),
            ["z"] = z,
            ["zmid"] = 0,
            ["colorscale"] = new JsonArray(new JsonArray(0, "#c62828"), new JsonArray(0.5, "#ffffff"), new JsonArray(1, "#2e7d32")),
            ["showscale"] = false,
            ["xgap"] = 2,
            ["ygap"] = 2,
            ["text"] = text,
            ["texttemplate"] = "%{text}",
            ["hoverongaps"] = false,
            ["hovertemplate"] = "%{x} %{y}: %{z:.2f}%<extra></extra>",
        };
        return new PlotlyFigure(layout).Add(trace);
    }

    private static PlotlyFigure ExposureFigure(BacktestReport r, bool intraday)
    {
        var layout = TimeLayout(280, intraday);
        layout["yaxis"] = PlotlyFigure.PercentAxis("of equity");
        return new PlotlyFigure(layout)
            .Add(Line("gross", r.Times, Percent(r.GrossExposure), "#1f5fbf", "%{y:.1f}%"))
            .Add(Line("net", r.Times, Percent(r.NetExposure), "#2e9c6a", "%{y:.1f}%"));
    }

    private static PlotlyFigure ContributionFigure(BacktestReport r)
    {
        var layout = PlotlyFigure.BaseLayout(320);
        layout["xaxis"] = new JsonObject { ["type"] = "category", ["tickangle"] = -60, ["automargin"] = true };
        layout["yaxis"] = PlotlyFigure.PercentAxis("of initial capital");
        layout["hovermode"] = "x";
        layout["showlegend"] = false;
        var values = r.Contributions.Select(c => c.Contribution * 100).ToArray();
        var trace = new JsonObject
        {
            ["type"] = "bar",
            ["name"] = "contribution",
            ["x"] = PlotlyFigure.Strings(r.Contributions.Select(c => c.Symbol)),
            ["y"] = PlotlyFigure.Numbers(values, 6),
            ["marker"] = new JsonObject { ["color"] = PlotlyFigure.Strings(values.Select(v => v >= 0 ? "#2e9c6a" : "#d9534f")) },
            ["hovertemplate"] = "%{x}: %{y:.2f}% of initial capital<extra></extra>",
        };
        return new PlotlyFigure(layout).Add(trace);
    }

    private static PlotlyFigure QuantileFigure(BacktestReport r)
    {
        var layout = PlotlyFigure.BaseLayout(300);
        layout["xaxis"] = new JsonObject { ["type"] = "category", ["title"] = Title("signal quantile (1 = lowest)") };
        layout["yaxis"] = PlotlyFigure.PercentAxis("mean forward return");
        layout["hovermode"] = "x";
        layout["showlegend"] = false;
        var custom = new JsonArray();
        foreach (var q in r.Quantiles)
            custom.Add(new JsonArray(q.Count, PlotlyFigure.Number(q.HitRate * 100, 6)));
        var trace = new JsonObject
        {
            ["type"] = "bar",
            ["name"] = "mean forward return",
            ["x"] = PlotlyFigure.Strings(r.Quantiles.Select(q => "q" + q.Bin.ToString(Inv))),
            ["y"] = PlotlyFigure.Numbers(r.Quantiles.Select(q => q.MeanForwardReturn * 100).ToArray(), 6),
            ["customdata"] = custom,
            ["marker"] = new JsonObject { ["color"] = "#1f5fbf" },
            ["hovertemplate"] = "%{x}: mean forward return %{y:.3f}%<br>%{customdata[0]:,} pairs, hit rate %{customdata[1]:.1f}%<extra></extra>",
        };
        return new PlotlyFigure(layout).Add(trace);
    }

    // One asset at a time, picked from a list: the closes of every traded asset on one shared time axis
    // (thinned to each bucket's lowest and highest close past MaxBars) and its trades as markers at the fill
    // times and prices, drawn by the page script below from a compact JSON block rather than one figure per asset.
    private static void Prices(ReportPage page, BacktestReport r, bool intraday)
    {
        var n = r.Times.Length;
        var bucket = n > MaxBars ? (n + Buckets - 1) / Buckets : 1;
        var grid = new long[(n + bucket - 1) / bucket];
        for (var i = 0; i < grid.Length; i++)
            grid[i] = r.Times[i * bucket];
        var trades = r.Trades.GroupBy(t => t.Symbol).ToDictionary(g => g.Key, g => g.ToList());
        var contributions = r.Contributions.ToDictionary(c => c.Symbol, c => c.Contribution);
        var assets = new JsonArray();
        var options = new StringBuilder();
        for (var a = 0; a < r.Prices.Length; a++)
        {
            var p = r.Prices[a];
            var (first, close) = bucket == 1 ? (p.FirstBar, p.Close) : Ranges(p, bucket);
            var marks = new JsonArray();
            foreach (var t in trades.GetValueOrDefault(p.Symbol) ?? [])
            {
                marks.Add(new JsonArray(t.EntryTime, PlotlyFigure.Number(t.EntryPrice), t.Open ? null : JsonValue.Create(t.ExitTime),
                    t.Open ? null : PlotlyFigure.Number(t.ExitPrice), t.Side, PlotlyFigure.Number(t.Pnl), t.Open));
            }
            assets.Add(new JsonObject { ["symbol"] = p.Symbol, ["first"] = first, ["close"] = PlotlyFigure.Numbers(close), ["trades"] = marks });
            options.Append(Inv, $"<option value=\"{a}\">{E(p.Symbol)} ({P(contributions.GetValueOrDefault(p.Symbol, double.NaN))})</option>");
        }
        var data = new JsonObject { ["times"] = PlotlyFigure.Times(grid), ["pairs"] = bucket > 1, ["assets"] = assets };
        page.Data("prices-data", data.ToJsonString());
        page.Data("prices-figure", PriceTemplate(intraday).ToJson());
        page.Script(PriceScript);
        var caption = "<p class=\"caption\">Closes with the strategy's trades at their fill prices: ▲ long entry, ▽ long exit, ▼ short entry, "
            + "△ short exit (hover one for the trade's P&amp;L). Assets with trades, largest contribution first.";
        if (bucket > 1)
            caption += string.Create(Inv, $" The run's {n:N0} bars are drawn as each {bucket:N0}-bar bucket's lowest and highest close; the markers are exact.");
        page.Section("Prices and trades",
            "<label for=\"prices-asset\">asset</label><select id=\"prices-asset\">" + options + "</select>",
            "<div class=\"plot\" id=\"prices\"></div>", caption + "</p>");
    }

    // each bucket's lowest and highest close in time order (NaN for a bucket without one), from the asset's first bucket
    private static (int First, double[] Close) Ranges(AssetPrices p, int bucket)
    {
        var first = p.FirstBar / bucket;
        var last = (p.FirstBar + p.Close.Length - 1) / bucket;
        var close = new double[2 * (last - first + 1)];
        for (var k = first; k <= last; k++)
        {
            int lo = -1, hi = -1;
            for (var bar = Math.Max(k * bucket, p.FirstBar); bar < Math.Min((k + 1) * bucket, p.FirstBar + p.Close.Length); bar++)
            {
                var v = p.Close[bar - p.FirstBar];
                if (double.IsNaN(v))
                    continue;
                if (lo < 0 || v < p.Close[lo - p.FirstBar])
                    lo = bar;
                if (hi < 0 || v > p.Close[hi - p.FirstBar])
                    hi = bar;
            }
            var (a, b) = lo <= hi ? (lo, hi) : (hi, lo);
            close[2 * (k - first)] = a < 0 ? double.NaN : p.Close[a - p.FirstBar];
            close[(2 * (k - first)) + 1] = b < 0 ? double.NaN : p.Close[b - p.FirstBar];
        }
        return (first, close);
    }

    // the price chart's layout and its five traces' looks; the page script fills in one asset's points
    private static PlotlyFigure PriceTemplate(bool intraday)
    {
        var layout = TimeLayout(420, intraday);
        layout["yaxis"] = new JsonObject { ["title"] = Title("price"), ["type"] = "linear", ["gridcolor"] = "#eee" };
        WithScaleButtons(layout);
        layout["hovermode"] = "closest";
        JsonObject Marks(string name, string symbol, string colour) => new()
        {
            ["type"] = "scatter",
            ["mode"] = "markers",
            ["name"] = name,
            ["marker"] = new JsonObject { ["symbol"] = symbol, ["size"] = 10, ["color"] = colour, ["line"] = new JsonObject { ["width"] = 1.5, ["color"] = colour } },
            ["hovertemplate"] = name + " %{x}<br>price %{y:.6~g}<br>trade P&L %{customdata:,.2f}<extra></extra>",
        };
        var close = Line("close", [], [], "#555", "%{x}<br>close %{y:.6~g}<extra></extra>");
        close["line"] = new JsonObject { ["color"] = "#555", ["width"] = 1.2 };
        return new PlotlyFigure(layout)
            .Add(close)
            .Add(Marks("long entry", "triangle-up", "#2e9c6a"))
            .Add(Marks("long exit", "triangle-down-open", "#2e9c6a"))
            .Add(Marks("short entry", "triangle-down", "#c62828"))
            .Add(Marks("short exit", "triangle-up-open", "#c62828"));
    }

    // draws the picked asset: the close line on the shared axis, each trade's entry and (closed) exit
    private const string PriceScript = """
        (function(){'use strict';
        var S=window.StrategyLab,div=document.getElementById('prices'),select=document.getElementById('prices-asset');
        var d=S.data('prices-data'),f=S.data('prices-figure');
        function traces(a){
          var t=f.data.map(function(tr){return Object.assign({},tr,{x:[],y:[],customdata:[]});});
          t[0].x=a.close.map(function(_,i){return d.times[a.first+(d.pairs?Math.floor(i/2):i)];});
          t[0].y=a.close;
          a.trades.forEach(function(tr){
            var entry=t[tr[4]>0?1:3],exit=t[tr[4]>0?2:4];
            entry.x.push(tr[0]);entry.y.push(tr[1]);entry.customdata.push(tr[5]);
            if(!tr[6]){exit.x.push(tr[2]);exit.y.push(tr[3]);exit.customdata.push(tr[5]);}
          });
          return t;
        }
        function show(i){
          var a=d.assets[i],layout=Object.assign({},f.layout,{title:{text:a.symbol,x:0,xanchor:'left'}});
          var scale=div.layout&&div.layout.yaxis?div.layout.yaxis.type:'linear';
          layout.yaxis=Object.assign({},f.layout.yaxis,{type:scale});
          layout.updatemenus=[Object.assign({},f.layout.updatemenus[0],{active:scale==='log'?1:0})];
          return Plotly.react(div,traces(a),layout,S.config);
        }
        select.addEventListener('change',function(){show(+select.value);});
        var drawn=show(0);S.plots.prices=drawn;S.pending.push(drawn);
        if(S.plots.contribution)S.plots.contribution.then(function(c){c.on('plotly_click',function(e){
          var i=d.assets.findIndex(function(a){return a.symbol===e.points[0].x;});
          if(i>=0){select.value=String(i);show(i);div.scrollIntoView({behavior:'smooth'});}
        });});
        })();
        """;

    private static JsonObject TimeLayout(int height, bool intraday)
    {
        var layout = PlotlyFigure.BaseLayout(height);
        layout["xaxis"] = PlotlyFigure.TimeAxis(intraday);
        layout["hovermode"] = "x unified";
        return layout;
    }

    private static JsonObject Title(string text) => new() { ["text"] = text };

    // a line over time, thinned past MaxBars to each bucket's first, lowest and highest point (spikes survive)
    private static JsonObject Line(string name, long[] times, double[] values, string colour, string hover)
    {
        var kept = Thin(values);
        return new JsonObject
        {
            ["type"] = "scatter",
            ["mode"] = "lines",
            ["name"] = name,
            ["x"] = PlotlyFigure.Times(kept.Select(i => times[i]).ToArray()),
            ["y"] = PlotlyFigure.Numbers(kept.Select(i => values[i]).ToArray()),
            ["line"] = new JsonObject { ["color"] = colour, ["width"] = 1.5 },
            ["hovertemplate"] = hover,
        };
    }

    private static List<int> Thin(double[] values)
    {
        if (values.Length <= MaxBars)
            return [.. Enumerable.Range(0, values.Length)];
        var kept = new List<int>();
        var bucket = (values.Length + Buckets - 1) / Buckets;
        for (var start = 0; start < values.Length; start += bucket)
        {
            var end = Math.Min(values.Length, start + bucket);
            int lo = start, hi = start;
            for (var i = start; i < end; i++)
            {
                if (values[i] < values[lo])
                    lo = i;
                if (values[i] > values[hi])
                    hi = i;
            }
            kept.AddRange(new[] { start, lo, hi }.Distinct().Order());
        }
        return kept;
    }

    private static double[] Percent(double[] values) => values.Select(v => v * 100).ToArray();

    private static double[] Normalised(double[] equity, double[] returns)
    {
        if (equity.Length == 0)
            return [];
        var start = equity[0] / (1 + returns[0]);
        return equity.Select(e => e / start).ToArray();
    }

    private static double[] Compound(double[] returns)
    {
        var e = new double[returns.Length];
        var v = 1.0;
        for (var i = 0; i < e.Length; i++)
            e[i] = v *= 1 + returns[i];
        return e;
    }

    private static double[] Drawdown(double[] equity)
    {
        var d = new double[equity.Length];
        var peak = 1.0;
        for (var i = 0; i < d.Length; i++)
        {
            peak = Math.Max(peak, equity[i]);
            d[i] = equity[i] / peak - 1;
        }
        return d;
    }

    // the study periods: one row per calendar year
    private static string YearTable(BacktestReport r)
    {
        var rows = Breakdown.Of(r, BreakdownPeriod.Year);
        if (rows.Length == 0)
            return "<p class=\"empty\">no bars</p>";
        var b = new StringBuilder("<table class=\"breakdown\" id=\"years\"><tr><th>year</th><th>return</th>");
        if (r.BenchmarkReturns is not null)
            b.Append("<th>").Append(E(r.BenchmarkName ?? "benchmark")).Append("</th>");
        b.Append("<th>max drawdown</th><th>trades closed</th><th>wins / losses</th><th>win rate</th></tr>");
        foreach (var row in rows)
        {
            b.Append("<tr><td>").Append(Breakdown.Label(row.Start, BreakdownPeriod.Year)).Append("</td><td class=\"")
                .Append(row.Return >= 0 ? "pos" : "neg").Append("\">").Append(P(row.Return)).Append("</td>");
            if (r.BenchmarkReturns is not null)
                b.Append("<td>").Append(P(row.BenchmarkReturn)).Append("</td>");
            b.Append("<td>").Append(P(row.MaxDrawdown)).Append("</td><td>").Append(row.Trades.ToString(Inv)).Append("</td><td>")
                .Append(Inv, $"{row.Wins} / {row.Losses}").Append("</td><td>").Append(P(row.WinRate)).Append("</td></tr>");
        }
        return b.Append("</table>").ToString();
    }

    private static string TradesTable(BacktestReport r)
    {
        if (r.Trades.Length == 0)
            return "<p class=\"empty\">no trades</p>";
        var b = new StringBuilder("<table class=\"trades\"><tr><th>symbol</th><th>side</th><th>entry</th><th>entry price</th><th>exit</th>"
            + "<th>exit price</th><th>P&amp;L</th><th></th></tr>");
        foreach (var t in r.Trades.Take(MaxTradeRows))
        {
            b.Append("<tr><td>").Append(E(t.Symbol)).Append("</td><td>").Append(t.Side > 0 ? "long" : "short").Append("</td><td>")
                .Append(TimeParser.Format(t.EntryTime)).Append("</td><td>").Append(G(t.EntryPrice)).Append("</td><td>")
                .Append(TimeParser.Format(t.ExitTime)).Append("</td><td>").Append(G(t.ExitPrice)).Append("</td><td class=\"")
                .Append(t.Pnl >= 0 ? "pos" : "neg").Append("\">").Append(F(t.Pnl)).Append("</td><td>").Append(t.Open ? "open" : "").Append("</td></tr>");
        }
        b.Append("</table>");
        if (r.Trades.Length > MaxTradeRows)
            b.Append("<p class=\"note\">").Append(MaxTradeRows).Append(" of ").Append(r.Trades.Length).Append(" trades shown; trades.csv has them all.</p>");
        return b.ToString();
    }

    private static string Manifest(RunManifest m)
    {
        var b = new StringBuilder("<section><h2>Run</h2><table class=\"manifest\">");
        void Row(string k, string v) => b.Append("<tr><td>").Append(E(k)).Append("</td><td><code>").Append(E(v)).Append("</code></td></tr>");
        Row("strategy hash", m.StrategyHash);
        Row("data hash", m.DataHash);
        Row("seed", m.Seed.ToString(Inv));
        Row("version", m.Version);
        foreach (var (k, v) in m.Parameters)
            Row("param " + k, v);
        return b.Append("</table></section>").ToString();
    }

    private static string E(string s) => ReportPage.Encode(s);

    private static string P(double x) => double.IsNaN(x) ? "—" : double.IsInfinity(x) ? "∞" : x.ToString("0.00%", Inv);

    private static string F(double x) => double.IsNaN(x) ? "—" : double.IsInfinity(x) ? "∞" : Math.Abs(x) >= 1000 ? x.ToString("N0", Inv) : x.ToString("0.###", Inv);

    private static string G(double x) => double.IsNaN(x) ? "—" : x.ToString("G6", Inv);
}
