using StrategyLab.Runtime.Backtest;

namespace StrategyLab.Runtime.Execution;

/// <summary>
/// Where the engine's risk events go, one seam for all of them (a daily-loss halt, a drawdown stop,
/// ruin, a position's exit): a list in backtests; paper and live trading send them on.
/// </summary>
public interface IAlertSink
{
    /// <summary>Takes one event as it happens.</summary>
    void Raise(RiskEvent alert);
}

/// <summary>Keeps every alert in order.</summary>
public sealed class AlertList : IAlertSink
{
    private readonly List<RiskEvent> _alerts = [];

    /// <summary>The alerts so far, oldest first.</summary>
    public IReadOnlyList<RiskEvent> Alerts => _alerts;

    /// <inheritdoc />
    public void Raise(RiskEvent alert) => _alerts.Add(alert);
}
