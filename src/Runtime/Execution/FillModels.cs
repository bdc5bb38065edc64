using System.Runtime.CompilerServices;

namespace StrategyLab.Runtime.Execution;

/// <summary>
/// What of an order fills in one bar. <see cref="Matched"/> says whether the bar reached the order
/// (a market order always, a limit or stop order when its price was traded); <see cref="Quantity"/>
/// is what fills, signed (it may be zero when a cap left nothing); <see cref="Capped"/> says a
/// volume cap cut it.
/// </summary>
public readonly record struct BarFill(bool Matched, double Quantity, double Price, bool Maker, bool Capped)
{
    /// <summary>Nothing filled: the bar did not reach the order.</summary>
    public static BarFill None => default;
}

/// <summary>
/// Decides what of a working order fills in a bar and at what price. The simulated exchange of
/// backtests uses one, and the paper exchange wraps the very same instance, so that paper fills are
/// backtest fills on live bars.
/// </summary>
public interface IFillModel
{
    /// <summary>Returns what of <paramref name="order"/> fills in <paramref name="bar"/> (whose open is a price).</summary>
    BarFill Match(in WorkingOrder order, in BarQuote bar);
}

/// <summary>
/// Fills by what a bar's prices show. A market order fills at the bar's open, moved against it by
/// the slippage (next-open fills; a fill at a close is a bar whose prices are all the close). A
/// limit order fills at the first of its quotes the bar trades through, a buy when the low is below
/// the quote and a sell when the high is above it, as maker; when none is reached it goes to market
/// at the bar's close if it has a fallback. A stop order (the stop-loss of a position) triggers when
/// the bar reaches its price, a sell stop at a low at or below it and a buy stop at a high at or above
/// it; a take-profit the other way round. Either fills at its price, or at the open when the bar
/// opens beyond it (the market gapped through), moved by the slippage, as taker.
/// </summary>
public sealed class BarFillModel(ISlippageModel slippage) : IFillModel
{
    private readonly ISlippageModel _slippage = slippage ?? throw new ArgumentNullException(nameof(slippage));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public BarFill Match(in WorkingOrder order, in BarQuote bar) => order.Type switch
    {
        OrderType.Market => new(true, order.Quantity, _slippage.Price(bar.Open, order.Quantity), false, false),
        OrderType.Limit => Limit(order, bar),
        OrderType.StopMarket or OrderType.TakeProfitMarket => Trigger(order, bar),
        _ => throw new ArgumentOutOfRangeException(nameof(order), order.Type, "unknown order type"),
    };

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private BarFill Limit(in WorkingOrder order, in BarQuote bar)
    {
        var ladder = order.Ladder;
        var side = Math.Sign(order.Quantity);
        var offset = ladder.Offset;
        for (var k = 0; k < ladder.Quotes; k++, offset *= ladder.Shrink)
        {
            var limit = ladder.Price(side, offset);
            if (order.Quantity > 0 ? bar.Low < limit : bar.High > limit)
                return new(true, order.Quantity, limit, true, false);
        }
        return order.MarketFallback ? new(true, order.Quantity, _slippage.Price(bar.Close, order.Quantity), false, false) : BarFill.None;
    }

    /// <summary>
    /// True when <paramref name="bar"/> reached the trigger of <paramref name="order"/> (a stop or take-profit): a sell stop
    /// at a low at or below its price, a buy stop at a high at or above it, a take-profit the other way round.
    /// </summary>
    public static bool Triggers(in WorkingOrder order, in BarQuote bar)
    {
        var falling = Falling(order);
        return falling ? bar.Low <= order.StopPrice : bar.High >= order.StopPrice;
    }

    // a stop (adverse) sells when the price falls to it and buys when it rises to it; a take-profit the other way
    private static bool Falling(in WorkingOrder order) => order.Quantity < 0 == (order.Type == OrderType.StopMarket);

    private BarFill Trigger(in WorkingOrder order, in BarQuote bar)
    {
        if (!Triggers(order, bar))
            return BarFill.None;
        var level = order.StopPrice;
        var gapped = Falling(order) ? bar.Open <= level : bar.Open >= level;
        return new(true, order.Quantity, _slippage.Price(gapped ? bar.Open : level, order.Quantity), false, false);
    }
}

/// <summary>
/// Partial fills by a share of the bar's volume: at most <paramref name="share"/> × volume of an
/// order fills in a bar (the rest does not); a bar without a known volume does not cap. Wraps the
/// model that decides whether and where the order fills.
/// </summary>
public sealed class VolumeShareFillModel(IFillModel inner, double share) : IFillModel
{
    private readonly IFillModel _inner = inner ?? throw new ArgumentNullException(nameof(inner));

    /// <summary>The share of a bar's volume that may fill.</summary>
    public double Share { get; } = share;

    /// <inheritdoc />
    public BarFill Match(in WorkingOrder order, in BarQuote bar)
    {
        if (double.IsNaN(Share) || double.IsNaN(bar.Volume))
            return _inner.Match(order, bar);
        var cap = Share * bar.Volume;
        if (Math.Abs(order.Quantity) <= cap)
            return _inner.Match(order, bar);
        // the whole order decides where it would fill (its side stays even when the cap is zero); the cap says how much
        var fill = _inner.Match(order, bar);
        return fill with { Quantity = fill.Matched ? Math.Sign(order.Quantity) * cap : 0, Capped = true };
    }
}
