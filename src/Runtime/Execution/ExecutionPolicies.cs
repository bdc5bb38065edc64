using System.Runtime.CompilerServices;

namespace StrategyLab.Runtime.Execution;

/// <summary>What sizing a target gave for one asset.</summary>
public enum IntentOutcome : byte
{
    /// <summary>The holding is at its target: no order.</summary>
    None,
    /// <summary>An order.</summary>
    Order,
    /// <summary>An order below the minimum notional (or quantity) raised to it.</summary>
    RoundedUp,
    /// <summary>An order below the minimum notional, quantity or one lot: not sent.</summary>
    Skipped,
    /// <summary>The asset has no price yet: a non-zero target cannot be sized (counted as unfilled).</summary>
    NoPrice,
}

/// <summary>
/// An order the engine wants for one asset, in the simulation's doubles: the signed quantity that
/// takes the holding to its target, the decision price it was sized at, and why. <see cref="Closing"/>
/// orders take the position to zero (they are exempt from the minimum notional, and reduce only).
/// </summary>
public readonly record struct OrderIntent(int Asset, double Quantity, double ReferencePrice, OrderPurpose Purpose, bool Closing);

/// <summary>
/// How target weights become orders: targets − holdings → an <see cref="OrderIntent"/> per asset,
/// sized in the instrument's lots under the minimum-notional rule; each intent → the order the
/// simulated venue works (<see cref="Order"/>) or the requests a real venue is sent, attempt by attempt,
/// with deterministic client order ids, prices on the instrument's ticks (<see cref="Request"/>).
/// </summary>
public interface IExecutionPolicy
{
    /// <summary>
    /// Sizes the order that takes <paramref name="units"/> of an asset priced <paramref name="price"/> to
    /// <paramref name="target"/> × <paramref name="equity"/> of notional.
    /// </summary>
    IntentOutcome Intent(int asset, double target, double equity, double price, double units, OrderPurpose purpose, out OrderIntent intent);

    /// <summary>Returns the order the simulated venue works for <paramref name="intent"/> in the bar after the decision.</summary>
    WorkingOrder Order(in OrderIntent intent);

    /// <summary>
    /// Returns the request of attempt <paramref name="attempt"/> (0 the first) of <paramref name="intent"/> for a
    /// venue, in decimals on <paramref name="instrument"/>'s steps, or null when the policy has no further attempt
    /// (or the quantity rounds to nothing).
    /// </summary>
    OrderRequest? Request(in OrderIntent intent, Instrument instrument, string clientOrderId, int attempt);

    /// <summary>
    /// Returns how long attempt <paramref name="attempt"/> rests at a venue before it is cancelled and the next attempt is
    /// sent for what is left, or null when no attempt follows it (it rests until the next bar's step cancels it).
    /// </summary>
    TimeSpan? Patience(int attempt);
}

/// <summary>
/// The minimum-notional rule: an order (not a close) below <see cref="MinNotional"/> or its
/// instrument's minimum is skipped, or, with <see cref="RoundUp"/>, raised to the minimum when it
/// adds to the position (a reducing order is still skipped: rounding it up would overshoot).
/// </summary>
public sealed record SizingRules(double MinNotional = 0, bool RoundUp = false);

/// <summary>
/// Sizing shared by every policy: the order is target × equity / price − units; with instrument
/// filters, quantities are cut to whole lots and checked against the minimum quantity and notional.
/// </summary>
public abstract class ExecutionPolicy : IExecutionPolicy
{
    private readonly SizingRules _sizing;
    private readonly InstrumentFilter[] _filters;

    /// <summary>A policy sizing by <paramref name="sizing"/>, within <paramref name="filters"/> by asset (null: none).</summary>
    protected ExecutionPolicy(SizingRules sizing, IReadOnlyList<InstrumentFilter>? filters)
    {
        _sizing = sizing ?? throw new ArgumentNullException(nameof(sizing));
        _filters = filters is null || !filters.Any(f => f.Any) ? [] : [.. filters];
    }

