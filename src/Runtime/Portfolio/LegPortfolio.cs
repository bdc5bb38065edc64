namespace StrategyLab.Runtime.Portfolio;

/// <summary>How a leg chooses its assets at a bar.</summary>
public abstract record LegRule(bool Long)
{
    /// <summary>Index of the leg's signal (or entry) among the rows passed to <see cref="LegPortfolio.Update"/>.</summary>
    public abstract int Input { get; }
}

/// <summary>The <paramref name="Count"/> highest (<paramref name="Top"/>) or lowest values of a signal; held assets stay while within <paramref name="KeepWithin"/> places.</summary>
public sealed record RankRule(bool Long, bool Top, int Count, int Signal, int KeepWithin = 0) : LegRule(Long)
{
    /// <inheritdoc />
    public override int Input => Signal;
}

/// <summary>Assets in quantile bucket <paramref name="Bucket"/> (1 = lowest) of a row of bucket numbers.</summary>
public sealed record QuantileRule(bool Long, int Bucket, int Buckets) : LegRule(Long)
{
    /// <inheritdoc />
    public override int Input => Buckets;
}

/// <summary>Enter where <paramref name="Entry"/> is non-zero; hold until <paramref name="Exit"/> is non-zero, or while the entry holds when there is no exit.</summary>
public sealed record ThresholdRule(bool Long, int Entry, int? Exit) : LegRule(Long)
{
    /// <inheritdoc />
    public override int Input => Entry;
}

/// <summary>
/// Target weights from legs. Each side's chosen assets share that side's exposure — half the gross
/// when both sides hold something, all of it otherwise — equally or in proportion to |signal|, and
/// the whole book is scaled by the leverage. Rank legs order values as a stable ascending sort does.
/// A bar with every input NaN for an asset never gives it a position. The batch form runs the same
/// per-bar update as the incremental form, so the two agree exactly.
/// </summary>
public sealed class LegPortfolio
{
    private readonly IReadOnlyList<LegRule> _legs;
    private readonly int _assets;
    private readonly double _gross;
    private readonly double _leverage;
    private readonly bool _proportional;
    private readonly bool[][] _held;
    private readonly (double Value, int Asset)[] _ranked;
    private readonly int[] _picked;
    private readonly bool[] _next;
    private readonly double[] _side;

    /// <summary>Creates the portfolio over <paramref name="assetCount"/> assets.</summary>
    public LegPortfolio(int assetCount, IReadOnlyList<LegRule> legs, double grossExposure = 1, double leverage = 1, bool proportional = false)
    {
        ArgumentNullException.ThrowIfNull(legs);
        if (legs.Count == 0)
            throw new ArgumentException("a portfolio needs at least one leg");
        _legs = legs;
        _assets = assetCount;
        _gross = grossExposure;
        _leverage = leverage;
        _proportional = proportional;
        _held = legs.Select(_ => new bool[assetCount]).ToArray();
        _ranked = new (double, int)[assetCount];
        _picked = new int[assetCount];
        _next = new bool[assetCount];
        _side = new double[assetCount];
    }

    /// <summary>
    /// One bar: <paramref name="inputs"/> holds the rows the legs read, each <c>assetCount</c> values,
    /// one after another; <paramref name="eligible"/> (may be empty) masks the universe.
    /// </summary>
    public void Update(ReadOnlySpan<double> inputs, ReadOnlySpan<bool> eligible, Span<double> weights)
    {
        var a = _assets;
        for (var l = 0; l < _legs.Count; l++)
        {
            var row = inputs.Slice(_legs[l].Input * a, a);
            var held = _held[l];
            switch (_legs[l])
            {
                case RankRule r:
                    Rank(r, row, eligible, held);
                    break;
                case QuantileRule q:
                    for (var i = 0; i < a; i++)
                        held[i] = row[i] == q.Bucket && Eligible(eligible, i);
                    break;
                case ThresholdRule t:
                    var exit = t.Exit is { } e ? inputs.Slice(e * a, a) : default;
                    for (var i = 0; i < a; i++)
                    {
                        if (!Eligible(eligible, i) || double.IsNaN(row[i]))
                            held[i] = false;
                        else if (exit.IsEmpty)
                            held[i] = row[i] != 0;
                        else if (held[i])
                            held[i] = !(exit[i] != 0 && !double.IsNaN(exit[i]));
                        else
                            held[i] = row[i] != 0;
                    }
                    break;
            }
        }
        Weigh(inputs, weights);
    }

