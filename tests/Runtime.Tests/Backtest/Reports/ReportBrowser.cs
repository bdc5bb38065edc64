using System.Text.Json;
using Microsoft.Playwright;

namespace StrategyLab.Runtime.Tests.Backtest.Reports;

/// <summary>What a browser saw of a report page: its errors, its charts and their hover labels.</summary>
/// <param name="Errors">Console errors, uncaught exceptions and failed loads, in the order they came.</param>
/// <param name="OutsideRequests">Requests for anything outside the page's own folder.</param>
/// <param name="Charts">Each <c>div.plot</c> by id: whether plotly.js drew it, and the text of its hover label after the mouse moved onto one of its points.</param>
internal sealed record PageCheck(IReadOnlyList<string> Errors, IReadOnlyList<string> OutsideRequests, IReadOnlyList<ChartCheck> Charts);

/// <param name="Id">The chart's element id.</param>
/// <param name="Drawn">plotly.js drew it: an <c>svg.main-svg</c> with at least one trace in it.</param>
/// <param name="Hover">The hover label's text after the mouse moved onto a point, empty when none showed.</param>
internal sealed record ChartCheck(string Id, bool Drawn, string Hover);

/// <summary>
/// One headless Debian Chromium for every report test of a class, driven by Playwright (its own
/// browser download is not used: the executable is /usr/bin/chromium).
/// </summary>
public sealed class ReportBrowser : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";

    // a guard against a hung browser, not a measure of speed
    private const float Patience = 120_000;

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    internal IBrowser Browser => _browser ?? throw new InvalidOperationException("the browser has not started");

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), "Debian's chromium is needed (test.sh installs it: apt-get install chromium)");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
            Timeout = Patience,
        });
    }

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        if (_browser is not null)
            await _browser.DisposeAsync();
        _playwright?.Dispose();
    }

    /// <summary>Opens <paramref name="html"/> in a fresh page, waits for its charts, and hovers over a point of each.</summary>
    internal async Task<PageCheck> Check(string html, Func<IPage, Task>? more = null)
    {
        var folder = new Uri(Path.GetDirectoryName(Path.GetFullPath(html))! + Path.DirectorySeparatorChar).AbsoluteUri;
        // a zone behind UTC, so that a time shown in the browser's zone instead of UTC would land on another day
        await using var context = await Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 }, TimezoneId = "America/Los_Angeles" });
        context.SetDefaultTimeout(Patience);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        var outside = new List<string>();
        page.Console += (_, m) =>
        {
            if (m.Type == "error")
                errors.Add("console: " + m.Text);
        };
        page.PageError += (_, e) => errors.Add("exception: " + e);
        page.RequestFailed += (_, r) => errors.Add("failed to load: " + r.Url);
        page.Request += (_, r) =>
        {
            if (!r.Url.StartsWith(folder, StringComparison.Ordinal))
                outside.Add(r.Url);
        };
        await page.GotoAsync(new Uri(Path.GetFullPath(html)).AbsoluteUri, new() { WaitUntil = WaitUntilState.Load });
        // every chart's Plotly.newPlot or Plotly.react promise, settled
        await page.EvaluateAsync("() => window.StrategyLab ? Promise.allSettled(window.StrategyLab.pending) : null");
        var ids = await page.EvaluateAsync<string[]>("() => Array.from(document.querySelectorAll('div.plot')).map(d => d.id)");
        var charts = new List<ChartCheck>();
        foreach (var id in ids)
            charts.Add(new ChartCheck(id, await Drawn(page, id), await Hover(page, id)));
        if (more is not null)
            await more(page);
        return new PageCheck(errors, outside, charts);
    }

    private static Task<bool> Drawn(IPage page, string id) => page.EvaluateAsync<bool>(
        "id => { const d = document.getElementById(id); return !!d.querySelector('svg.main-svg') && d.querySelectorAll('g.trace, g.hm').length > 0; }", id);

    /// <summary>
    /// Where on the screen the middle point of the chart's first trace is (a bar's middle, the first heatmap cell
    /// with a value), with the chart scrolled into view; null when the chart has no plotly.js data.
    /// </summary>
    internal static async Task<(float X, float Y)?> PointOn(IPage page, string id)
    {
        await page.Locator("#" + id).ScrollIntoViewIfNeededAsync();
        var at = await page.EvaluateAsync<JsonElement?>(PointOnChart, id);
        return at is { ValueKind: JsonValueKind.Object } p ? ((float)p.GetProperty("x").GetDouble(), (float)p.GetProperty("y").GetDouble()) : null;
    }

    // moves the mouse onto the chart's point and reads the label
    private static async Task<string> Hover(IPage page, string id)
    {
        if (await PointOn(page, id) is not var (x, y))
            return "";
        await page.Mouse.MoveAsync(0, 0);
        await page.Mouse.MoveAsync(x, y);
        try
        {
            await page.WaitForFunctionAsync("id => document.querySelector('#' + id + ' .hoverlayer').textContent.trim().length > 0", id,
                new() { Timeout = 10_000 });
        }
        catch (TimeoutException)
        {
            return "";
        }
        return await page.EvaluateAsync<string>("id => document.querySelector('#' + id + ' .hoverlayer').textContent", id);
    }

    // the viewport position of the middle point of the first trace with a value there, by plotly.js's own axis
    // mapping (a category by its index: a year as a category name would read as a number)
    private const string PointOnChart = """
        id => {
          const gd = document.getElementById(id), box = gd.getBoundingClientRect();
          if (!gd._fullLayout || !gd._fullData) return null;
          const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
          const at = (a, values, i) => a._offset + (a.type === 'category' ? a.c2p(i) : a.d2p(values[i]));
          for (const t of gd._fullData) {
            if (t.type === 'heatmap') {
              for (let r = 0; r < t.z.length; r++)
                for (let c = 0; c < t.z[r].length; c++)
                  if (t.z[r][c] !== null) return { x: box.left + at(xa, t.x, c), y: box.top + at(ya, t.y, r) };
              continue;
            }
            const n = (t.x || []).length;
            for (let k = 0; k < n; k++) {
              const i = (Math.floor(n / 2) + k) % n;
              if (t.y[i] === null || t.y[i] === undefined) continue;
              const y = box.top + ya._offset + ya.d2p(t.type === 'bar' ? t.y[i] / 2 : t.y[i]);
              return { x: box.left + at(xa, t.x, i), y: y };
            }
          }
          return null;
        }
        """;
}
