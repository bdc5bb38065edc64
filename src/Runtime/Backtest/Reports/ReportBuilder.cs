using System.Collections.Immutable;
using StrategyLab.Runtime.Data;

namespace StrategyLab.Runtime.Backtest.Reports;

/// <summary>Assembles the report of a simulation over a panel.</summary>
public static class ReportBuilder
{
    /// <summary>
    /// The report of a ledger run. <paramref name="benchmarkReturns"/> are per bar of the panel;
    /// contributions are the trades' P&amp;L by asset as a fraction of the initial capital.
    /// </summary>
    public static BacktestReport FromLedger(
        Panel panel, LedgerResult result, LedgerOptions options, RunManifest manifest,
        double[]? benchmarkReturns = null, string? benchmarkName = null, IEnumerable<string>? notes = null)
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
        if (result.Returns.Length < periods / 12)
            allNotes.Add(ShortRun(result.Returns.Length, periods));
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
            Metrics = PerformanceMetrics.FromReturns(result.Returns, periods),
            BenchmarkMetrics = benchmarkReturns is null ? null : PerformanceMetrics.FromReturns(benchmarkReturns, periods),
            TradeStatistics = TradeStatistics.From(result.Trades),
            Contributions = contributions,
            Trades = [.. result.Trades.Select(t => new TradeRow(panel.Symbols[t.Asset], t.Side, times[t.EntryBar], times[t.ExitBar], t.Pnl, t.Open))],
            Notes = [.. allNotes],
        };
    }

    // 8.6 days of minutes compounded to a year read 10^46 %: say so rather than hide the figure its definition gives
    private static string ShortRun(int bars, double periodsPerYear) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"The run has {bars:N0} bars, {bars / periodsPerYear * 365:0.#} days at this bar size: annualised return and volatility, Sharpe, Sortino and Calmar extrapolate so short a run to a year.");

    private static string BarTime(long[] times, int bar) => Data.Csv.TimeParser.Format(times[bar]);
}
