namespace StrategyLab.Runtime.Portfolio;

/// <summary>How the assets of a leg share its exposure.</summary>
public enum LegWeighting
{
    /// <summary>Each asset of a leg gets the same weight.</summary>
    Equal,
    /// <summary>Weights in proportion to |signal| within the leg.</summary>
    SignalProportional,
}

/// <summary>
/// Long the <see cref="LongCount"/> highest signals and short the <see cref="ShortCount"/> lowest,
/// each leg holding <see cref="GrossExposure"/> / 2 of equity (all of it when the other leg is empty).
/// With fewer eligible assets than both legs need, each leg takes half of them (an asset is never
/// in both legs). A bar with no eligible asset is flat.
/// </summary>
/// <example>k = 5 on 100 assets with gross exposure 1: +0.1 on each of the top five, −0.1 on each of the bottom five.</example>
public sealed class TopBottomKPortfolio
{
    private readonly int[] _top;
    private readonly int[] _bottom;

    /// <summary>Creates the portfolio rule for <paramref name="assetCount"/> assets.</summary>
    public TopBottomKPortfolio(int assetCount, int longCount, int shortCount, double grossExposure = 1.0, LegWeighting weighting = LegWeighting.Equal)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(longCount);
        ArgumentOutOfRangeException.ThrowIfNegative(shortCount);
        if (longCount + shortCount == 0)
            throw new ArgumentException("a portfolio needs a long or a short leg");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(grossExposure);
        AssetCount = assetCount;
        LongCount = longCount;
        ShortCount = shortCount;
        GrossExposure = grossExposure;
        Weighting = weighting;
        _top = new int[longCount];
        _bottom = new int[shortCount];
    }

    /// <summary>Assets per row.</summary>
    public int AssetCount { get; }

    /// <summary>Assets held long.</summary>
    public int LongCount { get; }

    /// <summary>Assets held short.</summary>
    public int ShortCount { get; }

    /// <summary>Sum of |weight| when both legs are full.</summary>
    public double GrossExposure { get; }

    /// <summary>How a leg's exposure is shared.</summary>
    public LegWeighting Weighting { get; }

    /// <summary>Target weights for one bar (the incremental form).</summary>
    public void Update(ReadOnlySpan<double> signal, ReadOnlySpan<bool> eligible, Span<double> weights)
    {
        weights.Clear();
        var valid = RankSelection.Select(signal, eligible, _top, _bottom, out var topCount, out var bottomCount);
        if (valid == 0)
            return;
        if (valid < LongCount + ShortCount)
        {
            // too few assets for both legs: split them, so that no asset is long and short at once
            var both = LongCount > 0 && ShortCount > 0;
            topCount = Math.Min(topCount, both ? valid / 2 : valid);
            bottomCount = Math.Min(bottomCount, both ? valid / 2 : valid);
        }
        var legExposure = topCount > 0 && bottomCount > 0 ? GrossExposure / 2 : GrossExposure;
        Assign(signal, _top.AsSpan(0, topCount), legExposure, weights);
        Assign(signal, _bottom.AsSpan(0, bottomCount), -legExposure, weights);
    }

    /// <summary>Target weights for every bar of a [time × asset] signal (the batch form); <paramref name="eligible"/> may be empty.</summary>
    public void Compute(ReadOnlySpan<double> signal, ReadOnlySpan<bool> eligible, Span<double> weights)
    {
        var a = AssetCount;
        if (signal.Length % a != 0 || weights.Length != signal.Length || (!eligible.IsEmpty && eligible.Length != signal.Length))
            throw new ArgumentException("signal, eligibility and weights must all be [time × asset] of the same shape");
        for (var t = 0; t < signal.Length / a; t++)
        {
            Update(signal.Slice(t * a, a), eligible.IsEmpty ? default : eligible.Slice(t * a, a), weights.Slice(t * a, a));
        }
    }

    private void Assign(ReadOnlySpan<double> signal, ReadOnlySpan<int> leg, double exposure, Span<double> weights)
    {
        if (leg.IsEmpty)
            return;
        if (Weighting == LegWeighting.Equal)
        {
            var w = exposure / leg.Length;
            foreach (var asset in leg)
                weights[asset] = w;
            return;
        }
        var total = 0.0;
        foreach (var asset in leg)
            total += Math.Abs(signal[asset]);
        foreach (var asset in leg)
            weights[asset] = total > 0 ? exposure * Math.Abs(signal[asset]) / total : exposure / leg.Length;
    }
}
