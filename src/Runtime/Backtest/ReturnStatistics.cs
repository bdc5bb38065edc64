using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace StrategyLab.Runtime.Backtest;

/// <summary>
/// The statistics of <see cref="PerformanceMetrics"/>, taken while the returns are produced: each
/// chunk of <see cref="ChunkBars"/> returns is read once, while it is still in cache, instead of in
/// several passes over the whole series afterwards. Chunks sit at fixed positions of the series, so
/// the numbers do not depend on how the producer hands the returns over.
/// </summary>
public sealed class ReturnStatistics
{
    /// <summary>Returns per chunk: a multiple of every vector width, small enough for the first-level cache.</summary>
    public const int ChunkBars = 4096;

    private static int Width => Vector<double>.Count;

    // Σ R, Σ min(R, 0)², the count of R > 0, the largest and the smallest R: one lane per bar modulo the width
    private Vector<double> _sum = Vector<double>.Zero;
    private Vector<double> _downside = Vector<double>.Zero;
    private Vector<double> _best = new(double.NegativeInfinity);
    private Vector<double> _worst = new(double.PositiveInfinity);
    private Vector<long> _positive = Vector<long>.Zero;

    // variance: each chunk's mean and squared deviations, merged as Chan, Golub and LeVeque (1979) do
    private double _mean;
    private double _squaredDeviations;

    // the equity path: see MomentsAndPath
    private double _equity = 1;
    private double _peak = 1;
    private double _trough = 1;
    private double _maxDrawdown;
    private double _worstRatio = 1;
    private double _lowest = 1;
    private int _peakBar = -1;
    private int _longest;

    private int _taken;

    /// <summary>
    /// Takes the whole chunks of <paramref name="returnsSoFar"/> (the series from its first bar, as far as
    /// it is known) that are not taken yet; the rest waits for more returns or for <see cref="Finish"/>.
    /// </summary>
    public void Take(ReadOnlySpan<double> returnsSoFar)
    {
        while (returnsSoFar.Length - _taken >= ChunkBars)
            TakeChunk(returnsSoFar.Slice(_taken, ChunkBars));
    }

