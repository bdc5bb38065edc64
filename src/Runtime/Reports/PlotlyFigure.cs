using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace StrategyLab.Runtime.Reports;

/// <summary>
/// A plotly.js figure: traces and a layout, written as the JSON <c>Plotly.newPlot</c> takes. Traces and
/// layouts are plain JSON objects named as plotly.js names them (<c>type</c>, <c>x</c>, <c>y</c>,
/// <c>hovertemplate</c>, ...), e.g. <c>figure.Add(new JsonObject { ["type"] = "bar", ["x"] = ..., ["y"] = ... })</c>.
/// Numbers are written in their shortest round-trip form, so the same figure gives the same bytes.
/// </summary>
public sealed class PlotlyFigure
{
    /// <summary>A figure with <paramref name="layout"/> and no traces yet.</summary>
    public PlotlyFigure(JsonObject layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        Layout = layout;
    }

    /// <summary>The traces, in drawing order.</summary>
    public JsonArray Traces { get; } = [];

    /// <summary>The layout: axes, margins, legend, buttons.</summary>
    public JsonObject Layout { get; }

    /// <summary>Adds <paramref name="trace"/> and returns this figure.</summary>
    public PlotlyFigure Add(JsonObject trace)
    {
        Traces.Add(trace);
        return this;
    }

    /// <summary>
    /// <c>{"data": [...], "layout": {...}}</c>. The default encoder escapes <c>&lt;</c>, <c>&gt;</c> and
    /// <c>&amp;</c>, so the text can sit inside a <c>&lt;script&gt;</c> element as it is.
    /// </summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("data");
            Traces.WriteTo(writer);
            writer.WritePropertyName("layout");
            Layout.WriteTo(writer);
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// <paramref name="values"/> rounded to <paramref name="digits"/> significant digits (more than a chart
    /// or its hover labels show, fewer bytes than a full double), with null for NaN and infinities, which
    /// plotly.js leaves as gaps.
    /// </summary>
    public static JsonArray Numbers(ReadOnlySpan<double> values, int digits = 7)
    {
        var array = new JsonArray();
        foreach (var v in values)
            array.Add(Number(v, digits));
        return array;
    }

    /// <summary>One number as <see cref="Numbers"/> writes it.</summary>
    public static JsonNode? Number(double value, int digits = 7) =>
        double.IsFinite(value) ? JsonValue.Create(Round(value, digits)) : null;

    /// <summary>Unix milliseconds, which a <c>date</c> axis reads as UTC times.</summary>
    public static JsonArray Times(ReadOnlySpan<long> unixMs)
    {
        var array = new JsonArray();
        foreach (var t in unixMs)
            array.Add(t);
        return array;
    }

    /// <summary>Strings, e.g. category labels.</summary>
    public static JsonArray Strings(IEnumerable<string> values)
    {
        var array = new JsonArray();
        foreach (var s in values)
            array.Add(s);
        return array;
    }

    /// <summary><paramref name="value"/> rounded to <paramref name="digits"/> significant digits.</summary>
    public static double Round(double value, int digits) =>
        double.Parse(value.ToString("G" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>
    /// The look every chart shares: a white plot area, light grid, a horizontal legend above the plot, and
    /// <paramref name="height"/> pixels; callers add their axes.
    /// </summary>
    public static JsonObject BaseLayout(int height) => new()
    {
        ["height"] = height,
        ["margin"] = new JsonObject { ["l"] = 64, ["r"] = 24, ["t"] = 36, ["b"] = 44 },
        ["font"] = new JsonObject { ["family"] = "system-ui, sans-serif", ["size"] = 12, ["color"] = "#222" },
        ["paper_bgcolor"] = "#fff",
        ["plot_bgcolor"] = "#fff",
        ["legend"] = new JsonObject { ["orientation"] = "h", ["x"] = 0, ["y"] = 1.02, ["yanchor"] = "bottom" },
        ["hoverlabel"] = new JsonObject { ["namelength"] = -1 },
    };

    /// <summary>An axis of UTC times; hover labels show the date, and the time of day when <paramref name="intraday"/>.</summary>
    public static JsonObject TimeAxis(bool intraday) => new()
    {
        ["type"] = "date",
        ["gridcolor"] = "#eee",
        ["hoverformat"] = intraday ? "%Y-%m-%d %H:%M" : "%Y-%m-%d",
    };

    /// <summary>
    /// An axis of percentages: values are given in percent (×100) so plotly.js picks round ticks
    /// (−20 %, −40 %) and prints them with a % sign.
    /// </summary>
    public static JsonObject PercentAxis(string? title = null)
    {
        var axis = new JsonObject { ["ticksuffix"] = "%", ["gridcolor"] = "#eee", ["zerolinecolor"] = "#bbb" };
        if (title is not null)
            axis["title"] = new JsonObject { ["text"] = title };
        return axis;
    }
}
