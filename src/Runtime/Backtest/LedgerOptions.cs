using StrategyLab.Runtime.Execution;

namespace StrategyLab.Runtime.Backtest;

/// <summary>When orders decided at a bar's close are filled.</summary>
public enum FillTiming
{
    /// <summary>At the next bar's open: the default, and what live trading can do.</summary>
    NextOpen,
    /// <summary>At the close of the bar that made the signal. Only on request; reports say so.</summary>
    SignalClose,
}

/// <summary>How orders are placed.</summary>
public enum OrderKind
{
    /// <summary>Market orders: fill at the fill price moved against the order by the slippage, taker fee.</summary>
    Market,
    /// <summary>
    /// Post-only limit orders at the decision price moved in the order's favour by the offset; they
    /// fill at the limit only when the bar trades through it (a buy needs a low below it), maker fee.
    /// An unfilled quote is re-quoted up to <see cref="LedgerOptions.LimitRetries"/> times within the
    /// fill bar, each time with the offset times <see cref="LedgerOptions.LimitShrink"/>, as many as
    /// the bar has room for at one quote per <see cref="LedgerOptions.LimitTimeoutSeconds"/>; the
    /// order fills at the first quote the bar trades through. Bars do not show the order of prices
    /// within them, so this takes a re-quote to happen before the price moves away. What does not
    /// fill is cancelled; the target is tried again at the next decision.
    /// </summary>
    LimitMaker,
}

/// <summary>
/// Risk limits the simulation enforces itself, the way the live runner does: a strategy cannot
/// opt out of them by its signals.
/// </summary>
/// <param name="MaxPositionFraction">|weight| of any one asset is clipped to this (1 = no limit).</param>
/// <param name="DailyLossFraction">Equity this far below the UTC day's opening equity flattens the book and halts trading until the next day (NaN = none).</param>
/// <param name="MaxDrawdownFraction">Equity this far below its peak flattens the book and stops trading for good (NaN = none).</param>
public sealed record RiskLimits(double MaxPositionFraction = 1.0, double DailyLossFraction = double.NaN, double MaxDrawdownFraction = double.NaN)
{
    /// <summary>No limits.</summary>
    public static RiskLimits None { get; } = new();
}

/// <summary>Costs and fill rules of a ledger simulation. Fees and slippage are fractions (5 bps = 0.0005).</summary>
public sealed record LedgerOptions
{
    /// <summary>Starting cash.</summary>
    public double InitialCapital { get; init; } = 10_000;

    /// <summary>When fills happen.</summary>
    public FillTiming Timing { get; init; } = FillTiming.NextOpen;

    /// <summary>Market or post-only limit orders.</summary>
    public OrderKind Orders { get; init; } = OrderKind.Market;

    /// <summary>Fee on the notional of a taker fill.</summary>
    public double TakerFee { get; init; } = 0.0005;

    /// <summary>Fee on the notional of a maker fill (negative for a rebate).</summary>
    public double MakerFee { get; init; } = 0.0002;

    /// <summary>Market fills move against the order by this fraction of the price.</summary>
    public double Slippage { get; init; }

    /// <summary>Limit orders rest this fraction away from the decision price, on the order's side.</summary>
    public double LimitOffset { get; init; } = 0.0005;

    /// <summary>Re-quotes of an unfilled limit order within its fill bar.</summary>
    public int LimitRetries { get; init; }

    /// <summary>Each re-quote's offset is the previous one times this.</summary>
    public double LimitShrink { get; init; } = 0.5;

    /// <summary>Seconds a quote rests before it is re-quoted (0 = every re-quote fits in a bar).</summary>
    public double LimitTimeoutSeconds { get; init; }

    /// <summary>
    /// A limit order none of whose quotes filled goes to market for the rest, at the fill bar's close
    /// with slippage and the taker fee (off by default: what does not fill waits for the next decision).
    /// </summary>
    public bool LimitFallbackMarket { get; init; }

    /// <summary>At most this fraction of a bar's volume fills; the rest of the order does not (NaN = no cap).</summary>
    public double MaxParticipation { get; init; } = double.NaN;

    /// <summary>Orders below this notional are skipped, as exchanges refuse them (0 = no minimum).</summary>
    public double MinNotional { get; init; }

    /// <summary>
    /// An order below <see cref="MinNotional"/> that adds to a position is rounded up to it instead
    /// of skipped; one that reduces a position is still skipped (it would overshoot).
    /// </summary>
    public bool RoundUpToMinNotional { get; init; }

    /// <summary>The risk limits.</summary>
    public RiskLimits Risk { get; init; } = RiskLimits.None;

    /// <summary>Per-position exits: stop-loss, take-profit, trailing stop, maximum holding time, minimal ROI, cooldown (none by default).</summary>
    public ExitRules Exits { get; init; } = ExitRules.None;

    /// <summary>
    /// The venue's instruments by symbol, whose filters the simulated exchange enforces and the execution
    /// policy sizes within (quantities in whole lots, limit prices on ticks, minimum quantity and notional);
    /// null (the default) or a symbol missing: no filters.
    /// </summary>
    public IReadOnlyDictionary<string, Instrument>? Instruments { get; init; }
}