    /// <summary>
    /// The statistics of the whole series <paramref name="returns"/> (the one <see cref="Take"/> saw a
    /// beginning of); every return must be finite and at least −1 (a total loss).
    /// </summary>
    public PerformanceMetrics Finish(ReadOnlySpan<double> returns, double periodsPerYear)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(periodsPerYear);
        Take(returns);
        if (_taken < returns.Length)
            TakeChunk(returns[_taken..]);
        var n = returns.Length;
        var (sum, downside, positive, best, worst) = Totals(returns);
        var mean = n > 0 ? sum / n : double.NaN;
        var (equity, maxDrawdown, worstRatio, longest) = ClosedPath(n);
        var lowest = Math.Min(_lowest, _trough);
        // the logarithms come from the equity itself unless it left the range where products keep every digit
        var (logEquity, maxLogDrawdown) = lowest >= PerformanceMetrics.Tiny && _peak <= PerformanceMetrics.Huge
            ? (Math.Log(equity), Math.Log(worstRatio))
            : PerformanceMetrics.LogDrawdowns(returns);
        var sd = n > 1 ? Math.Sqrt(_squaredDeviations / (n - 1)) : double.NaN;
        var downsideDeviation = n > 0 ? Math.Sqrt(downside / n) : double.NaN;
        var scale = Math.Sqrt(periodsPerYear);
        var annualized = n > 0 ? Math.Pow(equity, periodsPerYear / n) - 1 : double.NaN;
        return new PerformanceMetrics(
            n,
            periodsPerYear,
            equity - 1,
            logEquity,
            annualized,
            sd * scale,
            mean / sd * scale,
            downsideDeviation > 0 ? mean / downsideDeviation * scale : double.NaN,
            maxDrawdown,
            longest,
            maxLogDrawdown,
            maxDrawdown > 0 ? annualized / maxDrawdown : double.NaN,
            n > 0 ? best : double.NaN,
            n > 0 ? worst : double.NaN,
            n > 0 ? (double)positive / n : double.NaN);
    }

    // a chunk of whole vectors and possibly a scalar tail (the series' last chunk only)
    private void TakeChunk(ReadOnlySpan<double> chunk)
    {
        var chunkSum = MomentsAndPath(chunk);
        MergeVariance(chunk, chunkSum);
        _taken += chunk.Length;
    }

    // One pass: Σ R, Σ min(R, 0)², the count of R > 0, the largest and the smallest R over whole vectors
    // (Totals adds the tail), and the equity path bar by bar, whose multiplications wait on each other
    // while the vector work fills the gaps. Refuses a return that is not finite or below −1, naming its
    // bar. Returns the chunk's own sum.
    //
    // The path: final equity (starting at 1), the largest fall from the running peak (also as the largest
    // peak / trough ratio), the longest stretch below a peak, and the equity's range. While the peak
    // stands, the deepest point so far is the only candidate for its drawdown (a quotient falls as the
    // divisor grows, rounding included), so each stretch is divided out once, when it ends.
    private double MomentsAndPath(ReadOnlySpan<double> chunk)
    {
        var (sum, downside, positive, best, worst) = (_sum, _downside, _positive, _best, _worst);
        var (valid, chunkSum) = (Vector<long>.AllBitsSet, Vector<double>.Zero);
        double equity = _equity, peak = _peak, trough = _trough, maxDrawdown = _maxDrawdown, worstRatio = _worstRatio, lowest = _lowest;
        int peakBar = _peakBar, longest = _longest;
        var whole = chunk.Length / Width * Width;
        for (var t = 0; t < chunk.Length; t += Width)
        {
            if (t < whole)
            {
                var r = new Vector<double>(chunk[t..]);
                valid &= Vector.GreaterThanOrEqual(r, new Vector<double>(-1.0)) & Vector.LessThan(r, new Vector<double>(double.PositiveInfinity));
                sum += r;
                chunkSum += r;
                var loss = Vector.Min(r, Vector<double>.Zero);
                downside += loss * loss;
                positive -= Vector.GreaterThan(r, Vector<double>.Zero);
                best = Vector.Max(best, r);
                worst = Vector.Min(worst, r);
            }
            for (int i = t, stop = Math.Min(t + Width, chunk.Length); i < stop; i++)
            {
                equity *= 1 + chunk[i];
                if (equity >= peak)
                {
                    var bar = _taken + i;
                    maxDrawdown = Math.Max(maxDrawdown, 1 - (trough / peak));
                    worstRatio = Math.Max(worstRatio, peak / trough);
                    longest = Math.Max(longest, bar - 1 - peakBar);
                    lowest = Math.Min(lowest, trough);
                    (peak, trough, peakBar) = (equity, equity, bar);
                }
                else
                {
                    // the lower of the two without a branch (minsd returns its first operand exactly when it is
                    // less): on a falling path new lows come at random, and the branch they took was mispredicted
                    trough = Sse2.IsSupported ? Sse2.MinScalar(Vector128.CreateScalarUnsafe(equity), Vector128.CreateScalarUnsafe(trough)).ToScalar()
                        : equity < trough ? equity : trough;
                }
            }
        }
        for (var i = Vector.EqualsAll(valid, Vector<long>.AllBitsSet) ? whole : 0; i < chunk.Length; i++)
        {
            if (!double.IsFinite(chunk[i]) || chunk[i] < -1)
                throw new ArgumentException($"return {chunk[i]} at bar {_taken + i} is not a finite number of at least -1", "returns");
        }
        (_sum, _downside, _positive, _best, _worst) = (sum, downside, positive, best, worst);
        (_equity, _peak, _trough, _maxDrawdown, _worstRatio, _lowest) = (equity, peak, trough, maxDrawdown, worstRatio, lowest);
        (_peakBar, _longest) = (peakBar, longest);
        var total = Vector.Sum(chunkSum);
        for (var i = whole; i < chunk.Length; i++)
            total += chunk[i];
        return total;
    }

    // the lanes summed, then the series' last bars that fill no vector added in order
    private (double Sum, double Downside, int Positive, double Best, double Worst) Totals(ReadOnlySpan<double> returns)
    {
        double s = Vector.Sum(_sum), d = Vector.Sum(_downside), hi = double.NegativeInfinity, lo = double.PositiveInfinity;
        var p = (int)Vector.Sum(_positive);
        for (var lane = 0; lane < Width; lane++)
        {
            hi = Math.Max(hi, _best[lane]);
            lo = Math.Min(lo, _worst[lane]);
        }
        foreach (var r in returns[(returns.Length / Width * Width)..])
        {
            s += r;
            d += r < 0 ? r * r : 0;
            p += r > 0 ? 1 : 0;
            hi = Math.Max(hi, r);
            lo = Math.Min(lo, r);
        }
        return (s, d, p, hi, lo);
    }

    // the chunk's own mean and Σ (R − mean)², merged into the running ones
    private void MergeVariance(ReadOnlySpan<double> chunk, double chunkSum)
    {
        var chunkMean = chunkSum / chunk.Length;
        var m = new Vector<double>(chunkMean);
        var acc = Vector<double>.Zero;
        var t = 0;
        for (; t <= chunk.Length - Width; t += Width)
        {
            var d = new Vector<double>(chunk[t..]) - m;
            acc += d * d;
        }
        var deviations = Vector.Sum(acc);
        for (; t < chunk.Length; t++)
            deviations += (chunk[t] - chunkMean) * (chunk[t] - chunkMean);
        var (before, count) = ((double)_taken, (double)(_taken + chunk.Length));
        var delta = chunkMean - _mean;
        _mean += delta * (chunk.Length / count);
        _squaredDeviations += deviations + (delta * delta * (before * chunk.Length / count));
    }

    // the last stretch below the peak closes at the end of the series
    private (double Equity, double MaxDrawdown, double WorstRatio, int Longest) ClosedPath(int bars) =>
        (_equity,
            Math.Max(_maxDrawdown, 1 - (_trough / _peak)),
            Math.Max(_worstRatio, _peak / _trough),
            Math.Max(_longest, bars - 1 - _peakBar));
}
