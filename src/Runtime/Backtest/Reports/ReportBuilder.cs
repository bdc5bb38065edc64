using System.Collections.Immutable;
using StrategyLab.Runtime.Data;

namespace StrategyLab.Runtime.Backtest.Reports;

/// <summary>Assembles the report of a simulation over a panel.</summary>
public static class ReportBuilder
{
    /// <summary>
    /// The report of a ledger run. <paramref name="benchmarkReturns"/> are per bar of the panel;
    /// contributions are the trades' P&amp;L by asset as a fraction of the initial capital; every traded
    /// asset's closes and each trade's fill prices go to the per-asset price chart.
    /// <paramref name="warnings"/> are shown above everything else (<see cref="BacktestReport.Warnings"/>).
    /// </summary>
    public static BacktestReport FromLedger(
        Panel panel, LedgerResult result, LedgerOptions options, RunManifest manifest,
        double[]? benchmarkReturns = null, string? benchmarkName = null, IEnumerable<string>? notes = null,
        IEnumerable<string>? warnings = null)
    {
        ArgumentNullException.ThrowIfNull(panel);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(options);
        var periods = panel.Interval.BarsPerYear;
        var times = panel.Times.ToArray();
        var contributions = result.Trades
            .GroupBy(t => t.Asset)
            .Select(g => (panel.Symbols[g.Key], g.Sum(t => t.Pnl) / options.InitialCapital))
            .OrderByDescending(c => c.Item2)
            .ToImmutableArray();
        var allNotes = (notes ?? []).ToList();
        if (options.Timing == FillTiming.SignalClose)
            allNotes.Add("Orders fill at the close of the bar that made the signal, as asked: live trading cannot do this, so results flatter the strategy.");
        if (result.UnfilledOrders > 0)
            allNotes.Add($"{result.UnfilledOrders} order attempt(s) did not fill in full: no price at the fill bar (an asset that stopped trading for a while is retried every bar), a limit not reached, or the participation cap.");
        if (result.Delisted > 0)
            allNotes.Add($"{result.Delisted} position(s) were closed at their last price because the asset's prices ended.");
        if (result.SkippedOrders > 0)
            allNotes.Add($"{result.SkippedOrders} order(s) were below the minimum notional and skipped.");
        if (result.RoundedUpOrders > 0)
            allNotes.Add($"{result.RoundedUpOrders} order(s) below the minimum notional were rounded up to it.");
        foreach (var e in result.RiskEvents)
            allNotes.Add($"{BarTime(times, e.Bar)}: {e.Message}");
        var metrics = PerformanceMetrics.FromReturns(result.Returns, periods);
        var benchmarkMetrics = benchmarkReturns is null ? null : PerformanceMetrics.FromReturns(benchmarkReturns, periods);
        if (ShortRun(metrics, benchmarkMetrics, benchmarkName) is { } shortRun)
            allNotes.Add(shortRun);
        var fillPrices = FillPrices(result.Fills);
        return new BacktestReport
        {
            Manifest = manifest,
            Times = times,
            Equity = result.Equity,
            Returns = result.Returns,
            GrossExposure = result.GrossExposure,
            NetExposure = result.NetExposure,
            Turnover = result.Turnover,
            BenchmarkReturns = benchmarkReturns,
            BenchmarkName = benchmarkName,
            Metrics = metrics,
            BenchmarkMetrics = benchmarkMetrics,
            TradeStatistics = TradeStatistics.From(result.Trades),
            Contributions = contributions,
            Trades = [.. result.Trades.Select(t => Row(panel, times, t, fillPrices))],
            Notes = [.. allNotes],
            Warnings = [.. warnings ?? []],
            Prices = [.. contributions.Select(c => Prices(panel, c.Item1))],
        };
    }

    // 8.6 days of minutes compounded to a year read 10^46 %: say so rather than hide the figure its definition gives;
    // the benchmark's figures over the same bars extrapolate as much, so the note names them too
    private static string? ShortRun(PerformanceMetrics strategy, PerformanceMetrics? benchmark, string? benchmarkName)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var figures = "annualised return and volatility, Sharpe, Sortino and Calmar";
        var name = benchmarkName ?? "benchmark";
        string Span(PerformanceMetrics m) => string.Create(inv, $"{m.Bars:N0} bars, {m.Bars / m.PeriodsPerYear * 365:0.#} days at this bar size");
        return (strategy.SpansLessThanAMonth(), benchmark?.SpansLessThanAMonth() == true) switch
        {
            (true, true) when benchmark!.Bars == strategy.Bars =>
                $"The run has {Span(strategy)}: {figures} extrapolate so short a run to a year, the benchmark's ({name}) as much as the strategy's.",
            (true, true) =>
                $"The run has {Span(strategy)} and the benchmark ({name}) {Span(benchmark!)}: {figures} extrapolate so short a span to a year, the benchmark's as much as the strategy's.",
            (true, false) => $"The run has {Span(strategy)}: {figures} extrapolate so short a run to a year.",
            (false, true) => $"The benchmark ({name}) has {Span(benchmark!)}: its {figures} extrapolate so short a span to a year.",
            _ => null,
        };
    }

    // the price of the asset's fill at a bar (the last, should a bar hold several), by (bar, asset)
    private static Dictionary<(int Bar, int Asset), double> FillPrices(IReadOnlyList<Fill> fills)
    {
        var prices = new Dictionary<(int, int), double>(fills.Count);
        foreach (var f in fills)
            prices[(f.Bar, f.Asset)] = f.Price;
        return prices;
    }

    private static TradeRow Row(Panel panel, long[] times, Trade t, Dictionary<(int Bar, int Asset), double> fillPrices) =>
        new(panel.Symbols[t.Asset], t.Side, times[t.EntryBar], times[t.ExitBar], t.Pnl, t.Open,
            fillPrices.GetValueOrDefault((t.EntryBar, t.Asset), double.NaN),
            t.Open ? double.NaN : fillPrices.GetValueOrDefault((t.ExitBar, t.Asset), double.NaN));

    // the asset's closes from its first to its last
    private static AssetPrices Prices(Panel panel, string symbol)
    {
        var close = panel.Series("close", panel.AssetIndex(symbol));
        int first = 0, last = close.Length - 1;
        while (first <= last && double.IsNaN(close[first]))
            first++;
        while (last >= first && double.IsNaN(close[last]))
            last--;
        return new AssetPrices(symbol, first, close.AsSpan(first, last - first + 1).ToArray());
    }

    private static string BarTime(long[] times, int bar) => Data.Csv.TimeParser.Format(times[bar]);
}
