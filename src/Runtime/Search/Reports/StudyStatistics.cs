using System.Collections.Immutable;
using StrategyLab.Runtime.Evaluation;
using StrategyLab.Runtime.Models.Training;
using StrategyLab.Runtime.Runs;
using StrategyLab.Runtime.Search.Statistics;
using StrategyLab.Runtime.Search.Storage;

namespace StrategyLab.Runtime.Search.Reports;

/// <summary>A statistic, or why it cannot be computed (too few trials or bars, a Sharpe without variance...).</summary>
/// <param name="Value">The statistic; null exactly when <paramref name="Reason"/> is given.</param>
/// <param name="Reason">One line saying why there is no value.</param>
public sealed record Computed<T>(T? Value, string? Reason)
    where T : class
{
    /// <summary>A computed value.</summary>
    public static Computed<T> Of(T value) => new(value, null);

    /// <summary>No value, for <paramref name="reason"/>.</summary>
    public static Computed<T> Not(string reason) => new(null, reason);
}

/// <summary>One trial's bar returns over the study's period and the bar times they belong to (Unix ms).</summary>
public sealed record TrialReturns(long[] Times, double[] Returns);

/// <summary>The chosen trial's own Sharpe ratio as an estimate: its moments (per bar), annualised, PSR(0) and MinTRL at 95 %.</summary>
/// <param name="Moments">Per-bar mean, deviation, Sharpe, skewness and non-excess kurtosis over the common bars.</param>
/// <param name="AnnualSharpe">The per-bar Sharpe times √(bars per year).</param>
/// <param name="ProbabilisticSharpe">PSR(0): the probability that its true Sharpe is above 0.</param>
/// <param name="MinimumTrackRecordBars">Bars of track record it needs for 95 % confidence that its Sharpe is above 0; +∞ when its Sharpe is not.</param>
public sealed record ChosenSharpe(ReturnMoments Moments, double AnnualSharpe, double ProbabilisticSharpe, double MinimumTrackRecordBars);

/// <summary>The deflated Sharpe ratio with its inputs annualised for reading.</summary>
/// <param name="Deflated">DSR, N, V and SR0 per bar (<see cref="SharpeStatistics.Deflate"/>).</param>
/// <param name="ExpectedMaxAnnualSharpe">SR0 annualised: the best annual Sharpe N skill-less trials would show by luck.</param>
/// <param name="AnnualSharpeDeviation">√V annualised: how much the trials' annual Sharpe ratios vary.</param>
public sealed record DeflatedSharpeResult(DeflatedSharpe Deflated, double ExpectedMaxAnnualSharpe, double AnnualSharpeDeviation);

/// <summary>The minimum backtest length for the study's N trials, with the chosen trial's annual Sharpe as target.</summary>
/// <param name="Trials">N.</param>
/// <param name="TargetAnnualSharpe">The chosen trial's annual Sharpe.</param>
/// <param name="MinimumYears">MinBTL: years of data below which N skill-less trials are expected to show that Sharpe by luck.</param>
/// <param name="Years">Years of data the trials were measured on (T / bars per year).</param>
public sealed record MinimumBacktestLength(int Trials, double TargetAnnualSharpe, double MinimumYears, double Years);

/// <summary>
/// The honest statistics of a study (docs/studies.md): what its best value is worth given how many trials
/// were tried. Every statistic is a <see cref="Computed{T}"/>: a value, or the reason there is none.
/// </summary>
/// <param name="CompleteTrials">N: the complete trials whose returns entered (pruned and failed trials have none).</param>
/// <param name="PrunedTrials">Trials stopped early: tried, but not counted in N.</param>
/// <param name="FailedTrials">Trials that raised an error.</param>
/// <param name="ChosenTrial">The chosen trial's number: the best complete trial on the first objective clearing the constraints; null when none does.</param>
/// <param name="Bars">T: the bars every complete trial has a return for (the common period).</param>
/// <param name="BarsPerYear">The bar's periods per year, for annualising.</param>
/// <param name="FirstTime">The common period's first bar time (Unix ms), null without bars.</param>
/// <param name="LastTime">Its last bar time.</param>
/// <param name="Chosen">The chosen trial's Sharpe, PSR(0) and MinTRL.</param>
/// <param name="Deflated">The chosen trial's deflated Sharpe ratio given N and the variance of the trials' Sharpe ratios.</param>
/// <param name="BacktestLength">MinBTL for N trials.</param>
/// <param name="Overfitting">PBO by CSCV over the N trials' returns.</param>
/// <param name="Importance">Permutation importance of the parameters for the first objective.</param>
public sealed record StudyStatisticsResult(
    int CompleteTrials,
    int PrunedTrials,
    int FailedTrials,
    int? ChosenTrial,
    int Bars,
    double BarsPerYear,
    long? FirstTime,
    long? LastTime,
    Computed<ChosenSharpe> Chosen,
    Computed<DeflatedSharpeResult> Deflated,
    Computed<MinimumBacktestLength> BacktestLength,
    Computed<BacktestOverfitting> Overfitting,
    Computed<ParameterImportance> Importance);

