namespace StrategyLab.Runtime.Backtest;

/// <summary>
/// Statistics of closed round trips (open trades are counted apart, not as wins or losses).
/// </summary>
/// <param name="Closed">Closed trades.</param>
/// <param name="Open">Trades still open at the end.</param>
/// <param name="WinRate">Share of closed trades with a positive P&amp;L.</param>
/// <param name="ProfitFactor">Gross profit / gross loss of closed trades (∞ without a loss, NaN without trades).</param>
/// <param name="AverageTrade">Mean P&amp;L of a closed trade, in money.</param>
/// <param name="AverageWin">Mean P&amp;L of a winning trade.</param>
/// <param name="AverageLoss">Mean P&amp;L of a losing trade.</param>
/// <param name="AverageBarsHeld">Mean number of bars from entry to exit.</param>
public sealed record TradeStatistics(int Closed, int Open, double WinRate, double ProfitFactor, double AverageTrade, double AverageWin, double AverageLoss, double AverageBarsHeld)
{
    /// <summary>Computes the statistics of <paramref name="trades"/>.</summary>
    public static TradeStatistics From(IReadOnlyList<Trade> trades)
    {
        ArgumentNullException.ThrowIfNull(trades);
        var closed = trades.Where(t => !t.Open).ToList();
        var wins = closed.Where(t => t.Pnl > 0).Select(t => t.Pnl).ToList();
        var losses = closed.Where(t => t.Pnl < 0).Select(t => t.Pnl).ToList();
        var profit = wins.Sum();
        var loss = -losses.Sum();
        return new TradeStatistics(
            closed.Count,
            trades.Count - closed.Count,
            closed.Count > 0 ? (double)wins.Count / closed.Count : double.NaN,
            closed.Count == 0 ? double.NaN : loss > 0 ? profit / loss : double.PositiveInfinity,
            closed.Count > 0 ? closed.Average(t => t.Pnl) : double.NaN,
            wins.Count > 0 ? wins.Average() : double.NaN,
            losses.Count > 0 ? losses.Average() : double.NaN,
            closed.Count > 0 ? closed.Average(t => t.ExitBar - t.EntryBar) : double.NaN);
    }
}
