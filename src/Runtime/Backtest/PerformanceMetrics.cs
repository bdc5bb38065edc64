using System.Numerics;

namespace StrategyLab.Runtime.Backtest;

/// <summary>
/// Statistics of a strategy's per-bar returns. Annualisation uses <see cref="PeriodsPerYear"/>
/// (crypto trades every day: 365 daily bars, 525,600 minute bars). Sharpe and Sortino assume a
/// zero risk-free rate. Drawdowns are measured from the running peak of equity, which starts at 1.
/// </summary>
/// <param name="Bars">Number of returns.</param>
/// <param name="PeriodsPerYear">Bars per year used to annualise.</param>
/// <param name="TotalReturn">Π(1 + R) − 1.</param>
/// <param name="LogTotalReturn">Σ log(1 + R): stays informative where equity goes near zero.</param>
/// <param name="AnnualizedReturn">(1 + total)^(periods per year / bars) − 1.</param>
/// <param name="AnnualizedVolatility">Sample standard deviation (n − 1) × √periods per year.</param>
/// <param name="Sharpe">mean / sample standard deviation × √periods per year.</param>
/// <param name="Sortino">mean / downside deviation × √periods per year, downside deviation = √(mean(min(R, 0)²)).</param>
/// <param name="MaxDrawdown">max over t of 1 − E[t] / max(1, max E[s≤t]).</param>
/// <param name="MaxDrawdownBars">The longest stretch, in bars, from a peak to the bar that regains it (or to the end).</param>
/// <param name="MaxDrawdownLog">max over t of max(0, max log E[s≤t]) − log E[t].</param>
/// <param name="Calmar">Annualised return / max drawdown (NaN without a drawdown).</param>
/// <param name="BestBar">The largest single-bar return.</param>
/// <param name="WorstBar">The smallest single-bar return.</param>
/// <param name="PositiveBars">Share of bars with a positive return.</param>
public sealed record PerformanceMetrics(
    int Bars,
    double PeriodsPerYear,
    double TotalReturn,
    double LogTotalReturn,
    double AnnualizedReturn,
    double AnnualizedVolatility,
    double Sharpe,
    double Sortino,
    double MaxDrawdown,
    int MaxDrawdownBars,
    double MaxDrawdownLog,
    double Calmar,
    double BestBar,
    double WorstBar,
    double PositiveBars)
{
    private const int Rescale = 512;

    private static readonly double Tiny = Math.ScaleB(1.0, -Rescale);
    private static readonly double Huge = Math.ScaleB(1.0, Rescale);

    /// <summary>Computes the statistics of <paramref name="returns"/>; every return must be finite and at least −1 (a total loss).</summary>
    public static PerformanceMetrics FromReturns(ReadOnlySpan<double> returns, double periodsPerYear)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(periodsPerYear);
        var n = returns.Length;
        var (sum, downside, positive, best, worst) = Moments(returns);
        var mean = n > 0 ? sum / n : double.NaN;
        var variance = SquaredDeviations(returns, mean);
        var path = Drawdowns(returns);
        var (equity, maxDrawdown, longest) = (path.Equity, path.MaxDrawdown, path.LongestBars);
        // the logarithms come from the equity itself unless it left the range where products keep every digit
        var (logEquity, maxLogDrawdown) = path.Lowest >= Tiny && path.Highest <= Huge
            ? (Math.Log(equity), Math.Log(path.WorstRatio))
            : LogDrawdowns(returns);
        var sd = n > 1 ? Math.Sqrt(variance / (n - 1)) : double.NaN;
        var downsideDeviation = n > 0 ? Math.Sqrt(downside / n) : double.NaN;
        var scale = Math.Sqrt(periodsPerYear);
        var total = equity - 1;
        var annualized = n > 0 ? Math.Pow(equity, periodsPerYear / n) - 1 : double.NaN;
        return new PerformanceMetrics(
            n,
            periodsPerYear,
            total,
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

    // Σ R, Σ min(R, 0)², the count of R > 0, the largest and the smallest R, a vector of bars at a time;
    // refuses a return that is not finite or below −1
    private static (double Sum, double Downside, int Positive, double Best, double Worst) Moments(ReadOnlySpan<double> returns)
    {
        var width = Vector<double>.Count;
        Vector<double> sum = Vector<double>.Zero, downside = Vector<double>.Zero;
        Vector<double> best = new(double.NegativeInfinity), worst = new(double.PositiveInfinity);
        var positive = Vector<long>.Zero;
        var valid = Vector<long>.AllBitsSet;
        var t = 0;
        for (; t <= returns.Length - width; t += width)
        {
            var r = new Vector<double>(returns[t..]);
            valid &= Vector.GreaterThanOrEqual(r, new Vector<double>(-1.0)) & Vector.LessThan(r, new Vector<double>(double.PositiveInfinity));
            sum += r;
            var loss = Vector.Min(r, Vector<double>.Zero);
            downside += loss * loss;
            positive -= Vector.GreaterThan(r, Vector<double>.Zero);
            best = Vector.Max(best, r);
            worst = Vector.Min(worst, r);
        }
        if (!Vector.EqualsAll(valid, Vector<long>.AllBitsSet))
            t = 0; // find the offending bar below, in order
        double s = t == 0 ? 0 : Vector.Sum(sum), d = t == 0 ? 0 : Vector.Sum(downside);
        var p = t == 0 ? 0 : (int)Vector.Sum(positive);
        double hi = double.NegativeInfinity, lo = double.PositiveInfinity;
        for (var lane = 0; lane < width && t > 0; lane++)
        {
            hi = Math.Max(hi, best[lane]);
            lo = Math.Min(lo, worst[lane]);
        }
        for (; t < returns.Length; t++)
        {
            var r = returns[t];
            if (!double.IsFinite(r) || r < -1)
                throw new ArgumentException($"return {r} at bar {t} is not a finite number of at least -1", nameof(returns));
            s += r;
            d += r < 0 ? r * r : 0;
            p += r > 0 ? 1 : 0;
            hi = Math.Max(hi, r);
            lo = Math.Min(lo, r);
        }
        return (s, d, p, hi, lo);
    }

    // Σ (R − mean)², a vector of bars at a time
    private static double SquaredDeviations(ReadOnlySpan<double> returns, double mean)
    {
        var width = Vector<double>.Count;
        var m = new Vector<double>(mean);
        var acc = Vector<double>.Zero;
        var t = 0;
        for (; t <= returns.Length - width; t += width)
        {
            var d = new Vector<double>(returns[t..]) - m;
            acc += d * d;
        }
        var variance = Vector.Sum(acc);
        for (; t < returns.Length; t++)
            variance += (returns[t] - mean) * (returns[t] - mean);
        return variance;
    }

    // Final equity (starting at 1), the largest fall from the running peak (also as the largest peak /
    // trough ratio), the longest stretch below a peak, and the equity's range. While the peak stands,
    // the deepest point so far is the only candidate for its drawdown (a quotient falls as the divisor
    // grows, rounding included), so each stretch is divided out once, when it ends.
    private static (double Equity, double MaxDrawdown, double WorstRatio, int LongestBars, double Lowest, double Highest) Drawdowns(ReadOnlySpan<double> returns)
    {
        double equity = 1, peak = 1, trough = 1, maxDrawdown = 0, worstRatio = 1, lowest = 1;
        int peakBar = -1, longest = 0;
        for (var t = 0; t < returns.Length; t++)
        {
            equity *= 1 + returns[t];
            if (equity >= peak)
            {
                maxDrawdown = Math.Max(maxDrawdown, 1 - (trough / peak));
                worstRatio = Math.Max(worstRatio, peak / trough);
                longest = Math.Max(longest, t - 1 - peakBar);
                lowest = Math.Min(lowest, trough);
                (peak, trough, peakBar) = (equity, equity, t);
            }
            else
            {
                trough = equity < trough ? equity : trough;
            }
        }
        maxDrawdown = Math.Max(maxDrawdown, 1 - (trough / peak));
        worstRatio = Math.Max(worstRatio, peak / trough);
        longest = Math.Max(longest, returns.Length - 1 - peakBar);
        return (equity, maxDrawdown, worstRatio, longest, Math.Min(lowest, trough), peak);
    }

    // Log equity and the largest fall of log equity from its running peak, for equity beyond the range of
    // a double: equity kept as scaled × 2^exponent (rescaled by exact powers of two, so nothing rounds), its
    // peak as its own such pair (seen on the current scale, infinite when beyond it), the deepest point
    // since the peak on the current scale, and each stretch's fall taken in logs when it ends.
    private static (double LogEquity, double MaxLogDrawdown) LogDrawdowns(ReadOnlySpan<double> returns)
    {
        var ln2 = Math.Log(2);
        double scaled = 1, peak = 1, peakHere = 1, trough = 1, worst = 0;
        int exponent = 0, peakExponent = 0;
        double Fall() => Math.Log(peak) + (peakExponent * ln2) - (Math.Log(trough) + (exponent * ln2));
        for (var t = 0; t < returns.Length; t++)
        {
            scaled *= 1 + returns[t];
            if (scaled > peakHere)
            {
                worst = Math.Max(worst, Fall());
                (peak, peakExponent, peakHere, trough) = (scaled, exponent, scaled, scaled);
            }
            else
            {
                trough = scaled < trough ? scaled : trough;
            }
            if ((scaled > 0 && scaled < Tiny) || scaled > Huge)
            {
                var shift = scaled < Tiny ? Rescale : -Rescale;
                scaled = Math.ScaleB(scaled, shift);
                trough = Math.ScaleB(trough, shift);
                exponent -= shift;
                peakHere = Math.ScaleB(peak, peakExponent - exponent);
            }
        }
        return (Math.Log(scaled) + (exponent * ln2), Math.Max(worst, Fall()));
    }
}