    /// <summary>Every bar of [time × asset] inputs (<paramref name="inputs"/>[k] is input k's column).</summary>
    public void Compute(IReadOnlyList<double[]> inputs, ReadOnlySpan<bool> eligible, Span<double> weights)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var a = _assets;
        var rows = new double[inputs.Count * a];
        for (var t = 0; t < weights.Length / a; t++)
        {
            for (var k = 0; k < inputs.Count; k++)
                inputs[k].AsSpan(t * a, a).CopyTo(rows.AsSpan(k * a, a));
            Update(rows, eligible.IsEmpty ? default : eligible.Slice(t * a, a), weights.Slice(t * a, a));
        }
    }

    private static bool Eligible(ReadOnlySpan<bool> eligible, int i) => eligible.IsEmpty || eligible[i];

    // keeps held assets ranked within KeepWithin places, then fills the leg from the best ranked
    private void Rank(RankRule r, ReadOnlySpan<double> row, ReadOnlySpan<bool> eligible, bool[] held)
    {
        if (r.KeepWithin == 0)
        {
            // no hysteresis: a one-pass selection of the k best, no sort
            var picked = _picked.AsSpan(0, Math.Min(r.Count, row.Length));
            RankSelection.Select(row, eligible, r.Top ? picked : default, r.Top ? default : picked, out var top, out var bottom);
            Array.Clear(held);
            foreach (var asset in picked[..(r.Top ? top : bottom)])
                held[asset] = true;
            return;
        }
        var n = 0;
        for (var i = 0; i < row.Length; i++)
        {
            if (!double.IsNaN(row[i]) && Eligible(eligible, i))
                _ranked[n++] = (row[i], i);
        }
        // ascending by (value, index), the order of a stable sort; the top leg reads it from the end
        var ranked = _ranked.AsSpan(0, n);
        ranked.Sort();
        if (r.Top)
            ranked.Reverse();
        var next = _next.AsSpan();
        next.Clear();
        var chosen = 0;
        if (r.KeepWithin > 0)
        {
            for (var p = 0; p < Math.Min(r.KeepWithin, n) && chosen < r.Count; p++)
            {
                if (held[ranked[p].Asset])
                {
                    next[ranked[p].Asset] = true;
                    chosen++;
                }
            }
        }
        for (var p = 0; p < n && chosen < r.Count; p++)
        {
            if (!next[ranked[p].Asset])
            {
                next[ranked[p].Asset] = true;
                chosen++;
            }
        }
        next.CopyTo(held);
    }

    private void Weigh(ReadOnlySpan<double> inputs, Span<double> weights)
    {
        var a = _assets;
        weights.Clear();
        _side.AsSpan().Clear();
        double longSum = 0, shortSum = 0;
        for (var l = 0; l < _legs.Count; l++)
        {
            var leg = _legs[l];
            var signal = inputs.Slice(leg.Input * a, a);
            for (var i = 0; i < a; i++)
            {
                if (!_held[l][i])
                    continue;
                var size = _proportional && leg is RankRule && !double.IsNaN(signal[i]) ? Math.Abs(signal[i]) : 1.0;
                _side[i] += leg.Long ? size : -size;
            }
        }
        for (var i = 0; i < a; i++)
        {
            if (_side[i] > 0)
                longSum += _side[i];
            else
                shortSum -= _side[i];
        }
        if (longSum == 0 && shortSum == 0)
            return;
        var sideExposure = longSum > 0 && shortSum > 0 ? _gross / 2 : _gross;
        for (var i = 0; i < a; i++)
        {
            var s = _side[i];
            if (s > 0)
                weights[i] = _leverage * sideExposure * s / longSum;
            else if (s < 0)
                weights[i] = _leverage * sideExposure * s / shortSum;
        }
    }
}
