using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Execution;
using StrategyLab.Runtime.Trading;

namespace StrategyLab.Operations;

/// <summary>Several observers heard as one, in order (metrics, then alerts).</summary>
public sealed class TradingObservers(params IReadOnlyList<object> observers) : ITradingObserver, IVenueObserver
{
    private readonly ITradingObserver[] _trading = [.. observers.OfType<ITradingObserver>()];
    private readonly IVenueObserver[] _venue = [.. observers.OfType<IVenueObserver>()];

    /// <inheritdoc />
    public void Started(Deployment deployment, double equity)
    {
        foreach (var o in _trading)
            o.Started(deployment, equity);
    }

    /// <inheritdoc />
    public void Stepped(StepSnapshot step)
    {
        foreach (var o in _trading)
            o.Stepped(step);
    }

    /// <inheritdoc />
    public void OrderChanged(OrderState state)
    {
        foreach (var o in _trading)
            o.OrderChanged(state);
    }

    /// <inheritdoc />
    public void Filled(JournalFill fill)
    {
        foreach (var o in _trading)
            o.Filled(fill);
    }

    /// <inheritdoc />
    public void RiskFired(RiskEvent alert, long barTime)
    {
        foreach (var o in _trading)
            o.RiskFired(alert, barTime);
    }

    /// <inheritdoc />
    public void Failed(string message)
    {
        foreach (var o in _trading)
            o.Failed(message);
    }

    /// <inheritdoc />
    public void StreamConnected(string stream)
    {
        foreach (var o in _venue)
            o.StreamConnected(stream);
    }

    /// <inheritdoc />
    public void StreamDropped(string stream, string reason)
    {
        foreach (var o in _venue)
            o.StreamDropped(stream, reason);
    }

    /// <inheritdoc />
    public void Requested(string operation, TimeSpan elapsed, bool succeeded)
    {
        foreach (var o in _venue)
            o.Requested(operation, elapsed, succeeded);
    }
}
