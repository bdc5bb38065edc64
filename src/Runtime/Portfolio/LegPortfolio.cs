using System.Numerics;
using System.Runtime.CompilerServices;

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
/// Target weights from legs. Each side's chosen assets share that side's exposure — without a net
/// target, half the gross when both sides hold something and all of it otherwise; with a net target
/// N, (gross + N) / 2 long and (gross − N) / 2 short, an empty side staying in cash — equally or in
/// proportion to |signal|; the whole book is then scaled by the leverage and, when a maximum gross
/// is set, scaled down to it. Rank legs order values as a stable ascending sort does. A bar with
/// every input NaN for an asset never gives it a position. The batch form runs the same per-bar
/// update as the incremental form, so the two agree exactly.
/// </summary>
public sealed class LegPortfolio
{
    private readonly LegRule[] _legs;
    private readonly int _assets;
    private readonly double _gross;
    private readonly double? _net;
    private readonly double _leverage;
    private readonly double _maxGross;
    private readonly bool _proportional;
    private readonly bool[][] _held;
    private readonly int[][] _members;
    private readonly int[] _memberCount;
    private readonly int[] _partner;
    private readonly (double Value, int Asset)[] _ranked;
    private readonly bool[] _next;
    private readonly double[] _side;
    private readonly int[] _touched;
    private readonly int[] _touchedAt;
    private double[] _gathered = [];
    private readonly ThresholdRule[]? _thresholds;
    // per leg, worked out once: the first index of its input row, the unit it adds to a member's side, and
    // whether that unit is scaled by |signal|
    private readonly int[] _inputAt;
    private readonly double[] _unit;
    private readonly bool[] _bySignal;
    private int _bar;
    private int _barNumber;

    /// <summary>
    /// Bars (numbered as <see cref="UpdateBlock"/> was told) at which a long and a short leg chose the
    /// same asset, so that the two cancelled: the legs together asked for more assets than were
    /// eligible (a top-k/bottom-k rule with fewer than 2k). <c>OneSided</c> when the long or the short
    /// side held nothing after the cancelling.
    /// </summary>
    public List<(int Bar, bool OneSided)> Crossings { get; } = [];

    /// <summary>Creates the portfolio over <paramref name="assetCount"/> assets.</summary>
    public LegPortfolio(int assetCount, IReadOnlyList<LegRule> legs, double grossExposure = 1, double leverage = 1, bool proportional = false,
        double? netExposure = null, double maxGross = double.PositiveInfinity)
    {
        ArgumentNullException.ThrowIfNull(legs);
        if (legs.Count == 0)
            throw new ArgumentException("a portfolio needs at least one leg");
        if (netExposure is { } n && Math.Abs(n) > grossExposure)
            throw new ArgumentException($"a net exposure of {n} cannot be reached with a gross exposure of {grossExposure}");
        _legs = [.. legs];
        _assets = assetCount;
        _gross = grossExposure;
        _net = netExposure;
        _leverage = leverage;
        _maxGross = maxGross;
        _proportional = proportional;
        _held = [.. _legs.Select(_ => new bool[assetCount])];
        _members = [.. _legs.Select(_ => new int[assetCount])];
        _memberCount = new int[_legs.Length];
        _partner = Partners(_legs);
        _ranked = new (double, int)[assetCount];
        _next = new bool[assetCount];
        _side = new double[assetCount];
        _touched = new int[assetCount];
        _touchedAt = new int[assetCount];
        _thresholds = _legs.All(l => l is ThresholdRule) ? [.. _legs.Cast<ThresholdRule>()] : null;
        _inputAt = [.. _legs.Select(l => l.Input * assetCount)];
        _unit = [.. _legs.Select(l => l.Long ? 1.0 : -1.0)];
        _bySignal = [.. _legs.Select(l => proportional && l is RankRule)];
    }