/// <summary>
/// Computes a study's honest statistics. The study keeps only each trial's metrics, so every complete
/// trial's parameters are run again over the whole period (<see cref="TrialEvaluation"/>, with the study's
/// accounting) for its bar returns; the trials are then cut to the bars they all have. From them: the chosen
/// trial's DSR (Bailey and López de Prado 2014) with N = the complete trials and V = the sample variance of
/// their per-bar Sharpe ratios, its PSR(0) and MinTRL, MinBTL for N trials, PBO by CSCV over the T × N return
/// matrix, and the permutation importance of the parameters for the first objective (from the stored values).
/// The math is <see cref="SharpeStatistics"/>, <see cref="Statistics.BacktestLength"/>,
/// <see cref="Statistics.BacktestOverfitting"/> and <see cref="ParameterImportance"/>'s.
/// </summary>
public static class StudyStatistics
{
    /// <summary>CSCV's S: 16 blocks (the paper's choice) when the bars allow it.</summary>
    public const int MaxBlocks = 16;

    /// <summary>CSCV gives each block at least this many bars: S is the largest even number up to 16 with T / S ≥ 10; fewer than 20 bars, no PBO.</summary>
    public const int MinBarsPerBlock = 10;

    /// <summary>Importance cross-fits over min(5, n / 2) folds, so it needs at least 4 trials with a finite first objective.</summary>
    public const int MinImportanceTrials = 4;

