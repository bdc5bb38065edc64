using System.Text.Json.Nodes;
using StrategyLab.Runtime.Reports;

namespace StrategyLab.Runtime.Tests.Reports;

public sealed class ReportPageTests
{
    [Fact]
    public void NumbersKeepSevenSignificantDigitsAndLeaveGapsForWhatIsNotFinite()
    {
        var json = PlotlyFigure.Numbers([1.23456789, double.NaN, double.PositiveInfinity, -0.000123456789, 1234567.89, 0.1 + 0.2]).ToJsonString();
        Assert.Equal("[1.234568,null,null,-0.0001234568,1234568,0.3]", json);
    }

    [Fact]
    public void TextFromTheRunCannotCloseTheScriptThatHoldsAFigure()
    {
        const string hostile = "</script><script>alert(1)</script>";
        var page = new ReportPage(hostile);
        var figure = new PlotlyFigure(PlotlyFigure.BaseLayout(200)).Add(new JsonObject { ["type"] = "bar", ["name"] = hostile, ["x"] = PlotlyFigure.Strings([hostile]) });
        page.Warning(hostile).Section(hostile, page.Plot("chart", figure));
        var html = page.Render();
        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        Assert.Contains("\\u003C/script\\u003E\\u003Cscript\\u003Ealert(1)", html, StringComparison.Ordinal);
        Assert.Contains("&lt;/script&gt;&lt;script&gt;alert(1)", html, StringComparison.Ordinal);
    }

    [Fact]
    public void APageLoadsTheChartingScriptBesideItAndDrawsEachPlotFromItsBlock()
    {
        var page = new ReportPage("study");
        var figure = new PlotlyFigure(PlotlyFigure.BaseLayout(200)).Add(new JsonObject { ["type"] = "scatter", ["y"] = PlotlyFigure.Numbers([1, 2]) });
        page.Section("History", page.Plot("history", figure));
        var html = page.Render();
        Assert.Contains("<script src=\"plotly-4.1.2.min.js\"></script>", html, StringComparison.Ordinal);
        Assert.Contains("<section><h2>History</h2><div class=\"plot\" id=\"history\" data-figure=\"history-figure\"></div></section>", html, StringComparison.Ordinal);
        Assert.Contains("<script type=\"application/json\" id=\"history-figure\">{\"data\":[{\"type\":\"scatter\",\"y\":[1,2]}],\"layout\":{\"height\":200,", html, StringComparison.Ordinal);
        Assert.Equal(html, page.Render());
    }
}