    /// <summary>
    /// One bar: <paramref name="inputs"/> holds the rows the legs read, each <c>assetCount</c> values,
    /// one after another; <paramref name="eligible"/> (may be empty) masks the universe.
    /// </summary>
    public void Update(ReadOnlySpan<double> inputs, ReadOnlySpan<bool> eligible, Span<double> weights)
    {
        var a = _assets;
        for (var l = 0; l < _legs.Length; l++)
        {
            var row = inputs.Slice(_inputAt[l], a);
            switch (_legs[l])
            {
                case RankRule { KeepWithin: 0 } r when _partner[l] >= 0:
                    // the pair is selected once, at its first leg, which may be the top or the bottom one
                    if (_partner[l] > l)
                        RankPair(r.Top ? l : _partner[l], r.Top ? _partner[l] : l, row, eligible);
                    break;
                case RankRule { KeepWithin: 0 } r:
                    RankPair(r.Top ? l : -1, r.Top ? -1 : l, row, eligible);
                    break;
                case RankRule r:
                    RankWithHysteresis(l, r, row, eligible);
                    break;
                case QuantileRule q:
                    Bucket(l, q.Bucket, row, eligible);
                    break;
                case ThresholdRule t:
                    Threshold(l, t, row, t.Exit is { } e ? inputs.Slice(e * a, a) : default, eligible);
                    break;
            }
        }
        Weigh(inputs, weights);
    }

    /// <summary>Every bar of [time × asset] inputs (<paramref name="inputs"/>[k] is input k's column).</summary>
    public void Compute(IReadOnlyList<double[]> inputs, ReadOnlySpan<bool> eligible, Span<double> weights) =>
        UpdateBlock(inputs, eligible, 0, weights.Length / _assets, weights);

