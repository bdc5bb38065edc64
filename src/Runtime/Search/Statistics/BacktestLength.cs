namespace StrategyLab.Runtime.Search.Statistics;

/// <summary>
/// The minimum backtest length (Bailey, Borwein, López de Prado and Zhu 2014, "Pseudo-Mathematics and
/// Financial Charlatanism: The Effects of Backtest Overfitting on Out-of-Sample Performance", Notices of
/// the AMS 61(5)): how many years of data a search of N independent configurations needs before the best
/// annualised Sharpe that N skill-less configurations show by luck is expected to stay below a target.
/// </summary>
public static class BacktestLength
{
    /// <summary>
    /// MinBTL ≈ Z(N)² / E[max]² years, Z(N) = (1 − γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e)): with y years of
    /// returns the annual Sharpe of a configuration without skill has variance about 1/y, so the best of N
    /// is expected near Z(N)/√y (see <see cref="SharpeStatistics.ExpectedMaxStandardNormal"/>). The paper's
    /// example: 45 configurations and a target annual Sharpe of 1 need about 5 years.
    /// </summary>
    public static double MinimumYears(double trials, double expectedMaxAnnualSharpe)
    {
        CheckTarget(expectedMaxAnnualSharpe);
        var z = SharpeStatistics.ExpectedMaxStandardNormal(trials);
        return z * z / (expectedMaxAnnualSharpe * expectedMaxAnnualSharpe);
    }

    /// <summary>The paper's upper bound on <see cref="MinimumYears"/>: 2·ln N / E[max]² years.</summary>
    public static double MinimumYearsUpperBound(double trials, double expectedMaxAnnualSharpe)
    {
        CheckTarget(expectedMaxAnnualSharpe);
        if (!(trials >= 1) || double.IsPositiveInfinity(trials))
            throw new ArgumentOutOfRangeException(nameof(trials), trials, "the number of trials must be at least 1");
        return 2 * Math.Log(trials) / (expectedMaxAnnualSharpe * expectedMaxAnnualSharpe);
    }

    private static void CheckTarget(double sharpe)
    {
        if (!(sharpe > 0) || double.IsPositiveInfinity(sharpe))
            throw new ArgumentOutOfRangeException(nameof(sharpe), sharpe, "the target annual Sharpe ratio must be a positive number");
    }
}