    /// <summary>
    /// Re-runs each complete trial of <paramref name="trials"/> on <paramref name="run"/> over the period of
    /// <paramref name="settings"/> with <paramref name="accounting"/> (trials run side by side, one thread each),
    /// then computes the statistics with <see cref="FromReturns"/>. A plan with models needs <paramref name="models"/>.
    /// </summary>
    public static StudyStatisticsResult Compute(StudyRecord study, IReadOnlyList<FrozenTrial> trials, PreparedRun run, RunSettings settings,
        Accounting accounting, Func<ParameterSet, ModelTrainingResult?>? models = null)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(trials);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(settings);
        var complete = trials.Where(t => t.State == TrialState.Complete).OrderBy(t => t.Number).ToList();
        var period = TrialEvaluation.WholePeriod(run, settings);
        var single = settings with { Threads = 1 };
        var returns = new TrialReturns[complete.Count];
        Parallel.For(0, complete.Count, i =>
        {
            var parameters = run.Bind(complete[i].Params);
            var outcome = TrialEvaluation.Run(run, parameters, single, accounting, [period], models?.Invoke(parameters))[0];
            returns[i] = new TrialReturns(outcome.Times, outcome.Returns);
        });
        var byNumber = complete.Select((t, i) => (t.Number, returns[i])).ToDictionary(x => x.Number, x => x.Item2);
        return FromReturns(study, trials, byNumber, run.Panel.Interval.BarsPerYear);
    }

    /// <summary>
    /// The statistics from each complete trial's returns by trial number (<paramref name="returns"/> must hold
    /// every complete trial): returns are cut to the bar times all of them share, in time order.
    /// </summary>
    public static StudyStatisticsResult FromReturns(StudyRecord study, IReadOnlyList<FrozenTrial> trials, IReadOnlyDictionary<int, TrialReturns> returns,
        double barsPerYear)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(trials);
        ArgumentNullException.ThrowIfNull(returns);
        var d = study.Definition;
        var complete = trials.Where(t => t.State == TrialState.Complete).OrderBy(t => t.Number).ToList();
        var missing = complete.FirstOrDefault(t => !returns.ContainsKey(t.Number));
        if (missing is not null)
            throw new ArgumentException($"no returns for complete trial {missing.Number}", nameof(returns));
        var (times, matrix) = Common(complete.Select(t => returns[t.Number]).ToList());
        var chosen = BestTrial.Select(trials, d.Directions[0], ConstraintSet.Read(d.Constraints));
        var n = complete.Count;
        var column = chosen is null ? -1 : complete.FindIndex(t => t.Number == chosen.Number);
        var why = n < 2 ? $"it needs at least 2 complete trials, the study has {n}" : null;
        var noChoice = chosen is null ? "no complete trial has a finite first objective and clears the constraints" : null;
        var sharpe = Attempt(noChoice, () => ChosenOf(matrix[column], barsPerYear));
        return new StudyStatisticsResult(
            n,
            trials.Count(t => t.State == TrialState.Pruned),
            trials.Count(t => t.State == TrialState.Failed),
            chosen?.Number,
            times.Length,
            barsPerYear,
            times.Length > 0 ? times[0] : null,
            times.Length > 0 ? times[^1] : null,
            sharpe,
            Attempt(why ?? noChoice, () => Deflate(matrix, column, barsPerYear)),
            Attempt(why ?? noChoice ?? sharpe.Reason, () => Length(n, sharpe.Value!.AnnualSharpe, times.Length / barsPerYear)),
            Attempt(why, () => Overfitting(matrix)),
            Importance(d.Space, trials));
    }

    /// <summary>The largest even S ≤ 16 that gives every block at least <see cref="MinBarsPerBlock"/> bars, or 0 when even 2 blocks cannot.</summary>
    public static int Blocks(int bars)
    {
        var s = Math.Min(MaxBlocks, bars / MinBarsPerBlock);
        return s - (s % 2);
    }

    // the bar times every trial has, and each trial's returns at them
    private static (long[] Times, double[][] Matrix) Common(IReadOnlyList<TrialReturns> trials)
    {
        if (trials.Count == 0)
            return ([], []);
        IEnumerable<long> shared = trials[0].Times;
        foreach (var t in trials.Skip(1))
            shared = shared.Intersect(t.Times);
        var times = shared.Order().ToArray();
        var matrix = trials.Select(t =>
        {
            var at = new Dictionary<long, double>(t.Times.Length);
            for (var i = 0; i < t.Times.Length; i++)
                at[t.Times[i]] = t.Returns[i];
            return times.Select(x => at[x]).ToArray();
        }).ToArray();
        return (times, matrix);
    }

    private static ChosenSharpe ChosenOf(double[] returns, double barsPerYear)
    {
        var m = SharpeStatistics.Moments(returns);
        return new ChosenSharpe(m, SharpeStatistics.Annualize(m.Sharpe, barsPerYear),
            SharpeStatistics.ProbabilisticSharpe(m.Sharpe, 0, m.Periods, m.Skewness, m.Kurtosis),
            SharpeStatistics.MinimumTrackRecordLength(m.Sharpe, 0, m.Skewness, m.Kurtosis));
    }

    private static DeflatedSharpeResult Deflate(double[][] matrix, int chosen, double barsPerYear)
    {
        var sharpes = matrix.Select(r => SharpeStatistics.Sharpe(r)).ToArray();
        var deflated = SharpeStatistics.Deflate(matrix[chosen], sharpes);
        return new DeflatedSharpeResult(deflated, SharpeStatistics.Annualize(deflated.ExpectedMaxSharpe, barsPerYear),
            SharpeStatistics.Annualize(Math.Sqrt(deflated.SharpeVariance), barsPerYear));
    }

    private static MinimumBacktestLength Length(int trials, double annualSharpe, double years) =>
        annualSharpe > 0 && double.IsFinite(annualSharpe)
            ? new MinimumBacktestLength(trials, annualSharpe, Statistics.BacktestLength.MinimumYears(trials, annualSharpe), years)
            : throw new ArgumentException($"the chosen trial's annual Sharpe is {annualSharpe:0.###}: no length of backtest makes luck reach a Sharpe that is not positive");

    private static BacktestOverfitting Overfitting(double[][] matrix)
    {
        var bars = matrix[0].Length;
        var s = Blocks(bars);
        if (s < 2)
            throw new ArgumentException($"CSCV needs at least {2 * MinBarsPerBlock} common bars ({MinBarsPerBlock} a block), the trials share {bars}");
        return Statistics.BacktestOverfitting.Estimate(matrix, new CscvOptions { Blocks = s });
    }

    private static Computed<ParameterImportance> Importance(SearchSpace space, IReadOnlyList<FrozenTrial> trials)
    {
        var n = trials.Count(t => t.State == TrialState.Complete && t.Values.Length > 0 && double.IsFinite(t.Values[0]));
        if (n < MinImportanceTrials)
            return Computed<ParameterImportance>.Not($"it needs at least {MinImportanceTrials} complete trials with a finite objective, the study has {n}");
        if (space.Parameters.IsEmpty)
            return Computed<ParameterImportance>.Not("the study searches no parameter");
        var options = new ParameterImportanceOptions { Folds = Math.Min(5, n / 2) };
        return Attempt(null, () => ParameterImportance.FromTrials(space, trials, 0, options));
    }

    // the statistic, or the reason given, or the one-line refusal of the statistics code (a Sharpe without variance...)
    private static Computed<T> Attempt<T>(string? reason, Func<T> compute)
        where T : class
    {
        if (reason is not null)
            return Computed<T>.Not(reason);
        try
        {
            return Computed<T>.Of(compute());
        }
        catch (ArgumentException e)
        {
            return Computed<T>.Not(FirstLine(e));
        }
    }

    // ArgumentException appends " (Parameter 'x')" to its message; the reader needs the sentence alone
    private static string FirstLine(ArgumentException e) =>
        e.ParamName is { } p ? e.Message.Replace($" (Parameter '{p}')", "", StringComparison.Ordinal) : e.Message;
}