    /// <summary>
    /// Bars <paramref name="from"/> .. <paramref name="to"/> − 1 of a block: <paramref name="inputs"/>[k]
    /// holds input k's [bar × asset] values, <paramref name="eligible"/> (may be empty) the block's
    /// universe mask and <paramref name="weights"/> receives the targets, all indexed from the block's
    /// first bar, which is bar <paramref name="blockStart"/> of the whole run (for <see cref="Crossings"/>).
    /// The numbers are those of one <see cref="Update"/> per bar.
    /// </summary>
    public void UpdateBlock(IReadOnlyList<double[]> inputs, ReadOnlySpan<bool> eligible, int from, int to, Span<double> weights, int blockStart = 0)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (_thresholds is not null && _assets == 1 && eligible.IsEmpty)
        {
            SingleAssetThresholds(inputs, from, to, weights);
            return;
        }
        var a = _assets;
        for (var t = from; t < to; t++)
        {
            _barNumber = blockStart + t;
            Update(Row(inputs, t), eligible.IsEmpty ? default : eligible.Slice(t * a, a), weights.Slice(t * a, a));
        }
    }

    /// <summary>Bar <paramref name="t"/>'s input rows, one after another, as <see cref="Update"/> reads them.</summary>
    public ReadOnlySpan<double> Row(IReadOnlyList<double[]> inputs, int t)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var a = _assets;
        if (inputs.Count == 1)
            return inputs[0].AsSpan(t * a, a);
        if (_gathered.Length < inputs.Count * a)
            _gathered = new double[inputs.Count * a];
        for (var k = 0; k < inputs.Count; k++)
            inputs[k].AsSpan(t * a, a).CopyTo(_gathered.AsSpan(k * a, a));
        return _gathered.AsSpan(0, inputs.Count * a);
    }

    // threshold legs on one asset (a single-instrument strategy): the holding rules and the sizing of
    // Update and Weigh, bar by bar with nothing but the legs' held flags between bars
    private void SingleAssetThresholds(IReadOnlyList<double[]> inputs, int from, int to, Span<double> weights)
    {
        var legs = _thresholds!;
        if (legs.Length == 1 && legs[0].Exit is null)
        {
            SingleAssetThreshold(inputs[legs[0].Entry], legs[0].Long, from, to, weights);
            return;
        }
        var entries = legs.Select(l => inputs[l.Entry]).ToArray();
        var exits = legs.Select(l => l.Exit is { } x ? inputs[x] : null).ToArray();
        for (var t = from; t < to; t++)
        {
            var side = 0.0;
            for (var l = 0; l < legs.Length; l++)
            {
                var exit = exits[l];
                var held = Holds(_held[l][0], entries[l][t], exit is null ? double.NaN : exit[t], exit is not null);
                _held[l][0] = held;
                if (held)
                    side += legs[l].Long ? 1.0 : -1.0;
            }
            weights[t] = SingleAssetWeight(side);
        }
    }

    // one leg without an exit (long or short while the entry holds): the same numbers, the sizing worked out once
    private void SingleAssetThreshold(double[] entry, bool isLong, int from, int to, Span<double> weights)
    {
        var size = SingleAssetWeight(isLong ? 1.0 : -1.0);
        var t = from;
        if (Vector.IsHardwareAccelerated)
        {
            // a vector of bars at a time: held where the entry is a number other than zero
            var sized = new Vector<double>(size);
            for (; t <= to - Vector<double>.Count; t += Vector<double>.Count)
            {
                var e = new Vector<double>(entry, t);
                var held = Vector.Equals(e, e) & ~Vector.Equals(e, Vector<double>.Zero);
                Vector.ConditionalSelect(held, sized, Vector<double>.Zero).CopyTo(weights[t..]);
            }
        }
        for (; t < to; t++)
        {
            var e = entry[t];
            weights[t] = !double.IsNaN(e) && e != 0 ? size : 0;
        }
        if (to > from)
            _held[0][0] = !double.IsNaN(entry[to - 1]) && entry[to - 1] != 0;
    }

    // Weigh for one asset whose legs net to side
    // runs every bar and has no loop: optimised from its first call, as a backtest ends before tiering would
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double SingleAssetWeight(double side)
    {
        var longSum = side > 0 ? side : 0;
        var shortSum = side < 0 ? -side : 0;
        var (scale, longExposure, shortExposure) = Sizing(longSum, shortSum);
        return side > 0 ? scale * longExposure * side / longSum
            : side < 0 ? scale * shortExposure * side / shortSum
            : 0;
    }

    // a top and a bottom rank leg without hysteresis over the same signal are selected in one pass
    private static int[] Partners(LegRule[] legs)
    {
        var partner = Enumerable.Repeat(-1, legs.Length).ToArray();
        for (var l = 0; l < legs.Length; l++)
        {
            for (var m = l + 1; m < legs.Length && partner[l] < 0; m++)
            {
                if (legs[l] is RankRule { KeepWithin: 0 } x && legs[m] is RankRule { KeepWithin: 0 } y
                    && x.Signal == y.Signal && x.Top != y.Top && partner[m] < 0)
                {
                    partner[l] = m;
                    partner[m] = l;
                }
            }
        }
        return partner;
    }

    private static bool Eligible(ReadOnlySpan<bool> eligible, int i) => eligible.IsEmpty || eligible[i];

    // legs top and bottom (−1 for none): a one-pass selection of the k best, no sort
    // runs every bar and has no loop: optimised from its first call, as a backtest ends before tiering would
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RankPair(int top, int bottom, ReadOnlySpan<double> row, ReadOnlySpan<bool> eligible)
    {
        Span<int> topPicked = top < 0 ? default : _members[top].AsSpan(0, Math.Min(((RankRule)_legs[top]).Count, row.Length));
        Span<int> bottomPicked = bottom < 0 ? default : _members[bottom].AsSpan(0, Math.Min(((RankRule)_legs[bottom]).Count, row.Length));
        // the picks of the bar before are still in the buffers: they bound this bar's search
        int topCount = 0, bottomCount = 0;
        if (!eligible.IsEmpty || !RankSelection.SelectNear(row, topPicked, top < 0 ? 0 : _memberCount[top], bottomPicked,
            bottom < 0 ? 0 : _memberCount[bottom], out topCount, out bottomCount))
            RankSelection.Select(row, eligible, topPicked, bottomPicked, out topCount, out bottomCount);
        if (top >= 0)
            _memberCount[top] = topCount;
        if (bottom >= 0)
            _memberCount[bottom] = bottomCount;
    }

    // keeps held assets ranked within KeepWithin places, then fills the leg from the best ranked
    private void RankWithHysteresis(int l, RankRule r, ReadOnlySpan<double> row, ReadOnlySpan<bool> eligible)
    {
        var held = _held[l];
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
        for (var p = 0; p < Math.Min(r.KeepWithin, n) && chosen < r.Count; p++)
        {
            if (held[ranked[p].Asset])
            {
                next[ranked[p].Asset] = true;
                chosen++;
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
        Members(l);
    }

    private void Threshold(int l, ThresholdRule t, ReadOnlySpan<double> entry, ReadOnlySpan<double> exit, ReadOnlySpan<bool> eligible)
    {
        var held = _held[l];
        for (var i = 0; i < entry.Length; i++)
            held[i] = Eligible(eligible, i) && Holds(held[i], entry[i], exit.IsEmpty ? double.NaN : exit[i], !exit.IsEmpty);
        Members(l);
    }

    // enter on a non-zero entry; with an exit, hold until it is non-zero, else while the entry holds; a NaN entry is flat
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Holds(bool held, double entry, double exit, bool hasExit) =>
        !double.IsNaN(entry) && (!hasExit ? entry != 0
            : held ? !(exit != 0 && !double.IsNaN(exit))
            : entry != 0);

    private void Bucket(int l, int bucket, ReadOnlySpan<double> row, ReadOnlySpan<bool> eligible)
    {
        var members = _members[l];
        var count = 0;
        for (var i = 0; i < row.Length; i++)
        {
            if (row[i] == bucket && Eligible(eligible, i))
                members[count++] = i;
        }
        _memberCount[l] = count;
    }

    // the held flags of leg l as its member list
    private void Members(int l)
    {
        var held = _held[l];
        var members = _members[l];
        var count = 0;
        for (var i = 0; i < held.Length; i++)
        {
            if (held[i])
                members[count++] = i;
        }
        _memberCount[l] = count;
    }

    // sums each asset's sizes over the legs, visiting only the legs' members
    private void Weigh(ReadOnlySpan<double> inputs, Span<double> weights)
    {
        var a = _assets;
        weights.Clear();
        var side = _side.AsSpan(0, a);
        var touchedAt = _touchedAt.AsSpan(0, a);
        var touchedList = _touched.AsSpan(0, a);
        var touched = 0;
        var bar = ++_bar;
        for (var l = 0; l < _legs.Length; l++)
        {
            var members = _members[l].AsSpan(0, _memberCount[l]);
            var unit = _unit[l];
            var signal = _bySignal[l] ? inputs.Slice(_inputAt[l], a) : default;
            foreach (var i in members)
            {
                // a size of 1, or |signal| where the legs weigh by it and it is a number
                var size = !signal.IsEmpty && !double.IsNaN(signal[i]) ? Math.Abs(signal[i]) * unit : unit;
                if (touchedAt[i] != bar)
                {
                    touchedAt[i] = bar;
                    touchedList[touched++] = i;
                }
                side[i] += size;
            }
        }
        var assets = touchedList[..touched];
        double longSum = 0, shortSum = 0;
        var crossed = false;
        foreach (var i in assets)
        {
            if (side[i] > 0)
                longSum += side[i];
            else if (side[i] < 0)
                shortSum -= side[i];
            else
                crossed = true;
        }
        if (crossed)
            CountCrossed(longSum, shortSum);
        if (longSum > 0 || shortSum > 0)
        {
            var (scale, longExposure, shortExposure) = Sizing(longSum, shortSum);
            var (longScale, shortScale) = (scale * longExposure, scale * shortExposure);
            foreach (var i in assets)
            {
                var s = side[i];
                if (s > 0)
                    weights[i] = longScale * s / longSum;
                else if (s < 0)
                    weights[i] = shortScale * s / shortSum;
            }
        }
        foreach (var i in assets)
            side[i] = 0;
    }

    private void CountCrossed(double longSum, double shortSum) => Crossings.Add((_barNumber, longSum == 0 || shortSum == 0));

    // each side's exposure (the net target's split, or half the gross each when both sides hold
    // something and all of it otherwise) and the leverage, scaled down to the maximum gross
    // runs every bar and has no loop: optimised from its first call, as a backtest ends before tiering would
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private (double Scale, double LongExposure, double ShortExposure) Sizing(double longSum, double shortSum)
    {
        var (longExposure, shortExposure) = _net is { } net ? ((_gross + net) / 2, (_gross - net) / 2)
            : longSum > 0 && shortSum > 0 ? (_gross / 2, _gross / 2)
            : (_gross, _gross);
        var gross = _leverage * ((longSum > 0 ? longExposure : 0) + (shortSum > 0 ? shortExposure : 0));
        return (gross > _maxGross ? _leverage * _maxGross / gross : _leverage, longExposure, shortExposure);
    }
}
