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
    internal const int Rescale = 512;

    internal static readonly double Tiny = Math.ScaleB(1.0, -Rescale);
    internal static readonly double Huge = Math.ScaleB(1.0, Rescale);

    /// <summary>
    /// Whether the returns span less than a month (365 / 12 days at this bar size), so that the annualised
    /// figures (return, volatility, Sharpe, Sortino, Calmar) extrapolate a few days to a year: 13,681 minute
    /// bars (9.5 days) that gained 66.7 % annualise to about 3 × 10^10 %.
    /// </summary>
    public bool SpansLessThanAMonth() => Bars < PeriodsPerYear / 12;

    /// <summary>Computes the statistics of <paramref name="returns"/>; every return must be finite and at least −1 (a total loss).</summary>
    public static PerformanceMetrics FromReturns(ReadOnlySpan<double> returns, double periodsPerYear) =>
        new ReturnStatistics().Finish(returns, periodsPerYear);

    // Log equity and the largest fall of log equity from its running peak, for equity beyond the range of
    // a double: equity kept as scaled × 2^exponent (rescaled by exact powers of two, so nothing rounds), its
    // peak as its own such pair (seen on the current scale, infinite when beyond it), the deepest point
    // since the peak on the current scale, and each stretch's fall taken in logs when it ends.
    internal static (double LogEquity, double MaxLogDrawdown) LogDrawdowns(ReadOnlySpan<double> returns)
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
