using System.Runtime.CompilerServices;
using StrategyLab.Runtime.Data;

namespace StrategyLab.Runtime.Execution;

/// <summary>
/// One bar of every asset as the engine and the simulated venue step through it: the prices of the
/// bar that opens at <see cref="Time"/>, indexed by asset, NaN where an asset did not trade in it.
/// <see cref="Volume"/> and <see cref="FundingRate"/> are empty when the data has none. A backtest
/// slices them out of a panel; paper and live trading build them from the closed bars of a feed.
/// </summary>
public readonly ref struct BarRow
{
    /// <summary>A bar from its columns.</summary>
    public BarRow(int index, long time, ReadOnlySpan<double> open, ReadOnlySpan<double> high, ReadOnlySpan<double> low,
        ReadOnlySpan<double> close, ReadOnlySpan<double> volume = default, ReadOnlySpan<double> fundingRate = default)
    {
        Index = index;
        Time = time;
        Open = open;
        High = high;
        Low = low;
        Close = close;
        Volume = volume;
        FundingRate = fundingRate;
    }

    /// <summary>The bar's number in the run, from 0.</summary>
    public int Index { get; }

    /// <summary>When the bar opens, Unix milliseconds.</summary>
    public long Time { get; }

    /// <summary>Opening prices.</summary>
    public ReadOnlySpan<double> Open { get; }

    /// <summary>Highest prices.</summary>
    public ReadOnlySpan<double> High { get; }

    /// <summary>Lowest prices.</summary>
    public ReadOnlySpan<double> Low { get; }

    /// <summary>Closing prices.</summary>
    public ReadOnlySpan<double> Close { get; }

    /// <summary>Traded volumes in units of the asset (empty: unknown).</summary>
    public ReadOnlySpan<double> Volume { get; }

    /// <summary>Funding rates charged at the bar's open (empty: none).</summary>
    public ReadOnlySpan<double> FundingRate { get; }

    /// <summary>The UTC day the bar opens in, as days since the Unix epoch.</summary>
    public long Day => Time / 86_400_000L;

    /// <summary>Returns one asset's prices in this bar.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public BarQuote Quote(int asset) =>
        new(Open[asset], High[asset], Low[asset], Close[asset], Volume.IsEmpty ? double.NaN : Volume[asset]);

    /// <summary>Returns bar <paramref name="t"/> of <paramref name="panel"/> (funding from <c>funding_rate</c> when it has one).</summary>
    public static BarRow Of(Panel panel, int t)
    {
        ArgumentNullException.ThrowIfNull(panel);
        var a = panel.AssetCount;
        var row = t * a;
        return new BarRow(t, panel.Times[t], panel.Column("open").Slice(row, a), panel.Column("high").Slice(row, a),
            panel.Column("low").Slice(row, a), panel.Column("close").Slice(row, a),
            panel.HasColumn("volume") ? panel.Column("volume").Slice(row, a) : default,
            panel.HasColumn("funding_rate") ? panel.Column("funding_rate").Slice(row, a) : default);
    }
}

/// <summary>One asset's prices in one bar, as the fill models see them; <see cref="Volume"/> is NaN when unknown.</summary>
public readonly record struct BarQuote(double Open, double High, double Low, double Close, double Volume)
{
    /// <summary>A moment rather than a bar: every price is <paramref name="price"/> (fills at a bar's close).</summary>
    public static BarQuote At(double price, double volume) => new(price, price, price, price, volume);
}
