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
        double sum = 0, downside = 0;
        double equity = 1, peak = 1, maxDrawdown = 0, best = double.NegativeInfinity, worst = double.PositiveInfinity;
        // log equity without a logarithm per bar: equity kept as scaled × 2^exponent (rescaled by exact
        // powers of two, so nothing rounds), its peak on the same scale, and the largest peak / equity ratio
        double scaled = 1, scaledPeak = 1, worstRatio = 1;
        int positive = 0, peakBar = -1, longest = 0, exponent = 0;
        for (var t = 0; t < n; t++)
        {
            var r = returns[t];
            if (!double.IsFinite(r) || r < -1)
                throw new ArgumentException($"return {r} at bar {t} is not a finite number of at least -1", nameof(returns));
            sum += r;
            downside += r < 0 ? r * r : 0;
            positive += r > 0 ? 1 : 0;
            best = Math.Max(best, r);
            worst = Math.Min(worst, r);
            equity *= 1 + r;
            if (equity >= peak)
            {
                peak = equity;
                peakBar = t;
            }
            maxDrawdown = Math.Max(maxDrawdown, 1 - equity / peak);
            longest = Math.Max(longest, t - peakBar);
            scaled *= 1 + r;
            scaledPeak = Math.Max(scaledPeak, scaled);
            worstRatio = Math.Max(worstRatio, scaledPeak / scaled);
            if ((scaled > 0 && scaled < Tiny) || scaled > Huge)
            {
                var shift = scaled < Tiny ? Rescale : -Rescale;
                scaled = Math.ScaleB(scaled, shift);
                scaledPeak = Math.ScaleB(scaledPeak, shift);
                exponent -= shift;
            }
        }
        var logEquity = Math.Log(scaled) + (exponent * Math.Log(2));
        var maxLogDrawdown = Math.Log(worstRatio);

        var mean = n > 0 ? sum / n : double.NaN;
        var variance = 0.0;
        for (var t = 0; t < n; t++)
            variance += (returns[t] - mean) * (returns[t] - mean);
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
}
