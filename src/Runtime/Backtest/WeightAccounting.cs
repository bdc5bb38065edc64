using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using StrategyLab.Runtime.Compute;

namespace StrategyLab.Runtime.Backtest;

/// <summary>The per-bar outcome of a weights-accounting run.</summary>
/// <param name="FirstBar">The first bar with a return: the bar after the first bar that may hold a position.</param>
/// <param name="Returns">Net return of bars FirstBar .. T−1.</param>
/// <param name="GrossReturns">The same before costs (empty when the run did not keep them).</param>
/// <param name="TurnoverTotal">
/// Σ|w[t] − w[t−1]| (w[−1] = 0) of the rebalances whose costs fall inside the measured bars: bars
/// FirstBar − 1 .. T − 2 (no final liquidation).
/// </param>
/// <param name="PositionChanges">Bars whose rebalance changed any weight.</param>
/// <param name="HeldThroughMissingPrices">(bar, asset) cells where a held asset had no price, so its return counted as zero.</param>
public sealed record WeightBacktest(int FirstBar, double[] Returns, double[] GrossReturns, double TurnoverTotal, int PositionChanges, int HeldThroughMissingPrices);

/// <summary>
/// Research accounting on weights: the book is rebalanced to the target weights at every fill, and
/// holdings do not drift between fills. Bar t's return is Σ w[t−1, a] × (F[t, a] / F[t−1, a] − 1)
/// less <c>costRate</c> × Σ|w[t−1] − w[t−2]|, where F is the fill price (the close when orders fill
/// at the signal bar's close, the open of the next bar otherwise) — the vectorised backtest of
/// vectorbt-style research code. The ledger simulation is the one that trades units.
/// </summary>
public static class WeightAccounting
{
    /// <summary>
    /// Runs the accounting. <paramref name="weights"/>[t × A + a] is the target set at bar t's fill
    /// (NaN means flat); <paramref name="fillPrices"/> the price each fill happens at.
    /// <paramref name="firstPositionBar"/> is the first bar whose weights may be non-zero; returns are
    /// measured from the bar after it.
    /// </summary>
    public static WeightBacktest Run(ReadOnlySpan<double> weights, ReadOnlySpan<double> fillPrices, int assetCount, double costRate, int firstPositionBar)
    {
        if (weights.Length != fillPrices.Length || weights.Length % assetCount != 0)
            throw new ArgumentException("weights and fill prices must both be [time × asset] of the same shape");
        var a = assetCount;
        var accountant = new WeightAccountant(weights.Length / a, a, costRate, firstPositionBar);
        for (var t = 0; t < weights.Length / a; t++)
            accountant.Step(weights.Slice(t * a, a), fillPrices.Slice(t * a, a));
        return accountant.Result();
    }
}

/// <summary>
/// The accounting of <see cref="WeightAccounting"/> one bar at a time, so that a backtest can
/// stream targets into it without holding the [time × asset] weights.
/// </summary>
public sealed class WeightAccountant
{
    private readonly int _bars;
    private readonly int _firstPositionBar;
    private readonly double _costRate;
    private readonly double[] _previous;
    private readonly double[] _lastPrice;
    private readonly int[] _held;
    private readonly double[] _returns;
    private readonly double[] _gross;
    private int _t;
    private int _missing;
    private int _changes;
    private int _heldCount;
    private double _lastTurnover;
    private double _turnoverTotal;

