namespace StrategyLab.Runtime.Search.Statistics;

/// <summary>
/// What a study reports next to its best value, so that a reader can judge how much of it is luck
/// (docs/research.md): the best trial's deflated Sharpe ratio, the backtest length its search needed, its
/// minimum track record, the probability of backtest overfitting, and, where given, the walk-forward
/// out-of-sample result and the parameters' importance.
/// </summary>
/// <param name="Deflated">The best trial's Sharpe deflated by the number of trials and the variance of their Sharpe ratios.</param>
/// <param name="AnnualSharpe">The best trial's Sharpe, annualised.</param>
/// <param name="ExpectedMaxAnnualSharpe">SR0 annualised: the best annual Sharpe skill-less trials would show.</param>
/// <param name="Years">The years of returns the trials were measured on (T / periods per year).</param>
/// <param name="MinimumBacktestYears">MinBTL for the trials' count with the best annual Sharpe as target: fewer <see cref="Years"/> than this, and luck alone is expected to reach the best's Sharpe. NaN when the best's Sharpe is not positive.</param>
/// <param name="MinimumTrackRecordPeriods">Periods the best trial needs for 95 % confidence that its true Sharpe is above 0 (+∞ when its Sharpe is not).</param>
/// <param name="Overfitting">PBO by CSCV over all trials' returns.</param>
/// <param name="WalkForward">The stitched walk-forward out-of-sample result of the best parameters, when given.</param>
/// <param name="Importance">The parameters' permutation importance, when given.</param>
public sealed record HonestStatistics(
    DeflatedSharpe Deflated,
    double AnnualSharpe,
    double ExpectedMaxAnnualSharpe,
    double Years,
    double MinimumBacktestYears,
    double MinimumTrackRecordPeriods,
    BacktestOverfitting Overfitting,
    WalkForwardOutOfSample? WalkForward,
    ParameterImportance? Importance)
{
    /// <summary>
    /// The statistics of a study whose trials <paramref name="trialReturns"/> (each trial's per-period returns
    /// over the same T periods) include the selected trial at index <paramref name="best"/>.
    /// </summary>
    public static HonestStatistics Compute(
        IReadOnlyList<double[]> trialReturns,
        int best,
        double periodsPerYear,
        CscvOptions? cscv = null,
        WalkForwardOutOfSample? walkForward = null,
        ParameterImportance? importance = null)
    {
        ArgumentNullException.ThrowIfNull(trialReturns);
        ArgumentOutOfRangeException.ThrowIfNegative(best);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(best, trialReturns.Count);
        var overfitting = BacktestOverfitting.Estimate(trialReturns, cscv);
        var sharpes = trialReturns.Select(r => SharpeStatistics.Sharpe(r)).ToArray();
        var deflated = SharpeStatistics.Deflate(trialReturns[best], sharpes);
        var m = deflated.Selected;
        var annual = SharpeStatistics.Annualize(m.Sharpe, periodsPerYear);
        return new HonestStatistics(
            deflated,
            annual,
            SharpeStatistics.Annualize(deflated.ExpectedMaxSharpe, periodsPerYear),
            m.Periods / periodsPerYear,
            annual > 0 && double.IsFinite(annual) ? BacktestLength.MinimumYears(trialReturns.Count, annual) : double.NaN,
            SharpeStatistics.MinimumTrackRecordLength(m.Sharpe, 0, m.Skewness, m.Kurtosis),
            overfitting,
            walkForward,
            importance);
    }
}
