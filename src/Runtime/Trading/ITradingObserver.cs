using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Runtime.Trading;

/// <summary>
/// The book after a step: the bar, the equity and exposures at its close, the positions with their last close, the
/// orders of the deployment by status, whether trading is stopped for good, and until when (Unix ms) a daily-loss halt
/// keeps it flat (0: not halted) — taken up from the journal by a restarted runner like the rest of the engine's state.
/// </summary>
public sealed record StepSnapshot(
    long BarTime,
    long BarMilliseconds,
    double Equity,
    double GrossExposure,
    double NetExposure,
    IReadOnlyList<PositionMark> Positions,
    IReadOnlyDictionary<JournalOrderStatus, int> OrdersByStatus,
    bool Stopped,
    long HaltedUntil = 0);

/// <summary>A position at a step's close: signed quantity, entry price and the bar's close.</summary>
public sealed record PositionMark(string Symbol, double Quantity, double EntryPrice, double LastClose);

/// <summary>
/// Hears what a trading runner does, as it happens, for metrics, health and alerts. Called on the runner's own
/// thread; an implementation returns quickly and never throws (the runner does not guard against it).
/// </summary>
public interface ITradingObserver
{
    /// <summary>The runner reconciled with the venue and is ready to trade, with the equity it starts from.</summary>
    void Started(Deployment deployment, double equity);

    /// <summary>A bar was stepped and journaled.</summary>
    void Stepped(StepSnapshot step);

    /// <summary>The venue answered an order, or a lookup or cancel reported its state (rejected orders included).</summary>
    void OrderChanged(OrderState state);

    /// <summary>A fill was journaled.</summary>
    void Filled(JournalFill fill);

    /// <summary>A risk rule acted (a daily-loss halt, a drawdown stop, ruin, an exit).</summary>
    void RiskFired(RiskEvent alert, long barTime);

    /// <summary>Something went wrong that the runner carries on from (an order of unknown fate, a failed venue call).</summary>
    void Failed(string message);
}

/// <summary>
/// Hears a venue client's streams and requests: a stream dropping and coming back, and how long each call took.
/// Called from the client's threads; an implementation is thread-safe, returns quickly and never throws.
/// </summary>
public interface IVenueObserver
{
    /// <summary>The stream <paramref name="stream"/> (e.g. <c>BTCUSDT 1m klines</c>) is connected and caught up.</summary>
    void StreamConnected(string stream);

    /// <summary>The stream dropped and is about to reconnect.</summary>
    void StreamDropped(string stream, string reason);

    /// <summary>A call to the venue (<paramref name="operation"/>, e.g. <c>place</c>) answered or failed after <paramref name="elapsed"/>.</summary>
    void Requested(string operation, TimeSpan elapsed, bool succeeded);
}

/// <summary>A venue client that counts its use of the venue's rate limits.</summary>
public interface IRateLimited
{
    /// <summary>Each limit as counted now.</summary>
    IReadOnlyList<RateLimitUse> RateLimits();
}

/// <summary>One rate limit: its name (e.g. <c>request_weight_1m</c>), what is used in the current window, and the limit.</summary>
public sealed record RateLimitUse(string Limit, int Used, int Max);