    /// <summary>The filters of <paramref name="asset"/> (none when the venue gives none).</summary>
    protected InstrumentFilter Filter(int asset) => _filters.Length == 0 ? default : _filters[asset];

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public IntentOutcome Intent(int asset, double target, double equity, double price, double units, OrderPurpose purpose, out OrderIntent intent)
    {
        intent = default;
        if (double.IsNaN(price))
            return target != 0 ? IntentOutcome.NoPrice : IntentOutcome.None;
        var order = target * equity / price - units;
        if (order == 0)
            return IntentOutcome.None;
        var closing = target == 0;
        var filter = Filter(asset);
        if (!closing && filter.Lot > 0)
            order = Steps.TowardZero(order, filter.Lot);
        var minNotional = Math.Max(_sizing.MinNotional, filter.MinNotional);
        var outcome = IntentOutcome.Order;
        if (!closing && (order == 0 || Math.Abs(order) * price < minNotional || Math.Abs(order) < filter.MinQuantity))
        {
            var adding = Math.Sign(order) == Math.Sign(target);
            if (!_sizing.RoundUp || !adding || order == 0)
                return IntentOutcome.Skipped;
            order = Math.Sign(order) * minNotional / price;
            if (filter.Any)
                order = Math.Sign(order) * Math.Max(filter.Lot > 0 ? Steps.Up(Math.Abs(order), filter.Lot) : Math.Abs(order), filter.MinQuantity);
            outcome = IntentOutcome.RoundedUp;
        }
        intent = new OrderIntent(asset, order, price, purpose, closing);
        return outcome;
    }

    /// <inheritdoc />
    public abstract WorkingOrder Order(in OrderIntent intent);

    /// <inheritdoc />
    public abstract OrderRequest? Request(in OrderIntent intent, Instrument instrument, string clientOrderId, int attempt);

    /// <inheritdoc />
    public abstract TimeSpan? Patience(int attempt);

    /// <summary>Returns the intent's quantity in <paramref name="instrument"/>'s lots (towards zero) and its side, or null when nothing is left.</summary>
    protected static (decimal Quantity, OrderSide Side)? Lots(in OrderIntent intent, Instrument instrument)
    {
        ArgumentNullException.ThrowIfNull(instrument);
        var quantity = Steps.TowardZero(Steps.ToDecimal(Math.Abs(intent.Quantity)), instrument.StepSize);
        return quantity > 0 ? (quantity, intent.Quantity > 0 ? OrderSide.Buy : OrderSide.Sell) : null;
    }
}

/// <summary>Market orders: filled at the next bar's open in a backtest, sent at once to a venue.</summary>
public sealed class MarketExecutionPolicy(SizingRules sizing, IReadOnlyList<InstrumentFilter>? filters = null) : ExecutionPolicy(sizing, filters)
{
    /// <inheritdoc />
    public override WorkingOrder Order(in OrderIntent intent) =>
        new(intent.Asset, intent.Quantity, OrderType.Market, intent.Purpose, ReduceOnly: intent.Closing);

    /// <inheritdoc />
    public override OrderRequest? Request(in OrderIntent intent, Instrument instrument, string clientOrderId, int attempt) =>
        attempt == 0 && Lots(intent, instrument) is { } lots
            ? new OrderRequest(clientOrderId, instrument.Symbol, lots.Side, OrderType.Market, lots.Quantity, ReduceOnly: intent.Closing)
            : null;

    /// <inheritdoc />
    public override TimeSpan? Patience(int attempt) => null;
}

