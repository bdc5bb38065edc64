using System.Net;
using System.Text;

namespace StrategyLab.Runtime.Reports;

/// <summary>
/// An HTML page of tables and plotly.js charts that works offline from its own folder: the page loads
/// <see cref="PlotlyScript.FileName"/> beside it (write it with <see cref="PlotlyScript.WriteTo"/>), and each
/// chart's figure sits in the page as JSON that a small script hands to <c>Plotly.newPlot</c>. Charts zoom
/// (drag; double-click resets) and show values on hover. The page's own scripts reach the shared pieces
/// through <c>window.StrategyLab</c>: <c>config</c> (plotly.js options), <c>data(id)</c> (a JSON block),
/// <c>plots</c> (each drawn chart's promise by id) and <c>pending</c> (every promise, which page scripts that
/// draw more charts add to). The same input gives the same bytes.
/// </summary>
public sealed class ReportPage
{
    private readonly string _title;
    private readonly StringBuilder _body = new();
    private readonly StringBuilder _data = new();
    private readonly List<string> _scripts = [];

    /// <summary>A page titled <paramref name="title"/> in the browser's tab.</summary>
    public ReportPage(string title) => _title = title;

    /// <summary>Appends markup as it is.</summary>
    public ReportPage Html(string html)
    {
        _body.Append(html);
        return this;
    }

    /// <summary>A warning the reader must not miss, shown as a red box.</summary>
    public ReportPage Warning(string text) => Html("<p class=\"warning\"><b>Warning:</b> " + Encode(text) + "</p>");

    /// <summary>A fact the reader should know, shown as a yellow box.</summary>
    public ReportPage Note(string text) => Html("<p class=\"note\">" + Encode(text) + "</p>");

    /// <summary>A titled section holding <paramref name="parts"/> (markup) in order.</summary>
    public ReportPage Section(string title, params string[] parts)
    {
        _body.Append("<section><h2>").Append(Encode(title)).Append("</h2>");
        foreach (var part in parts)
            _body.Append(part);
        _body.Append("</section>");
        return this;
    }

    /// <summary>
    /// The markup of a chart drawn from <paramref name="figure"/>: a <c>div.plot</c> with id
    /// <paramref name="id"/>; its figure is kept as the JSON block <c>{id}-figure</c>.
    /// </summary>
    public string Plot(string id, PlotlyFigure figure)
    {
        ArgumentNullException.ThrowIfNull(figure);
        Data(id + "-figure", figure.ToJson());
        return $"<div class=\"plot\" id=\"{Encode(id)}\" data-figure=\"{Encode(id)}-figure\"></div>";
    }

    /// <summary>
    /// Keeps <paramref name="json"/> (escaped as System.Text.Json's default encoder escapes, so no
    /// <c>&lt;/script&gt;</c> can occur in it) as a JSON block a page script reads with <c>StrategyLab.data(id)</c>.
    /// </summary>
    public ReportPage Data(string id, string json)
    {
        _data.Append("<script type=\"application/json\" id=\"").Append(Encode(id)).Append("\">").Append(json).Append("</script>\n");
        return this;
    }

    /// <summary>A script that runs after the charts of <see cref="Plot"/> have started drawing.</summary>
    public ReportPage Script(string javaScript)
    {
        _scripts.Add(javaScript);
        return this;
    }

    /// <summary>The whole page.</summary>
    public string Render()
    {
        var b = new StringBuilder();
        b.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>")
            .Append(Encode(_title)).Append("</title><style>").Append(Style).Append("</style><script src=\"")
            .Append(PlotlyScript.FileName).Append("\"></script></head><body>\n").Append(_body).Append('\n').Append(_data)
            .Append("<script>").Append(Bootstrap).Append("</script>\n");
        foreach (var script in _scripts)
            b.Append("<script>").Append(script).Append("</script>\n");
        return b.Append("</body></html>\n").ToString();
    }

    /// <summary><paramref name="text"/> escaped for HTML text and attribute values.</summary>
    public static string Encode(string text) => WebUtility.HtmlEncode(text);

    private const string Style =
        "body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:1040px;padding:0 12px;color:#222}h1{margin:0}" +
        "h2{font-size:18px;margin:28px 0 6px}.sub{color:#666;margin:4px 0 16px}.caption{color:#666;font-size:12px;margin:2px 0}" +
        ".note{background:#fff7e0;border-left:3px solid #d9822b;padding:6px 10px}" +
        ".warning{background:#fdecea;border:2px solid #c62828;color:#7f1d1d;padding:8px 12px;font-size:15px}" +
        "table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 8px;text-align:right;border-bottom:1px solid #eee}" +
        "td:first-child,th:first-child{text-align:left}.plot{width:100%;min-height:200px}" +
        ".pos{color:#2e7d32}.neg{color:#c62828}.extrapolated{color:#888;font-style:italic}code{font-size:12px}" +
        "label{font-size:13px}select{font:inherit;margin:0 6px}";

    // draws every div.plot from its JSON block; page scripts draw the rest through window.StrategyLab
    private const string Bootstrap =
        "(function(){'use strict';" +
        "var S=window.StrategyLab={config:{responsive:true,displaylogo:false},plots:{},pending:[]," +
        "data:function(id){return JSON.parse(document.getElementById(id).textContent);}};" +
        "document.querySelectorAll('div.plot[data-figure]').forEach(function(div){" +
        "var f=S.data(div.getAttribute('data-figure'));" +
        "var p=Plotly.newPlot(div,f.data,f.layout,S.config);S.plots[div.id]=p;S.pending.push(p);});})();";
}
