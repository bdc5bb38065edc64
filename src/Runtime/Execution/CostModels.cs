namespace StrategyLab.Runtime.Execution;

/// <summary>The fee a venue charges on a fill, in money (negative for a rebate).</summary>
public interface IFeeModel
{
    /// <summary>Returns the fee on a fill of <paramref name="notional"/> (|quantity| × price), as maker or taker.</summary>
    double Fee(double notional, bool maker);
}

/// <summary>A fraction of the notional, one for makers and one for takers (5 bps = 0.0005).</summary>
public sealed class MakerTakerFeeModel(double maker, double taker) : IFeeModel
{
    /// <summary>The makers' fraction (negative: a rebate).</summary>
    public double Maker { get; } = maker;

    /// <summary>The takers' fraction.</summary>
    public double Taker { get; } = taker;

    /// <inheritdoc />
    public double Fee(double notional, bool maker) => notional * (maker ? Maker : Taker);
}

/// <summary>The price a taker fill gets, moved from the quoted price against the order.</summary>
public interface ISlippageModel
{
    /// <summary>Returns the fill price of <paramref name="quantity"/> (signed, + buys) taken at <paramref name="price"/>.</summary>
    double Price(double price, double quantity);
}

/// <summary>A fixed fraction of the price against the order: buys pay more, sells get less.</summary>
public sealed class FractionSlippageModel(double fraction) : ISlippageModel
{
    /// <summary>The fraction (2 bps = 0.0002).</summary>
    public double Fraction { get; } = fraction;

    /// <inheritdoc />
    public double Price(double price, double quantity) => price * (1 + (Math.Sign(quantity) * Fraction));
}