/// <summary>
/// Post-only limit orders at the decision price moved in the order's favour by <see cref="Offset"/>,
/// on the instrument's tick (buys rounded down, sells up, so that they only ever make); unfilled
/// after <see cref="TimeoutSeconds"/>, re-quoted up to <see cref="Retries"/> times, each with the
/// offset times <see cref="Shrink"/>; after the last quote, a market order when
/// <see cref="MarketFallback"/> is set, else nothing (the target is tried again at the next decision).
/// Only the quotes that fit in one bar at one per timeout are worked: in a backtest within the fill bar
/// (<see cref="BarFillModel"/>), the fallback at the bar's close; at a venue one after another, each resting its
/// timeout (without one, an equal share of the bar with a share left for the fallback), each for what the
/// ones before left unfilled.
/// </summary>
public sealed class LimitMakerExecutionPolicy : ExecutionPolicy
{
    private readonly int _quotesPerBar;
    private readonly TimeSpan _patience;

    /// <summary>A limit-maker policy on bars of <paramref name="barMilliseconds"/>.</summary>
    public LimitMakerExecutionPolicy(SizingRules sizing, double offset, int retries, double shrink, double timeoutSeconds, bool marketFallback,
        long barMilliseconds, IReadOnlyList<InstrumentFilter>? filters = null) : base(sizing, filters)
    {
        Offset = offset;
        Retries = Math.Max(0, retries);
        Shrink = shrink;
        TimeoutSeconds = timeoutSeconds;
        MarketFallback = marketFallback;
        // the first quote and its re-quotes, as many as fit in a bar at one per timeout
        var fit = timeoutSeconds > 0 ? (long)Math.Floor(barMilliseconds / (timeoutSeconds * 1000)) : long.MaxValue;
        _quotesPerBar = (int)Math.Max(1, Math.Min(1L + Retries, fit));
        _patience = TimeSpan.FromMilliseconds(timeoutSeconds > 0 ? timeoutSeconds * 1000 : (double)barMilliseconds / (_quotesPerBar + 1));
    }

    /// <summary>The first quote's distance from the decision price, a fraction of it.</summary>
    public double Offset { get; }

    /// <summary>Re-quotes after the first.</summary>
    public int Retries { get; }

    /// <summary>Each re-quote's offset is the previous one times this.</summary>
    public double Shrink { get; }

    /// <summary>Seconds a quote rests before it is re-quoted (0: every re-quote fits in a bar).</summary>
    public double TimeoutSeconds { get; }

    /// <summary>After the last quote, a market order for what is left.</summary>
    public bool MarketFallback { get; }

    /// <summary>The quotes a backtest works within one bar.</summary>
    public int QuotesPerBar => _quotesPerBar;

    /// <inheritdoc />
    public override WorkingOrder Order(in OrderIntent intent) =>
        new(intent.Asset, intent.Quantity, OrderType.Limit, intent.Purpose,
            new QuoteLadder(intent.ReferencePrice, Offset, Shrink, _quotesPerBar, Filter(intent.Asset).Tick), MarketFallback: MarketFallback,
            ReduceOnly: intent.Closing);

    /// <inheritdoc />
    public override OrderRequest? Request(in OrderIntent intent, Instrument instrument, string clientOrderId, int attempt)
    {
        if (Lots(intent, instrument) is not { } lots)
            return null;
        var (quantity, side) = lots;
        if (attempt < _quotesPerBar)
        {
            var ladder = new QuoteLadder(intent.ReferencePrice, Offset, Shrink, _quotesPerBar, 0);
            var price = Steps.ToDecimal(ladder.Price(Math.Sign(intent.Quantity), ladder.OffsetOf(attempt)));
            price = side == OrderSide.Buy ? Steps.Down(price, instrument.TickSize) : Steps.Up(price, instrument.TickSize);
            return new OrderRequest(clientOrderId, instrument.Symbol, side, OrderType.Limit, quantity, price, TimeInForce: TimeInForce.PostOnly,
                ReduceOnly: intent.Closing);
        }
        return attempt == _quotesPerBar && MarketFallback
            ? new OrderRequest(clientOrderId, instrument.Symbol, side, OrderType.Market, quantity, ReduceOnly: intent.Closing)
            : null;
    }

    /// <inheritdoc />
    public override TimeSpan? Patience(int attempt) =>
        attempt < _quotesPerBar - 1 || (attempt == _quotesPerBar - 1 && MarketFallback) ? _patience : null;
}