    /// <summary>
    /// Prepares the accounting of <paramref name="bars"/> bars over <paramref name="assetCount"/>
    /// assets; without <paramref name="keepGrossReturns"/> the result's gross returns are empty,
    /// which saves a series as long as the history.
    /// </summary>
    public WeightAccountant(int bars, int assetCount, double costRate, int firstPositionBar, bool keepGrossReturns = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstPositionBar);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(firstPositionBar, bars);
        _bars = bars;
        _firstPositionBar = firstPositionBar;
        _costRate = costRate;
        _previous = new double[assetCount];
        _lastPrice = new double[assetCount];
        _lastPrice.AsSpan().Fill(double.NaN);
        _held = new int[assetCount + LanePacking.Lanes];
        // every bar after the first position bar is written before Result hands the series out, so no zeroing
        _returns = GC.AllocateUninitializedArray<double>(bars - firstPositionBar - 1);
        _gross = keepGrossReturns ? GC.AllocateUninitializedArray<double>(_returns.Length) : [];
    }

    /// <summary>Accounts the next bar: its target weights (NaN means flat) and fill prices.</summary>
    // runs every bar and has no loop: optimised from its first call, as a backtest ends before tiering would
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Step(ReadOnlySpan<double> w, ReadOnlySpan<double> price)
    {
        if (_t >= _bars)
            throw new InvalidOperationException($"all {_bars} bars are accounted already");
        var previous = _previous.AsSpan(0, w.Length);
        var lastPrice = _lastPrice.AsSpan(0, w.Length);
        if (_t > _firstPositionBar)
        {
            var pnl = Pnl(_held.AsSpan(0, _heldCount), previous, price, lastPrice, ref _missing);
            if (_gross.Length > 0)
                _gross[_t - _firstPositionBar - 1] = pnl;
            _returns[_t - _firstPositionBar - 1] = pnl - _costRate * _lastTurnover;
        }
        var turn = Rebalance(w, price, previous, lastPrice, _held, out _heldCount);
        if (_t >= _firstPositionBar && _t <= _bars - 2)
            _turnoverTotal += turn;
        if (turn > 0)
            _changes++;
        _lastTurnover = turn;
        _t++;
    }

    /// <summary>
    /// Accounts consecutive bars: <paramref name="w"/> and <paramref name="price"/> hold one row per
    /// bar. The numbers are those of one <see cref="Step"/> per bar; a single asset runs them with
    /// the book in registers.
    /// </summary>
    public void StepRows(ReadOnlySpan<double> w, ReadOnlySpan<double> price)
    {
        var a = _previous.Length;
        if (w.Length != price.Length || w.Length % a != 0)
            throw new ArgumentException($"weights and prices must both be rows of {a} values");
        if (a != 1)
        {
            for (var t = 0; t < w.Length / a; t++)
                Step(w.Slice(t * a, a), price.Slice(t * a, a));
            return;
        }
        if (_t + w.Length > _bars)
            throw new InvalidOperationException($"{_t + w.Length} bars would exceed the {_bars} of the run");
        SingleAsset(w, price);
    }

    // Step's arithmetic for one asset: Pnl and Rebalance's scalar path, bar after bar, except where
    // Bars can take a vector of bars at once
    private void SingleAsset(ReadOnlySpan<double> w, ReadOnlySpan<double> price)
    {
        var book = new Book(_previous[0], _lastPrice[0], _lastTurnover, _turnoverTotal, _t, _missing, _changes);
        int first = _firstPositionBar, last = _bars - 2;
        var i = 0;
        while (i < w.Length)
        {
            var t = book.T;
            if (i >= 2 && t > first && !double.IsNaN(price[i - 1]))
            {
                var end = Math.Min(w.Length, last - t + i + 1);
                i = Bars(w, price, i, end, ref book);
                if (i >= w.Length)
                    break;
            }
            Bar(w[i], price[i], ref book);
            i++;
        }
        (_previous[0], _lastPrice[0], _lastTurnover, _turnoverTotal) = (book.Previous, book.LastPrice, book.LastTurnover, book.Total);
        (_t, _missing, _changes) = (book.T, book.Missing, book.Changes);
        (_held[0], _heldCount) = (0, book.Previous != 0 ? 1 : 0);
    }

    // one asset's book between bars
    private record struct Book(double Previous, double LastPrice, double LastTurnover, double Total, int T, int Missing, int Changes);

    private void Bar(double w, double p, ref Book book)
    {
        var t = book.T;
        if (t > _firstPositionBar)
        {
            var pnl = 0.0;
            if (book.Previous != 0)
            {
                if (double.IsNaN(p) || double.IsNaN(book.LastPrice))
                    book.Missing++;
                else
                    pnl += book.Previous * (p / book.LastPrice - 1.0);
            }
            if (_gross.Length > 0)
                _gross[t - _firstPositionBar - 1] = pnl;
            _returns[t - _firstPositionBar - 1] = pnl - _costRate * book.LastTurnover;
        }
        var target = double.IsNaN(w) ? 0.0 : w;
        var turn = 0.0;
        turn += Math.Abs(target - book.Previous);
        book.Previous = target;
        if (!double.IsNaN(p))
            book.LastPrice = p;
        if (t >= _firstPositionBar && t <= _bars - 2)
            book.Total += turn;
        if (turn > 0)
            book.Changes++;
        book.LastTurnover = turn;
        book.T = t + 1;
    }

    // Bar's numbers a vector of bars at a time, from bar i (two bars into the block, after the first
    // position bar, the bar before it priced) up to end (no later than the last bar whose turnover
    // counts), while the prices are numbers: then the book before each bar is the bars before it in
    // the block. Returns the next bar to account.
    [SkipLocalsInit] // the lanes' buffer is written before it is read
    private int Bars(ReadOnlySpan<double> w, ReadOnlySpan<double> price, int i, int end, ref Book book)
    {
        var width = Vector<double>.Count;
        var (zero, one, cost) = (Vector<double>.Zero, Vector<double>.One, new Vector<double>(_costRate));
        var at = book.T - _firstPositionBar - 1 - i; // the return of block bar i is at index at + i
        var keepGross = _gross.Length > 0;
        var (total, changes, start) = (book.Total, book.Changes, i);
        // every vector the loop reads or writes lies inside its span (bars i − 2 .. end − 1 of the block, their
        // returns), checked here once, so the loop runs unchecked
        if (i < 2 || at + i < 0 || end > w.Length || end > price.Length || at + end > _returns.Length || (keepGross && at + end > _gross.Length))
            throw new ArgumentOutOfRangeException(nameof(end), "the bars reach past the block or the returns");
        ref var weights = ref MemoryMarshal.GetReference(w);
        ref var prices = ref MemoryMarshal.GetReference(price);
        ref var net = ref MemoryMarshal.GetArrayDataReference(_returns);
        ref var gross = ref MemoryMarshal.GetArrayDataReference(_gross);
        Span<double> lanes = stackalloc double[Vector<double>.Count];
        for (; i <= end - width; i += width)
        {
            var p = Vector.LoadUnsafe(ref prices, (nuint)i);
            if (!Vector.EqualsAll(p, p))
                break;
            var target = Flat(Vector.LoadUnsafe(ref weights, (nuint)i));
            var previous = Flat(Vector.LoadUnsafe(ref weights, (nuint)(i - 1)));
            var turn = zero + Vector.Abs(target - previous);
            var lastTurn = zero + Vector.Abs(previous - Flat(Vector.LoadUnsafe(ref weights, (nuint)(i - 2))));
            var pnl = Vector.ConditionalSelect(Vector.Equals(previous, zero), zero, zero + (previous * ((p / Vector.LoadUnsafe(ref prices, (nuint)(i - 1))) - one)));
            if (keepGross)
                pnl.StoreUnsafe(ref gross, (nuint)(at + i));
            (pnl - (cost * lastTurn)).StoreUnsafe(ref net, (nuint)(at + i));
            if (!Vector.EqualsAll(turn, zero))
            {
                // turnover adds up in bar order, as Bar adds it
                turn.CopyTo(lanes);
                foreach (var x in lanes)
                {
                    total = x != 0 ? total + x : total;
                    changes += x > 0 ? 1 : 0;
                }
            }
        }
        if (i > start)
        {
            // the book after bar i − 1, as Bar leaves it
            var previous = double.IsNaN(w[i - 1]) ? 0.0 : w[i - 1];
            var turn = 0.0 + Math.Abs(previous - (double.IsNaN(w[i - 2]) ? 0.0 : w[i - 2]));
            book = book with { Previous = previous, LastPrice = price[i - 1], LastTurnover = turn, T = book.T + (i - start) };
        }
        (book.Total, book.Changes) = (total, changes);
        return i;
    }

    private static Vector<double> Flat(Vector<double> w) => Vector.ConditionalSelect(Vector.Equals(w, w), w, Vector<double>.Zero);

    // Σ w × (price / last price − 1) over the held assets in index order; a held asset without both prices
    // counts as missing. Only the held assets are visited: a long/short book holds few of its universe.
    private static double Pnl(ReadOnlySpan<int> held, ReadOnlySpan<double> previous, ReadOnlySpan<double> price, ReadOnlySpan<double> lastPrice,
        ref int missing)
    {
        var pnl = 0.0;
        foreach (var i in held)
        {
            if (double.IsNaN(price[i]) || double.IsNaN(lastPrice[i]))
                missing++;
            else
                pnl += previous[i] * (price[i] / lastPrice[i] - 1.0);
        }
        return pnl;
    }

    // moves to the targets (NaN is flat), lists the assets now held, remembers the last known prices and returns Σ|Δw|
    private static double Rebalance(ReadOnlySpan<double> w, ReadOnlySpan<double> price, Span<double> previous, Span<double> lastPrice, Span<int> held,
        out int heldCount)
    {
        var turn = 0.0;
        var (i, count) = (0, 0);
        if (Vector256.IsHardwareAccelerated && w.Length >= Vector256<double>.Count && price.Length >= w.Length && previous.Length >= w.Length
            && lastPrice.Length >= w.Length && held.Length >= w.Length + LanePacking.Lanes)
        {
            // every span holds a row (and the held list Lanes more), checked above, so the loop reads and writes unchecked
            ref var targets = ref MemoryMarshal.GetReference(w);
            ref var prices = ref MemoryMarshal.GetReference(price);
            ref var book = ref MemoryMarshal.GetReference(previous);
            ref var last = ref MemoryMarshal.GetReference(lastPrice);
            ref var list = ref MemoryMarshal.GetReference(held);
            var sum = Vector256<double>.Zero;
            for (; i <= w.Length - Vector256<double>.Count; i += Vector256<double>.Count)
            {
                var at = (nuint)i;
                var target = Vector256.LoadUnsafe(ref targets, at);
                target = Vector256.ConditionalSelect(Vector256.Equals(target, target), target, Vector256<double>.Zero);
                sum += Vector256.Abs(target - Vector256.LoadUnsafe(ref book, at));
                target.StoreUnsafe(ref book, at);
                count = LanePacking.Append(~Vector256.Equals(target, Vector256<double>.Zero).ExtractMostSignificantBits(), i, ref list, count);
                var p = Vector256.LoadUnsafe(ref prices, at);
                Vector256.ConditionalSelect(Vector256.Equals(p, p), p, Vector256.LoadUnsafe(ref last, at)).StoreUnsafe(ref last, at);
            }
            turn = Vector256.Sum(sum);
        }
        for (; i < w.Length; i++)
        {
            var target = double.IsNaN(w[i]) ? 0.0 : w[i];
            turn += Math.Abs(target - previous[i]);
            previous[i] = target;
            held[count] = i;
            count += target != 0 ? 1 : 0;
            if (!double.IsNaN(price[i]))
                lastPrice[i] = price[i];
        }
        heldCount = count;
        return turn;
    }

    /// <summary>The net returns of the bars accounted so far (the beginning of the result's series).</summary>
    public ReadOnlySpan<double> ReturnsSoFar => _returns.AsSpan(0, Math.Max(0, _t - _firstPositionBar - 1));

    /// <summary>The result once every bar is accounted.</summary>
    public WeightBacktest Result() =>
        _t == _bars
            ? new WeightBacktest(_firstPositionBar + 1, _returns, _gross, _turnoverTotal, _changes, _missing)
            : throw new InvalidOperationException($"{_t} of {_bars} bars accounted");
}
